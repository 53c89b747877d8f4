"use client";
// One webhook's deliveries, newest first: status filter, attempts, last answer or error, next attempt, a retry
// button, and the signed payload (the POST body as sent, its `webhook-id` being the event id). The first page
// refreshes every few seconds, so attempts and retries show as they happen.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { webhookDeliveryStatuses, type WebhookDeliveryStatus } from "@wa/api/contract";
import { Fragment, useState } from "react";
import { errorMessage } from "@/lib/errors.ts";
import { formatExact } from "@/lib/format.ts";
import { useTRPC, type RouterOutputs } from "@/lib/trpc.tsx";
import { ErrorNotice } from "./Notices.tsx";
import { RelativeTime } from "./RelativeTime.tsx";
import { deliveryStatusLabels } from "./webhook-format.ts";
import "./webhooks.css";

type Delivery = RouterOutputs["webhooks"]["deliveries"]["data"][number];

const PAGE = 25;
const REFRESH_MS = 2_000;

export function DeliveryStatus({ status }: { status: string }) {
  return (
    <span className={`status status-${status} delivery-${status}`} data-status={status}>
      {deliveryStatusLabels[status] ?? status}
    </span>
  );
}

export function WebhookDeliveries({ webhookId }: { webhookId: string }) {
  const trpc = useTRPC();
  const [status, setStatus] = useState<WebhookDeliveryStatus | null>(null);
  // Cursors of the pages before the one shown (paging back pops one).
  const [cursors, setCursors] = useState<(string | undefined)[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [open, setOpen] = useState<string | null>(null);
  const input = { id: webhookId, limit: PAGE, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) };
  const page = useQuery({
    ...trpc.webhooks.deliveries.queryOptions(input),
    placeholderData: (previous) => previous,
    // Only the newest page moves; older pages stay put while being read.
    refetchInterval: cursor ? false : REFRESH_MS,
    staleTime: 0,
  });

  const filter = (next: WebhookDeliveryStatus | null) => {
    setStatus(next);
    setCursor(undefined);
    setCursors([]);
  };

  return (
    <section className="card" aria-labelledby="deliveries-title">
      <div className="toolbar">
        <h2 id="deliveries-title" style={{ margin: 0, fontSize: 16 }}>
          Deliveries
        </h2>
        <span className="spacer" />
        <div className="filter-tabs" role="group" aria-label="Filter deliveries by status">
          {[null, ...webhookDeliveryStatuses].map((s) => (
            <button
              key={s ?? "all"}
              type="button"
              className={`btn btn-sm ${status === s ? "btn-primary" : ""}`}
              aria-pressed={status === s}
              onClick={() => filter(s)}
            >
              {s ? deliveryStatusLabels[s] : "All"}
            </button>
          ))}
        </div>
      </div>
      {page.error ? (
        <div style={{ padding: 16 }}>
          <ErrorNotice error={page.error} onRetry={() => void page.refetch()} title="Could not load deliveries" />
        </div>
      ) : (
        <DeliveriesTable webhookId={webhookId} rows={page.data?.data} open={open} onToggle={(id) => setOpen((cur) => (cur === id ? null : id))} status={status} />
      )}
      <div className="table-foot">
        <span className="muted">{cursor ? "Older deliveries" : `Newest first · refreshed every ${REFRESH_MS / 1000} s`}</span>
        <span className="row">
          <button
            type="button"
            className="btn btn-sm"
            disabled={cursors.length === 0 && !cursor}
            onClick={() => {
              setCursor(cursors.at(-1));
              setCursors((c) => c.slice(0, -1));
            }}
          >
            ← Newer
          </button>
          <button
            type="button"
            className="btn btn-sm"
            disabled={!page.data?.nextCursor}
            onClick={() => {
              setCursors((c) => [...c, cursor]);
              setCursor(page.data?.nextCursor ?? undefined);
            }}
          >
            Older →
          </button>
        </span>
      </div>
    </section>
  );
}

