"use client";
// The audit log: who did what, to which object, when and from where; newest first, filtered by action and by actor
// (organization scope) or by organization (platform scope, super admins).
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { auditActions } from "@wa/api/contract";
import { errorCode } from "@/lib/errors.ts";
import { formatExact } from "@/lib/format.ts";
import { pageOf, usePageState } from "@/lib/page-state.ts";
import { useTRPC, type RouterOutputs } from "@/lib/trpc.tsx";
import type { Column } from "./DataTable.tsx";
import { NotAllowed } from "./Notices.tsx";
import { TableCard } from "./Cards.tsx";
import { PagedTable } from "./PagedTable.tsx";
import { RelativeTime } from "./RelativeTime.tsx";

type Entry = RouterOutputs["audit"]["list"]["data"][number];
type Action = Entry["action"];
const FILTERS = ["action", "actor", "org"] as const;

const isAction = (value: string): value is Action => (auditActions as readonly string[]).includes(value);

/** The details of an entry in one readable line (they never hold secrets). */
function describe(details: Record<string, unknown>): string {
  return Object.entries(details)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(" · ");
}

export function AuditView({ scope }: { scope: "organization" | "platform" }) {
  const trpc = useTRPC();
  const paging = usePageState(FILTERS);
  const { state, setFilters } = paging;
  const { action, actor, org } = state.filters;
  const filters = isAction(action) ? { action } : {};
  const orgQuery = useQuery({
    ...trpc.audit.list.queryOptions({ ...pageOf(state), ...filters, ...(actor ? { actor } : {}) }),
    placeholderData: keepPreviousData,
    retry: false,
    enabled: scope === "organization",
  });
  const adminQuery = useQuery({
    ...trpc.admin.audit.list.queryOptions({ ...pageOf(state), ...filters, ...(org ? { organizationId: org } : {}) }),
    placeholderData: keepPreviousData,
    retry: false,
    enabled: scope === "platform",
  });
  const list = scope === "organization" ? orgQuery : adminQuery;
  const organizations = useQuery({ ...trpc.admin.organizations.list.queryOptions({}), staleTime: 5 * 60_000, enabled: scope === "platform" });
  const names = new Map(organizations.data?.data.map((o) => [o.id, o.name]));

  if (errorCode(list.error) === "forbidden") {
    return (
      <NotAllowed
        what={scope === "organization" ? "Only owners and admins of this organization can read its audit log." : "Only platform super admins can read every organization's audit log."}
      />
    );
  }
  const columns: Column<Entry>[] = [
    { header: "When", width: "13%", cell: (e) => <span title={formatExact(e.createdAt)}><RelativeTime ms={e.createdAt} /></span> },
    {
      header: "Actor",
      width: "17%",
      cell: (e) => (
        <button type="button" className="link-button" title={`Only ${e.actor.kind === "user" ? "this person" : "this key"} (${e.actor.id})`} onClick={() => setFilters({ actor: e.actor.id })} disabled={scope === "platform"}>
          {e.actor.name}
          {e.actor.kind === "api_key" ? <span className="muted"> (key)</span> : null}
        </button>
      ),
    },
    { header: "Action", width: "15%", className: "mono", cell: (e) => e.action },
    ...(scope === "platform" ? [{ header: "Organization", width: "13%", cell: (e: Entry) => names.get(e.organizationId) ?? <span className="mono muted">{e.organizationId}</span> }] : []),
    { header: "Target", width: "14%", cell: (e) => <span className="mono" title={e.targetId ?? undefined}>{e.targetType}{e.targetId ? ` ${e.targetId.slice(-8)}` : ""}</span> },
    { header: "Details", className: "wrap", cell: (e) => <span className="muted">{describe(e.details)}</span> },
    { header: "Address", width: "10%", className: "mono", cell: (e) => e.ip ?? "—" },
  ];
  const filtered = action || actor || org;
  return (
    <TableCard id="audit-title" title="Audit log">
      <div className="toolbar">
        <label htmlFor="audit-action" className="visually-hidden">
          Action
        </label>
        <select id="audit-action" className="select" value={action} onChange={(e) => setFilters({ action: e.target.value })}>
          <option value="">All actions</option>
          {auditActions.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
        {scope === "platform" ? (
          <>
            <label htmlFor="audit-org" className="visually-hidden">
              Organization
            </label>
            <select id="audit-org" className="select" value={org} onChange={(e) => setFilters({ org: e.target.value })}>
              <option value="">All organizations</option>
              {organizations.data?.data.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          </>
        ) : actor ? (
          <span className="tag">
            actor {actor}{" "}
            <button type="button" className="link-button" aria-label="Clear the actor filter" onClick={() => setFilters({ actor: "" })}>
              ✕
            </button>
          </span>
        ) : null}
        <span className="spacer" />
        {filtered ? (
          <button type="button" className="btn btn-sm" onClick={() => setFilters({ action: "", actor: "", org: "" })}>
            Clear filters
          </button>
        ) : null}
      </div>
      <PagedTable
        list={list}
        paging={paging}
        errorTitle="Could not load the audit log"
        columns={columns}
        rowKey={(e) => e.id}
        caption="Audit log, newest first"
        testId="audit-table"
        empty={
          filtered ? (
            <>
              <strong>No entries match these filters</strong>
              Try another action or clear the filters.
            </>
          ) : (
            <>
              <strong>Nothing recorded yet</strong>
              Changes by people and api-keys (sessions, keys, members) appear here as they happen.
            </>
          )
        }
      />
    </TableCard>
  );
}
