"use client";
// Organization → one webhook: its settings (edit, enable/disable), secret rotation (the new secret shown once; the
// old one keeps signing beside it for 24 h), deletion, and its deliveries below.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { errorCode, errorMessage, fieldErrors } from "@/lib/errors.ts";
import { formatExact } from "@/lib/format.ts";
import { useTRPC } from "@/lib/trpc.tsx";
import { ConfirmButton } from "./ConfirmButton.tsx";
import { CopyButton } from "./CopyButton.tsx";
import { EventPicker } from "./EventPicker.tsx";
import { FormError, TextField } from "./FormParts.tsx";
import { ErrorNotice, NotAllowed, NotFoundNotice } from "./Notices.tsx";
import { RelativeTime } from "./RelativeTime.tsx";
import { WebhookDeliveries } from "./WebhookDeliveries.tsx";
import { describeEvents, isEventChoice, urlProblem, type EventChoice } from "./webhook-format.ts";
import { Tags } from "./Tags.tsx";
import { useSessionNames, WEBHOOKS_FORBIDDEN, WebhookSessions, WebhookState, type Webhook } from "./WebhooksView.tsx";
import "./webhooks.css";

export function WebhookDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const webhook = useQuery({ ...trpc.webhooks.get.queryOptions({ id }), retry: false });
  if (errorCode(webhook.error) === "forbidden") return <NotAllowed what={WEBHOOKS_FORBIDDEN} />;
  if (errorCode(webhook.error) === "not_found") return <NotFoundNotice what="Your organization has no webhook with this id. It may have been deleted." />;
  if (webhook.error) return <ErrorNotice error={webhook.error} onRetry={() => void webhook.refetch()} title="Could not load the webhook" />;
  if (!webhook.data) {
    return (
      <div className="card card-body" aria-busy="true" style={{ minHeight: 240 }}>
        <span className="skeleton" style={{ width: "40%" }} />
      </div>
    );
  }
  const w = webhook.data;
  return (
    <div className="stack">
      <div className="grid-detail">
        <section className="card" aria-labelledby="hook-fields-title">
          <div className="card-body">
            <div className="row" style={{ justifyContent: "space-between", marginBottom: 12 }}>
              <h2 id="hook-fields-title" style={{ margin: 0 }}>
                Endpoint
              </h2>
              <WebhookState webhook={w} testId="webhook-state" />
            </div>
            <Fields webhook={w} />
            <Actions webhook={w} />
          </div>
        </section>
        <section className="card" aria-labelledby="hook-edit-title">
          <div className="card-body">
            <h2 id="hook-edit-title">Change</h2>
            <EditForm key={w.updatedAt} webhook={w} />
          </div>
        </section>
      </div>
      <WebhookDeliveries webhookId={w.id} />
    </div>
  );
}

function Fields({ webhook: w }: { webhook: Webhook }) {
  return (
    <dl className="fields" data-testid="webhook-fields">
      <dt>URL</dt>
      <dd className="mono">{w.url}</dd>
      <dt>Events</dt>
      <dd>
        <Tags values={describeEvents(w.events)} />
      </dd>
      <dt>Sessions</dt>
      <dd>
        <WebhookSessions webhook={w} all="All sessions of the organization" />
      </dd>
      <dt>Description</dt>
      <dd>{w.description ?? <span className="muted">—</span>}</dd>
      <dt>Created</dt>
      <dd title={formatExact(w.createdAt)}>
        <RelativeTime ms={w.createdAt} />
      </dd>
      <dt>Id</dt>
      <dd className="mono">{w.id}</dd>
    </dl>
  );
}