function DeliveriesTable({
  webhookId,
  rows,
  open,
  onToggle,
  status,
}: {
  webhookId: string;
  rows: Delivery[] | undefined;
  open: string | null;
  onToggle: (id: string) => void;
  status: WebhookDeliveryStatus | null;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const retry = useMutation(
    trpc.webhooks.retryDelivery.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.webhooks.deliveries.pathKey() }),
    }),
  );
  return (
    <div className="table-wrap">
      <table className="table table-stack" aria-busy={!rows} data-testid="deliveries-table">
        <caption className="visually-hidden">Deliveries of this webhook, newest first</caption>
        <colgroup>
          <col style={{ width: "24%" }} />
          <col style={{ width: "15%" }} />
          <col style={{ width: "8%" }} />
          <col style={{ width: "23%" }} />
          <col style={{ width: "14%" }} />
          <col style={{ width: "16%" }} />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last answer</th>
            <th scope="col">When</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {!rows
            ? Array.from({ length: 3 }, (_, i) => (
                <tr key={i} aria-hidden="true">
                  {Array.from({ length: 6 }, (_, j) => (
                    <td key={j}>
                      <span className="skeleton" style={{ width: "60%" }} />
                    </td>
                  ))}
                </tr>
              ))
            : null}
          {rows && rows.length === 0 ? (
            <tr>
              <td colSpan={6} style={{ height: "auto", whiteSpace: "normal" }}>
                <div className="empty" data-testid="deliveries-empty">
                  <strong>{status ? `No ${deliveryStatusLabels[status]?.toLowerCase() ?? status} deliveries` : "No deliveries yet"}</strong>
                  Each event this webhook subscribes to becomes a delivery here.
                </div>
              </td>
            </tr>
          ) : null}
          {rows?.map((d) => (
            <Fragment key={d.id}>
              <tr data-delivery-id={d.id} data-event-id={d.eventId} data-status={d.status}>
                <td className="cell-title wrap">
                  <span className="mono">{d.type}</span>
                  <div className="muted mono" style={{ fontWeight: 400, fontSize: 11.5 }} title="webhook-id (the event id)">
                    {d.eventId}
                  </div>
                </td>
                <td className="wrap" data-label="Status">
                  <DeliveryStatus status={d.status} />
                </td>
                <td className="wrap" data-label="Attempts" data-testid="attempts">
                  {d.attempts}
                </td>
                <td className="wrap" data-label="Last answer">
                  {d.lastStatusCode !== null ? <span className="mono">HTTP {d.lastStatusCode}</span> : null}
                  {d.lastError ? (
                    <div className="muted" style={{ fontSize: 12.5, lineHeight: 1.4 }} data-testid="last-error">
                      {d.lastError}
                    </div>
                  ) : d.lastStatusCode === null ? (
                    <span className="muted">—</span>
                  ) : null}
                </td>
                <td className="wrap" data-label={d.deliveredAt ? "Delivered" : d.nextAttemptAt ? "Next attempt" : "Created"}>
                  {d.deliveredAt ? (
                    <RelativeTime ms={d.deliveredAt} />
                  ) : d.nextAttemptAt ? (
                    <span title={formatExact(d.nextAttemptAt)}>
                      next <RelativeTime ms={d.nextAttemptAt} />
                    </span>
                  ) : (
                    <RelativeTime ms={d.createdAt} />
                  )}
                </td>
                <td className="cell-actions" style={{ textAlign: "right" }}>
                  <span className="row" style={{ justifyContent: "flex-end" }}>
                    <button type="button" className="btn btn-sm" aria-expanded={open === d.id} onClick={() => onToggle(d.id)}>
                      Payload
                    </button>
                    {d.status !== "pending" ? (
                      <button
                        type="button"
                        className="btn btn-sm"
                        disabled={retry.isPending && retry.variables.delivery === d.id}
                        onClick={() => retry.mutate({ id: webhookId, delivery: d.id })}
                      >
                        {d.status === "delivered" ? "Send again" : "Retry now"}
                      </button>
                    ) : null}
                  </span>
                </td>
              </tr>
              {open === d.id ? (
                <tr className="delivery-detail">
                  <td colSpan={6}>
                    <SignedPayload delivery={d} />
                  </td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </tbody>
      </table>
      {retry.error ? (
        <div className="form-error" role="alert" style={{ margin: 12 }}>
          {errorMessage(retry.error)}
        </div>
      ) : null}
    </div>
  );
}

function SignedPayload({ delivery: d }: { delivery: Delivery }) {
  return (
    <div data-testid="signed-payload">
      <div className="muted" style={{ fontSize: 12.5 }}>
        POST body signed with the webhook&apos;s secret (Standard Webhooks): headers <code>webhook-id: {d.eventId}</code>,{" "}
        <code>webhook-timestamp</code> (the attempt&apos;s time) and <code>webhook-signature</code> over{" "}
        <code>id.timestamp.body</code>.
      </div>
      {d.payload ? (
        <pre className="payload">{JSON.stringify(d.payload, null, 2)}</pre>
      ) : (
        <p className="muted">The event is no longer retained (past the retention period).</p>
      )}
    </div>
  );
}
