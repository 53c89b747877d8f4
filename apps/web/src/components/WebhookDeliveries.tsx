"use client";
// One webhook's deliveries, newest first: status filter, attempts, last answer or error, next attempt, a retry
// button, and the signed payload (the POST body as sent, its `webhook-id` being the event id). The first page
// refreshes every few seconds, so attempts and retries show as they happen.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { webhookDeliveryStatuses, type WebhookDeliveryStatus } from "@wa/api/contract";
import { useState } from "react";
import { formatExact } from "@/lib/format.ts";
import { useTRPC, type RouterOutputs } from "@/lib/trpc.tsx";
import type { Column } from "./DataTable.tsx";
import { ActionError } from "./Notices.tsx";
import { ListTable, type ListQuery } from "./PagedTable.tsx";
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
      <DeliveriesTable webhookId={webhookId} list={page} open={open} onToggle={(id) => setOpen((cur) => (cur === id ? null : id))} status={status} />
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

function LastAnswer({ delivery: d }: { delivery: Delivery }) {
  return (
    <>
      {d.lastStatusCode !== null ? <span className="mono">HTTP {d.lastStatusCode}</span> : null}
      {d.lastError ? (
        <div className="muted" style={{ fontSize: 12.5, lineHeight: 1.4 }} data-testid="last-error">
          {d.lastError}
        </div>
      ) : d.lastStatusCode === null ? (
        <span className="muted">—</span>
      ) : null}
    </>
  );
}

function When({ delivery: d }: { delivery: Delivery }) {
  if (d.deliveredAt) return <RelativeTime ms={d.deliveredAt} />;
  if (!d.nextAttemptAt) return <RelativeTime ms={d.createdAt} />;
  return (
    <span title={formatExact(d.nextAttemptAt)}>
      next <RelativeTime ms={d.nextAttemptAt} />
    </span>
  );
}

function DeliveriesTable({
  webhookId,
  list,
  open,
  onToggle,
  status,
}: {
  webhookId: string;
  list: ListQuery<Delivery>;
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
  const columns: Column<Delivery>[] = [
    {
      header: "Event",
      width: "24%",
      className: "wrap",
      cell: (d) => (
        <>
          <span className="mono">{d.type}</span>
          <div className="muted mono" style={{ fontWeight: 400, fontSize: 11.5 }} title="webhook-id (the event id)">
            {d.eventId}
          </div>
        </>
      ),
    },
    { header: "Status", width: "15%", className: "wrap", cell: (d) => <DeliveryStatus status={d.status} /> },
    { header: "Attempts", width: "8%", className: "wrap", cellProps: () => ({ "data-testid": "attempts" }), cell: (d) => d.attempts },
    { header: "Last answer", width: "23%", className: "wrap", cell: (d) => <LastAnswer delivery={d} /> },
    {
      header: "When",
      width: "14%",
      className: "wrap",
      label: (d) => (d.deliveredAt ? "Delivered" : d.nextAttemptAt ? "Next attempt" : "Created"),
      cell: (d) => <When delivery={d} />,
    },
    {
      header: "Actions",
      actions: true,
      width: "16%",
      cell: (d) => (
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
      ),
    },
  ];
  return (
    <ListTable
      list={list}
      errorTitle="Could not load deliveries"
      columns={columns}
      rowKey={(d) => d.id}
      rowProps={(d) => ({ "data-delivery-id": d.id, "data-event-id": d.eventId, "data-status": d.status })}
      rowDetail={(d) => (open === d.id ? <SignedPayload delivery={d} /> : null)}
      detailClassName="delivery-detail"
      caption="Deliveries of this webhook, newest first"
      testId="deliveries-table"
      emptyTestId="deliveries-empty"
      empty={
        <>
          <strong>{status ? `No ${deliveryStatusLabels[status]?.toLowerCase() ?? status} deliveries` : "No deliveries yet"}</strong>
          Each event this webhook subscribes to becomes a delivery here.
        </>
      }
    >
      <ActionError error={retry.error} />
    </ListTable>
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
