"use client";
// Session settings (label, auto read, typing presence, rate limits) with field validation; used to create and edit.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { limits, rateLimitsOrdered, sessionSettingsDefaults } from "@wa/api/contract";
import { useState } from "react";
import { errorMessage, fieldErrors } from "@/lib/errors.ts";
import { useTRPC, type WASession } from "@/lib/trpc.tsx";
import { FormError, TextField } from "./FormParts.tsx";

interface Values {
  label: string;
  autoRead: boolean;
  presenceTyping: boolean;
  ratePerMin: string;
  ratePerHour: string;
}

const LIMITS = {
  ratePerMin: [limits.ratePerMin.min, limits.ratePerMin.max],
  ratePerHour: [limits.ratePerHour.min, limits.ratePerHour.max],
} as const;

export function validateSettings(v: Values): Record<string, string> {
  const errors: Record<string, string> = {};
  if (v.label.trim().length > limits.labelLength) errors.label = `At most ${limits.labelLength} characters.`;
  for (const key of ["ratePerMin", "ratePerHour"] as const) {
    const [min, max] = LIMITS[key];
    const n = Number(v[key]);
    if (v[key].trim() === "" || !Number.isInteger(n)) errors[key] = "Enter a whole number.";
    else if (n < min || n > max) errors[key] = `Between ${min} and ${max.toLocaleString("en-US")}.`;
  }
  if (!errors.ratePerMin && !errors.ratePerHour && !rateLimitsOrdered({ ratePerMin: Number(v.ratePerMin), ratePerHour: Number(v.ratePerHour) })) {
    errors.ratePerHour = "Should be at least the per-minute limit.";
  }
  return errors;
}

const toInput = (v: Values) => ({
  label: v.label.trim() === "" ? null : v.label.trim(),
  autoRead: v.autoRead,
  presenceTyping: v.presenceTyping,
  ratePerMin: Number(v.ratePerMin),
  ratePerHour: Number(v.ratePerHour),
});

function Fields({
  values,
  set,
  errors,
  readOnly,
}: {
  values: Values;
  set: (patch: Partial<Values>) => void;
  errors: Record<string, string>;
  readOnly: boolean;
}) {
  const num = (key: "ratePerMin" | "ratePerHour", label: string, hint: string) => (
    <TextField
      id={key}
      label={label}
      hint={hint}
      error={errors[key]}
      alertOnError
      name={key}
      inputMode="numeric"
      value={values[key]}
      onChange={(e) => set({ [key]: e.target.value })}
      readOnly={readOnly}
    />
  );
  return (
    <fieldset disabled={readOnly} style={{ border: 0, padding: 0, margin: 0 }}>
      <TextField
        id="label"
        label="Label"
        hint="A name to tell sessions apart."
        error={errors.label}
        name="label"
        value={values.label}
        placeholder="e.g. Support line"
        maxLength={220}
        onChange={(e) => set({ label: e.target.value })}
      />
      <label className="check">
        <input type="checkbox" name="autoRead" checked={values.autoRead} onChange={(e) => set({ autoRead: e.target.checked })} />
        <span>
          Mark incoming messages as read
          <small>
            Every message this session receives is marked read within a second, so the sender sees blue ticks. Off: messages
            stay unread until someone reads them in the chat.
          </small>
        </span>
      </label>
      <label className="check">
        <input type="checkbox" name="presenceTyping" checked={values.presenceTyping} onChange={(e) => set({ presenceTyping: e.target.checked })} />
        <span>
          Show “typing…” while sending
          <small>
            Before each text the chat shows “typing…” for a time that grows with its length (at most 3 s), then the text goes
            out. Looks more human; each send takes that much longer.
          </small>
        </span>
      </label>
      <div className="grid-2">
        {num("ratePerMin", "Messages per minute", `At most this many sends in any 60 s. Default ${sessionSettingsDefaults.ratePerMin}.`)}
        {num("ratePerHour", "Messages per hour", `At most this many sends in any hour. Default ${sessionSettingsDefaults.ratePerHour}.`)}
      </div>
      <p className="muted" style={{ fontSize: 12.5, marginTop: 0 }} data-testid="rate-limits-note">
        Limits are enforced: the gateway counts the messages this session actually sent over sliding windows kept in the
        database, so they hold across restarts and gateways. A send over a limit is refused (429 with the wait) or, when
        queued, goes out as soon as the window allows. A change applies to the next send.
      </p>
    </fieldset>
  );
}

