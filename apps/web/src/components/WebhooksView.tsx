"use client";
// Organization → Webhooks: the list (URL, events, scope, on/off) and the create form (event picker; the signing
// secret is shown once, with copy). Each webhook's page has its deliveries, rotation and deletion.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { errorCode, errorMessage, fieldErrors } from "@/lib/errors.ts";
import { formatExact } from "@/lib/format.ts";
import { useTRPC, type RouterOutputs } from "@/lib/trpc.tsx";
import { CopyButton } from "./CopyButton.tsx";
import { EventPicker } from "./EventPicker.tsx";
import { ErrorNotice, NotAllowed } from "./Notices.tsx";
import { ALL_EVENTS, describeEvents, urlProblem, type EventChoice } from "./webhook-format.ts";
import "./webhooks.css";

export type Webhook = RouterOutputs["webhooks"]["get"];

export const WEBHOOKS_FORBIDDEN = "Only owners and admins of this organization (or an api-key with manage) can see and manage webhooks.";

export function WebhooksView() {
  const trpc = useTRPC();
  const list = useQuery({ ...trpc.webhooks.list.queryOptions({}), retry: false });
  if (errorCode(list.error) === "forbidden") return <NotAllowed what={WEBHOOKS_FORBIDDEN} />;
  return (
    <div className="grid-detail grid-wide-main">
      <section className="card" aria-labelledby="hooks-title">
        <h2 id="hooks-title" className="visually-hidden">
          Webhooks
        </h2>
        {list.error ? (
          <div style={{ padding: 16 }}>
            <ErrorNotice error={list.error} onRetry={() => void list.refetch()} title="Could not load webhooks" />
          </div>
        ) : (
          <WebhooksTable webhooks={list.data?.data} />
        )}
      </section>
      <section className="card" aria-labelledby="create-hook-title">
        <div className="card-body">
          <h2 id="create-hook-title">Add a webhook</h2>
          <CreateWebhookForm />
        </div>
      </section>
    </div>
  );
}

/** The sessions a webhook can be limited to: the organization's first page, by label. */
export function useSessionNames(): Map<string, string> {
  const trpc = useTRPC();
  const sessions = useQuery({ ...trpc.sessions.list.queryOptions({ limit: 100 }), staleTime: 60_000 });
  return new Map((sessions.data?.data ?? []).map((s) => [s.id, s.label ?? s.id]));
}

