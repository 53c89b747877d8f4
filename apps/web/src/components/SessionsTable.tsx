"use client";
// The sessions table shared by the admin and organization views: the paged table over session columns, each row
// leading to its session (the whole row is a link target, the label a real link).
import Link from "next/link";
import { useRouter } from "next/navigation";
import type { ReactNode } from "react";
import { formatPhone } from "@/lib/format.ts";
import type { WASession } from "@/lib/trpc.tsx";
import type { Column } from "./DataTable.tsx";
import { PagedTable, type ListQuery, type Paging } from "./PagedTable.tsx";
import { RelativeTime } from "./RelativeTime.tsx";
import { StatusBadge } from "./StatusBadge.tsx";

interface Props {
  list: ListQuery<WASession>;
  paging: Paging;
  showOrganization: boolean;
  showGateway: boolean;
  organizationName?: (id: string) => string | undefined;
  hrefFor: (session: WASession) => string;
  /** Whether a filter or search narrows the list (the empty state says so). */
  filtered: boolean;
  /** Under "No sessions yet" when nothing narrows the list: where sessions come from. */
  emptyHint: ReactNode;
  caption: string;
}

function sessionColumns(props: Props): Column<WASession>[] {
  return [
    {
      header: "Label",
      width: "22%",
      cellProps: (s) => ({ title: s.label ?? s.id }),
      cell: (s) => (
        <Link href={props.hrefFor(s)} prefetch={false}>
          {s.label ?? <span className="muted">Untitled</span>}
        </Link>
      ),
    },
    { header: "Phone number", width: "15%", className: "mono", cell: (s) => formatPhone(s.phoneNumber) },
    { header: "Status", width: "13%", cell: (s) => <StatusBadge status={s.status} reason={s.statusReason} /> },
    ...(props.showOrganization
      ? [
          {
            header: "Organization",
            width: "16%",
            cellProps: (s: WASession) => ({ title: s.organizationId }),
            cell: (s: WASession) => props.organizationName?.(s.organizationId) ?? <span className="muted mono">{s.organizationId}</span>,
          },
        ]
      : []),
    ...(props.showGateway ? [{ header: "Gateway", width: "11%", className: "mono", cell: (s: WASession) => s.gatewayId }] : []),
    { header: "Last connected", width: "12%", cell: (s) => <RelativeTime ms={s.lastConnectedAt} empty="Never" /> },
    { header: "Created", width: "11%", cell: (s) => <RelativeTime ms={s.createdAt} /> },
  ];
}

export function SessionsTable(props: Props) {
  const router = useRouter();
  return (
    <PagedTable
      list={props.list}
      paging={props.paging}
      errorTitle="Could not load sessions"
      columns={sessionColumns(props)}
      rowKey={(s) => s.id}
      rowProps={(s) => ({
        className: "clickable",
        "data-session-id": s.id,
        onClick: (e) => {
          if ((e.target as HTMLElement).closest("a")) return;
          router.push(props.hrefFor(s));
        },
      })}
      maxSkeletonRows={12}
      countRows
      caption={props.caption}
      testId="sessions-table"
      empty={
        props.filtered ? (
          <>
            <strong>No sessions match these filters</strong>
            Try another search or clear the filters.
          </>
        ) : (
          <>
            <strong>No sessions yet</strong>
            {props.emptyHint}
          </>
        )
      }
    />
  );
}