export function SessionSettingsForm({ session, readOnly }: { session: WASession; readOnly: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const initial: Values = {
    label: session.label ?? "",
    autoRead: session.autoRead,
    presenceTyping: session.presenceTyping,
    ratePerMin: String(session.ratePerMin),
    ratePerHour: String(session.ratePerHour),
  };
  const [values, setValues] = useState(initial);
  const [touched, setTouched] = useState(false);
  const [saved, setSaved] = useState(false);
  const update = useMutation(
    trpc.sessions.update.mutationOptions({
      onSuccess: (updated) => {
        queryClient.setQueryData(trpc.sessions.get.queryOptions({ session: session.id }).queryKey, updated);
        void queryClient.invalidateQueries({ queryKey: trpc.sessions.list.pathKey() });
        setSaved(true);
        setTouched(false);
      },
    }),
  );
  const local = validateSettings(values);
  const errors = { ...(touched ? local : {}), ...fieldErrors(update.error) };
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setTouched(true);
        if (Object.keys(local).length > 0) return;
        update.mutate({ session: session.id, ...toInput(values) });
      }}
    >
      <FormError error={update.error} />
      {saved ? (
        <div className="form-ok" role="status">
          Settings saved.
        </div>
      ) : null}
      <Fields
        values={values}
        set={(patch) => {
          setSaved(false);
          setTouched(true);
          setValues((v) => ({ ...v, ...patch }));
        }}
        errors={errors}
        readOnly={readOnly}
      />
      {readOnly ? (
        <p className="muted">Only owners and admins can change settings.</p>
      ) : (
        <button type="submit" className="btn btn-primary" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save settings"}
        </button>
      )}
    </form>
  );
}

export function CreateSessionForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Values>({
    label: "",
    autoRead: sessionSettingsDefaults.autoRead,
    presenceTyping: sessionSettingsDefaults.presenceTyping,
    ratePerMin: String(sessionSettingsDefaults.ratePerMin),
    ratePerHour: String(sessionSettingsDefaults.ratePerHour),
  });
  const [startNow, setStartNow] = useState(true);
  const [touched, setTouched] = useState(false);
  const create = useMutation(
    trpc.sessions.create.mutationOptions({
      onSuccess: (session) => {
        void queryClient.invalidateQueries({ queryKey: trpc.sessions.list.pathKey() });
        queryClient.setQueryData(trpc.sessions.get.queryOptions({ session: session.id }).queryKey, session);
        router.push(`/sessions/${session.id}`);
      },
    }),
  );
  const local = validateSettings(values);
  const errors = { ...(touched ? local : {}), ...fieldErrors(create.error) };
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setTouched(true);
        if (Object.keys(local).length > 0) return;
        create.mutate({ ...toInput(values), start: startNow });
      }}
    >
      {create.error ? (
        <div className="form-error" role="alert">
          {errorMessage(create.error)}
        </div>
      ) : null}
      <Fields values={values} set={(patch) => setValues((v) => ({ ...v, ...patch }))} errors={errors} readOnly={false} />
      <label className="check">
        <input type="checkbox" name="start" checked={startNow} onChange={(e) => setStartNow(e.target.checked)} />
        <span>
          Start now and show the pairing QR<small>Otherwise the session is created stopped.</small>
        </span>
      </label>
      <button type="submit" className="btn btn-primary" disabled={create.isPending}>
        {create.isPending ? "Creating…" : "Create session"}
      </button>
    </form>
  );
}