function WebhooksTable({ webhooks }: { webhooks: Webhook[] | undefined }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const sessionNames = useSessionNames();
  const update = useMutation(
    trpc.webhooks.update.mutationOptions({ onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() }) }),
  );
  return (
    <div className="table-wrap">
      <table className="table table-stack" aria-busy={!webhooks} data-testid="webhooks-table">
        <caption className="visually-hidden">Webhooks of this organization</caption>
        <colgroup>
          <col style={{ width: "34%" }} />
          <col style={{ width: "22%" }} />
          <col style={{ width: "14%" }} />
          <col style={{ width: "12%" }} />
          <col style={{ width: "18%" }} />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Endpoint</th>
            <th scope="col">Events</th>
            <th scope="col">Sessions</th>
            <th scope="col">State</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {!webhooks
            ? Array.from({ length: 3 }, (_, i) => (
                <tr key={i} aria-hidden="true">
                  {Array.from({ length: 5 }, (_, j) => (
                    <td key={j}>
                      <span className="skeleton" style={{ width: "60%" }} />
                    </td>
                  ))}
                </tr>
              ))
            : null}
          {webhooks && webhooks.length === 0 ? (
            <tr>
              <td colSpan={5} style={{ height: "auto", whiteSpace: "normal" }}>
                <div className="empty" data-testid="empty-state">
                  <strong>No webhooks yet</strong>
                  Add one to have the gateway POST each event to your endpoint.
                </div>
              </td>
            </tr>
          ) : null}
          {webhooks?.map((w) => (
            <tr key={w.id} data-webhook-id={w.id}>
              <td className="cell-title wrap">
                <Link href={`/webhooks/${w.id}`} prefetch={false} className="mono" style={{ fontSize: 13 }}>
                  {w.url}
                </Link>
                {w.description ? (
                  <div className="muted" style={{ fontWeight: 400, fontSize: 13 }}>
                    {w.description}
                  </div>
                ) : null}
              </td>
              <td className="wrap" data-label="Events">
                <span className="tags">
                  {describeEvents(w.events).map((e) => (
                    <span key={e} className="tag">
                      {e}
                    </span>
                  ))}
                </span>
              </td>
              <td className="wrap" data-label="Sessions">
                {w.sessionId ? (sessionNames.get(w.sessionId) ?? <span className="mono">{w.sessionId}</span>) : <span className="muted">All</span>}
              </td>
              <td className="wrap" data-label="State" title={`Created ${formatExact(w.createdAt)}`}>
                <span className={`status status-${w.active ? "active" : "disabled"}`}>{w.active ? "Active" : "Disabled"}</span>
              </td>
              <td className="cell-actions" style={{ textAlign: "right" }}>
                <span className="row" style={{ justifyContent: "flex-end" }}>
                  <button
                    type="button"
                    className="btn btn-sm"
                    disabled={update.isPending}
                    onClick={() => update.mutate({ id: w.id, active: !w.active })}
                  >
                    {w.active ? "Disable" : "Enable"}
                  </button>
                  <Link href={`/webhooks/${w.id}`} prefetch={false} className="btn btn-sm">
                    Deliveries
                  </Link>
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {update.error ? (
        <div className="form-error" role="alert" style={{ margin: 12 }}>
          {errorMessage(update.error)}
        </div>
      ) : null}
    </div>
  );
}

function CreateWebhookForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const sessionNames = useSessionNames();
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<EventChoice[]>([ALL_EVENTS]);
  const [sessionId, setSessionId] = useState("");
  const [description, setDescription] = useState("");
  const [touched, setTouched] = useState(false);
  const create = useMutation(
    trpc.webhooks.create.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.webhooks.list.pathKey() });
        setUrl("");
        setDescription("");
        setTouched(false);
      },
    }),
  );
  const local: Record<string, string> = {};
  const badUrl = urlProblem(url);
  if (badUrl) local.url = badUrl;
  if (events.length === 0) local.events = "Pick at least one event type.";
  const errors = { ...(touched ? local : {}), ...fieldErrors(create.error) };

  return (
    <>
      {create.data ? (
        <div className="stack" style={{ marginBottom: 16, gap: 8 }} data-testid="new-webhook">
          <div className="form-ok" role="status" style={{ marginBottom: 0 }}>
            Webhook created. Copy its signing secret now — it is shown only once.
          </div>
          <div className="secret">
            <code data-testid="webhook-secret">{create.data.secret}</code>
            <CopyButton value={create.data.secret} />
          </div>
          <p className="muted" style={{ margin: 0 }}>
            Verify each delivery with any Standard Webhooks library and this secret.{" "}
            <Link href={`/webhooks/${create.data.webhook.id}`} prefetch={false}>
              See its deliveries →
            </Link>
          </p>
        </div>
      ) : null}
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setTouched(true);
          if (Object.keys(local).length > 0) return;
          create.mutate({
            url: url.trim(),
            events,
            ...(sessionId ? { sessionId } : {}),
            ...(description.trim() ? { description: description.trim() } : {}),
          });
        }}
      >
        {create.error && Object.keys(fieldErrors(create.error)).length === 0 ? (
          <div className="form-error" role="alert">
            {errorMessage(create.error)}
          </div>
        ) : null}
        <div className="field">
          <label htmlFor="hook-url">Endpoint URL</label>
          <input
            id="hook-url"
            className="input"
            type="url"
            inputMode="url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="https://example.com/hooks/whatsapp"
            aria-invalid={errors.url ? true : undefined}
            aria-describedby="hook-url-msg"
          />
          <span id="hook-url-msg" className={errors.url ? "error" : "hint"}>
            {errors.url ?? "Public http(s) address; private and loopback addresses are refused."}
          </span>
        </div>
        <EventPicker id="hook-events" value={events} onChange={setEvents} error={errors.events} />
        <div className="field" style={{ marginTop: 14 }}>
          <label htmlFor="hook-session">Sessions</label>
          <select id="hook-session" className="select" value={sessionId} onChange={(e) => setSessionId(e.target.value)} aria-describedby="hook-session-msg">
            <option value="">Every session of the organization</option>
            {[...sessionNames].map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
          <span id="hook-session-msg" className={errors.sessionId ? "error" : "hint"}>
            {errors.sessionId ?? "Limit the webhook to one session's events, or leave it for all."}
          </span>
        </div>
        <div className="field">
          <label htmlFor="hook-description">Description (optional)</label>
          <input
            id="hook-description"
            className="input"
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            placeholder="e.g. CRM inbox"
            aria-invalid={errors.description ? true : undefined}
          />
          {errors.description ? <span className="error">{errors.description}</span> : null}
        </div>
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? "Adding…" : "Add webhook"}
        </button>
      </form>
    </>
  );
}
