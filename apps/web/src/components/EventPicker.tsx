"use client";
// Which events a webhook receives: every type ("*", also the ones added later) or a chosen list.
import { ALL_EVENTS, eventTypeHelp, pickableEventTypes, type EventChoice } from "./webhook-format.ts";

export function EventPicker({
  id,
  value,
  onChange,
  error,
}: {
  id: string;
  value: EventChoice[];
  onChange: (next: EventChoice[]) => void;
  error?: string;
}) {
  const all = value.includes(ALL_EVENTS);
  return (
    <fieldset className="field" style={{ border: 0, padding: 0, margin: 0 }} aria-describedby={`${id}-msg`} data-testid="event-picker">
      <legend className="label" style={{ marginBottom: 6 }}>
        Events
      </legend>
      <label className="check" style={{ marginBottom: 6 }}>
        <input type="checkbox" checked={all} onChange={(e) => onChange(e.target.checked ? [ALL_EVENTS] : [])} />
        <span>
          <strong>All events</strong> <small style={{ display: "inline" }}>— every type, including ones added later</small>
        </span>
      </label>
      {pickableEventTypes.map((type) => (
        <label key={type} className="check" style={{ marginBottom: 6, opacity: all ? 0.6 : 1 }}>
          <input
            type="checkbox"
            disabled={all}
            checked={all || value.includes(type)}
            onChange={(e) => onChange(e.target.checked ? [...value, type] : value.filter((t) => t !== type))}
          />
          <span>
            <strong className="mono">{type}</strong> <small style={{ display: "inline" }}>— {eventTypeHelp[type]}</small>
          </span>
        </label>
      ))}
      <span id={`${id}-msg`} className={error ? "error" : "hint"}>
        {error ?? "Deliveries are signed (Standard Webhooks) and retried with backoff until your endpoint answers 2xx."}
      </span>
    </fieldset>
  );
}