function Actions({ webhook: w }: { webhook: Webhook }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
  const update = useMutation(trpc.webhooks.update.mutationOptions({ onSuccess: refresh }));
  const rotate = useMutation(trpc.webhooks.rotateSecret.mutationOptions());
  const remove = useMutation(
    trpc.webhooks.delete.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.webhooks.list.pathKey() });
        router.push("/webhooks");
      },
    }),
  );
  const busy = update.isPending || rotate.isPending || remove.isPending;
  const error = update.error ?? rotate.error ?? remove.error;
  return (
    <div style={{ marginTop: 16 }}>
      <div className="row" role="group" aria-label="Webhook actions">
        <button type="button" className="btn" disabled={busy} onClick={() => update.mutate({ id: w.id, active: !w.active })}>
          {w.active ? "Disable" : "Enable"}
        </button>
        <ConfirmButton
          label="Rotate secret"
          className="btn"
          title="Rotate the signing secret?"
          body="A new secret is made and shown once. For 24 hours deliveries carry signatures with both secrets, so your receiver keeps verifying while you switch it to the new one."
          confirmLabel="Rotate secret"
          disabled={busy}
          onConfirm={() => rotate.mutate({ id: w.id })}
        />
        <ConfirmButton
          label="Delete"
          title="Delete this webhook?"
          body={`Nothing more is sent to ${w.url}, and its delivery log goes with it. This cannot be undone.`}
          confirmLabel="Delete webhook"
          disabled={busy}
          onConfirm={() => remove.mutate({ id: w.id })}
        />
      </div>
      {rotate.data ? (
        <div className="stack" style={{ marginTop: 12, gap: 8 }} data-testid="rotated-secret">
          <div className="form-ok" role="status" style={{ marginBottom: 0 }}>
            New secret — shown only once. The previous one keeps signing beside it for 24 hours.
          </div>
          <div className="secret">
            <code data-testid="webhook-secret">{rotate.data.secret}</code>
            <CopyButton value={rotate.data.secret} />
          </div>
        </div>
      ) : null}
      {error ? (
        <div className="form-error" role="alert" style={{ marginTop: 12, marginBottom: 0 }}>
          {errorMessage(error)}
        </div>
      ) : null}
    </div>
  );
}

function EditForm({ webhook: w }: { webhook: Webhook }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const sessionNames = useSessionNames();
  const [url, setUrl] = useState(w.url);
  const [events, setEvents] = useState<EventChoice[]>(() => w.events.filter(isEventChoice));
  const [sessionId, setSessionId] = useState(w.sessionId ?? "");
  const [description, setDescription] = useState(w.description ?? "");
  const update = useMutation(
    trpc.webhooks.update.mutationOptions({ onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() }) }),
  );
  const local: Record<string, string> = {};
  const badUrl = urlProblem(url);
  if (badUrl) local.url = badUrl;
  if (events.length === 0) local.events = "Pick at least one event type.";
  const errors = { ...local, ...fieldErrors(update.error) };
  const changed =
    url.trim() !== w.url ||
    events.join() !== w.events.join() ||
    sessionId !== (w.sessionId ?? "") ||
    description.trim() !== (w.description ?? "");

  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (Object.keys(local).length > 0) return;
        update.mutate({ id: w.id, url: url.trim(), events, sessionId: sessionId || null, description: description.trim() || null });
      }}
    >
      <FormError error={update.error} />
      <TextField
        id="edit-url"
        label="Endpoint URL"
        hint="Deliveries already queued go to the new URL."
        error={errors.url}
        type="url"
        value={url}
        onChange={(e) => setUrl(e.target.value)}
      />
      <EventPicker id="edit-events" value={events} onChange={setEvents} error={errors.events} />
      <div className="field" style={{ marginTop: 14 }}>
        <label htmlFor="edit-session">Sessions</label>
        <select id="edit-session" className="select" value={sessionId} onChange={(e) => setSessionId(e.target.value)}>
          <option value="">Every session of the organization</option>
          {w.sessionId && !sessionNames.has(w.sessionId) ? <option value={w.sessionId}>{w.sessionId}</option> : null}
          {[...sessionNames].map(([id, name]) => (
            <option key={id} value={id}>
              {name}
            </option>
          ))}
        </select>
        {errors.sessionId ? <span className="error">{errors.sessionId}</span> : null}
      </div>
      <div className="field">
        <label htmlFor="edit-description">Description</label>
        <input
          id="edit-description"
          className="input"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          aria-invalid={errors.description ? true : undefined}
        />
        {errors.description ? <span className="error">{errors.description}</span> : null}
      </div>
      <div className="row">
        <button type="submit" className="btn btn-primary" disabled={!changed || update.isPending}>
          {update.isPending ? "Saving…" : "Save changes"}
        </button>
        {update.isSuccess && !changed ? (
          <span className="muted" role="status">
            Saved.
          </span>
        ) : null}
      </div>
    </form>
  );
}
