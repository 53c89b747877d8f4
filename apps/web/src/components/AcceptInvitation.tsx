"use client";
// The signed-in person's "Join" on an invitation page: accepts the link, then opens the console in that organization.
import { useState } from "react";
import { post } from "./AuthForms.tsx";

export function AcceptInvitation(props: { token: string; organizationName: string; role: string; email: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function accept() {
    setBusy(true);
    setError(null);
    const result = await post("/api/auth/invitations/accept", { token: props.token });
    if (result.ok) {
      window.location.assign("/sessions");
      return;
    }
    setBusy(false);
    setError(result.message);
  }

  return (
    <div>
      <h1>Join {props.organizationName}</h1>
      <p className="sub">
        You are invited as <strong>{props.role}</strong>. You are signed in as {props.email}.
      </p>
      {error ? (
        <div className="form-error" role="alert">
          {error}
        </div>
      ) : null}
      <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void accept()}>
        {busy ? "Joining…" : `Join ${props.organizationName}`}
      </button>
    </div>
  );
}
