"use client";
// Organization → Webhooks: the list (URL, events, scope, on/off) and the create form (event picker; the signing
// secret is shown once, with copy). Each webhook's page has its deliveries, rotation and deletion.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type ReactNode } from "react";
import { errorCode, fieldErrors } from "@/lib/errors.ts";
import { formatExact } from "@/lib/format.ts";
import { useTRPC, type RouterOutputs } from "@/lib/trpc.tsx";
import { BodyCard, TableCard } from "./Cards.tsx";
import { CopyButton } from "./CopyButton.tsx";
import type { Column } from "./DataTable.tsx";
import { EventPicker } from "./EventPicker.tsx";
import { FormError, TextField } from "./FormParts.tsx";
import { ActionError, NotAllowed } from "./Notices.tsx";
import { ListTable, type ListQuery } from "./PagedTable.tsx";
import { Tags } from "./Tags.tsx";
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
      <TableCard id="hooks-title" title="Webhooks">
        <WebhooksTable list={list} />
      </TableCard>
      <BodyCard id="create-hook-title" title="Add a webhook">
        <CreateWebhookForm />
      </BodyCard>
    </div>
  );
}

/** The sessions a webhook can be limited to: the organization's first page, by label. */
export function useSessionNames(): Map<string, string> {
  const trpc = useTRPC();
  const sessions = useQuery({ ...trpc.sessions.list.queryOptions({ limit: 100 }), staleTime: 60_000 });
  return new Map((sessions.data?.data ?? []).map((s) => [s.id, s.label ?? s.id]));
}

/** Which sessions a webhook hears: one by its label (or id), else `all`. */
export function WebhookSessions({ webhook: w, all }: { webhook: Webhook; all: ReactNode }) {
  const sessionNames = useSessionNames();
  if (!w.sessionId) return all;
  return sessionNames.get(w.sessionId) ?? <span className="mono">{w.sessionId}</span>;
}

/** Active or disabled, as a badge. */
export function WebhookState({ webhook: w, testId }: { webhook: Webhook; testId?: string }) {
  return (
    <span className={`status status-${w.active ? "active" : "disabled"}`} data-testid={testId}>
      {w.active ? "Active" : "Disabled"}
    </span>
  );
}

function WebhooksTable({ list }: { list: ListQuery<Webhook> }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const update = useMutation(
    trpc.webhooks.update.mutationOptions({ onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() }) }),
  );
  const columns: Column<Webhook>[] = [
    {
      header: "Endpoint",
      width: "34%",
      className: "wrap",
      cell: (w) => (
        <>
          <Link href={`/webhooks/${w.id}`} prefetch={false} className="mono" style={{ fontSize: 13 }}>
            {w.url}
          </Link>
          {w.description ? (
            <div className="muted" style={{ fontWeight: 400, fontSize: 13 }}>
              {w.description}
            </div>
          ) : null}
        </>
      ),
    },
    { header: "Events", width: "22%", className: "wrap", cell: (w) => <Tags values={describeEvents(w.events)} /> },
    { header: "Sessions", width: "14%", className: "wrap", cell: (w) => <WebhookSessions webhook={w} all={<span className="muted">All</span>} /> },
    {
      header: "State",
      width: "12%",
      className: "wrap",
      cellProps: (w) => ({ title: `Created ${formatExact(w.createdAt)}` }),
      cell: (w) => <WebhookState webhook={w} />,
    },
    {
      header: "Actions",
      actions: true,
      width: "18%",
      cell: (w) => (
        <span className="row" style={{ justifyContent: "flex-end" }}>
          <button type="button" className="btn btn-sm" disabled={update.isPending} onClick={() => update.mutate({ id: w.id, active: !w.active })}>
            {w.active ? "Disable" : "Enable"}
          </button>
          <Link href={`/webhooks/${w.id}`} prefetch={false} className="btn btn-sm">
            Deliveries
          </Link>
        </span>
      ),
    },
  ];
  return (
    <ListTable
      list={list}
      errorTitle="Could not load webhooks"
      columns={columns}
      rowKey={(w) => w.id}
      rowProps={(w) => ({ "data-webhook-id": w.id })}
      caption="Webhooks of this organization"
      testId="webhooks-table"
      empty={
        <>
          <strong>No webhooks yet</strong>
          Add one to have the gateway POST each event to your endpoint.
        </>
      }
    >
      <ActionError error={update.error} />
    </ListTable>
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
        <FormError error={create.error} />
        <TextField
          id="hook-url"
          label="Endpoint URL"
          hint="Public http(s) address; private and loopback addresses are refused."
          error={errors.url}
          type="url"
          inputMode="url"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          placeholder="https://example.com/hooks/whatsapp"
        />
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
