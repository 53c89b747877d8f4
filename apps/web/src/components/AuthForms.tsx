"use client";
// Sign-in and sign-up forms posting to the identity provider; field messages from its validation_error details.
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { safeNext } from "@/lib/safe-next.ts";

interface ErrorBody {
  error?: { code?: string; message?: string; details?: { errors?: { path: string; message: string }[] } };
}

export async function post(path: string, body: Record<string, string>) {
  const res = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    credentials: "same-origin",
    body: JSON.stringify(body),
  });
  if (res.ok) return { ok: true as const };
  const data = (await res.json().catch(() => ({}))) as ErrorBody;
  const fields: Record<string, string> = {};
  for (const e of data.error?.details?.errors ?? []) fields[e.path] = e.message;
  return { ok: false as const, code: data.error?.code, message: data.error?.message ?? `request failed (${res.status})`, fields };
}


function Field(props: { id: string; label: string; type?: string; autoComplete: string; error?: string; hint?: string; value: string; onChange: (v: string) => void }) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.id}
        className="input"
        type={props.type ?? "text"}
        autoComplete={props.autoComplete}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error || props.hint ? `${props.id}-msg` : undefined}
        required
      />
      {props.error || props.hint ? (
        <span id={`${props.id}-msg`} className={props.error ? "error" : "hint"}>
          {props.error ?? props.hint}
        </span>
      ) : null}
    </div>
  );
}

export function SignInForm({ next }: { next?: string }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const result = await post("/api/auth/sign-in", { email, password });
    if (result.ok) {
      window.location.assign(safeNext(next));
      return;
    }
    setBusy(false);
    setFields(result.fields);
    setError(result.code === "validation_error" ? null : result.message);
  }

  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <p className="sub">to the WhatsApp gateway console</p>
      {error ? (
        <div className="form-error" role="alert">
          {error}
        </div>
      ) : null}
      <Field id="email" label="Email" type="email" autoComplete="username" value={email} onChange={setEmail} error={fields.email} />
      <Field id="password" label="Password" type="password" autoComplete="current-password" value={password} onChange={setPassword} error={fields.password} />
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? "Signing in…" : "Sign in"}
      </button>
      <p className="auth-foot">
        New here? <Link href="/sign-up">Create an account</Link>
      </p>
    </form>
  );
}

/** Joining by an invitation link: the email is the invitation's, and no organization of one's own is created. */
export interface SignUpInvitation {
  token: string;
  email: string;
  organizationName: string;
}

export function SignUpForm({ invitation }: { invitation?: SignUpInvitation } = {}) {
  const [v, setV] = useState({ name: "", email: invitation?.email ?? "", password: "", organizationName: "" });
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof v) => (value: string) => setV((cur) => ({ ...cur, [k]: value }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    const local: Record<string, string> = {};
    if (v.password.length < 8) local.password = "must be at least 8 characters";
    if (!v.name.trim()) local.name = "is required";
    if (!invitation && !v.organizationName.trim()) local.organizationName = "is required";
    if (Object.keys(local).length > 0) {
      setFields(local);
      return;
    }
    setBusy(true);
    setError(null);
    const { organizationName, ...person } = v;
    const result = await post("/api/auth/sign-up", invitation ? { ...person, invitation: invitation.token } : { ...person, organizationName });
    if (result.ok) {
      window.location.assign("/sessions");
      return;
    }
    setBusy(false);
    setFields(result.fields);
    setError(result.code === "validation_error" ? null : result.message);
  }

  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="sign-up-title">
      <h1 id="sign-up-title">Create your account</h1>
      <p className="sub">{invitation ? `and join ${invitation.organizationName}` : "and an organization you own"}</p>
      {error ? (
        <div className="form-error" role="alert">
          {error}
        </div>
      ) : null}
      <Field id="name" label="Your name" autoComplete="name" value={v.name} onChange={set("name")} error={fields.name} />
      <Field id="email" label="Email" type="email" autoComplete="email" value={v.email} onChange={set("email")} error={fields.email} />
      <Field
        id="password"
        label="Password"
        type="password"
        autoComplete="new-password"
        value={v.password}
        onChange={set("password")}
        error={fields.password}
        hint="At least 8 characters."
      />
      {invitation ? null : (
        <Field id="organizationName" label="Organization name" autoComplete="organization" value={v.organizationName} onChange={set("organizationName")} error={fields.organizationName} />
      )}
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? "Creating…" : "Create account"}
      </button>
      <p className="auth-foot">
        Already have an account?{" "}
        <Link href={invitation ? `/sign-in?next=${encodeURIComponent(`/invite/${invitation.token}`)}` : "/sign-in"}>Sign in</Link>
      </p>
    </form>
  );
}
