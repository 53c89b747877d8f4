"use client";
// A session's live events (the organization's event stream, `events.stream`, narrowed to this session): the newest
// first, each with a one-line summary and its full envelope on demand. The stream resumes from the last event it
// delivered when it reconnects, so a dropped connection loses nothing.
import { useQuery } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { eventTypes, type EventType } from "@wa/api/contract";
import { useState } from "react";
import { errorMessage } from "@/lib/errors.ts";
import { formatExact } from "@/lib/format.ts";
import { useTRPC } from "@/lib/trpc.tsx";
import { RelativeTime } from "./RelativeTime.tsx";
import { summarizeEvent } from "./webhook-format.ts";
import "./webhooks.css";

/** How many events the panel keeps (older ones scroll out; the webhooks and the REST stream have them all). */
const KEEP = 50;

interface ShownEvent {
  id: string;
  type: string;
  createdAt: number;
  data: unknown;
}

export function SessionEventsPanel({ sessionId }: { sessionId: string }) {
  const trpc = useTRPC();
  const [events, setEvents] = useState<ShownEvent[]>([]);
  const [type, setType] = useState<EventType | "">("");
  const [open, setOpen] = useState<string | null>(null);
  // The same query as the session's view (shared cache): no panel for a session that is not there.
  const session = useQuery(trpc.sessions.get.queryOptions({ session: sessionId }));
  const stream = useSubscription(
    trpc.events.stream.subscriptionOptions(
      { sessionId, ...(type ? { types: [type] } : {}) },
      {
        enabled: session.isSuccess,
        onData: (message) => {
          if (!("data" in message)) return; // the stream's end (renewed by the tRPC client when a token expired)
          const event = message.data;
          setEvents((current) =>
            current.some((e) => e.id === event.id)
              ? current
              : [{ id: event.id, type: event.type, createdAt: event.createdAt, data: event.data }, ...current].slice(0, KEEP),
          );
        },
      },
    ),
  );
  const live = stream.status === "pending";
  if (!session.isSuccess) return null;

  return (
    <section className="card" aria-labelledby="events-title" data-testid="session-events">
      <div className="card-body">
        <div className="row" style={{ justifyContent: "space-between", marginBottom: 8 }}>
          <h2 id="events-title" style={{ margin: 0 }}>
            Events
          </h2>
          <span className="row">
            <label htmlFor="events-type" className="visually-hidden">
              Event type
            </label>
            <select
              id="events-type"
              className="select"
              style={{ width: "auto" }}
              value={type}
              onChange={(e) => {
                setType(e.target.value as EventType | "");
                setEvents([]);
              }}
            >
              <option value="">All types</option>
              {eventTypes.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
            <span className="muted" data-testid="events-live" title={live ? "receiving live events" : "reconnecting"}>
              {live ? "● live" : "○ connecting…"}
            </span>
          </span>
        </div>
        {stream.error ? (
          <div className="form-error" role="alert">
            {errorMessage(stream.error)}
          </div>
        ) : null}
        {events.length === 0 ? (
          <p className="muted" data-testid="events-empty">
            Nothing yet. Status changes, messages and backfills of this session appear here as they happen.
          </p>
        ) : (
          <ol className="event-log" aria-live="polite" aria-label="Live events, newest first">
            {events.map((e) => (
              <li key={e.id} data-event-id={e.id} data-event-type={e.type}>
                <div className="event-head">
                  <span className="tag mono">{e.type}</span>
                  <span style={{ flex: 1, minWidth: 0 }}>{summarizeEvent(e.type, e.data)}</span>
                  <span className="muted" title={formatExact(e.createdAt)} style={{ fontSize: 12.5 }}>
                    <RelativeTime ms={e.createdAt} />
                  </span>
                </div>
                <button
                  type="button"
                  className="btn btn-sm btn-ghost"
                  aria-expanded={open === e.id}
                  onClick={() => setOpen((cur) => (cur === e.id ? null : e.id))}
                  style={{ marginTop: 4 }}
                >
                  {open === e.id ? "Hide" : "Details"}
                </button>
                {open === e.id ? <pre className="payload">{JSON.stringify(e, null, 2)}</pre> : null}
              </li>
            ))}
          </ol>
        )}
      </div>
    </section>
  );
}
