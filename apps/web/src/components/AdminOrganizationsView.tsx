"use client";
// Super admin → Organizations: every organization with member and session counts, by name, paged and searchable;
// each leads to its sessions (the sessions table, filtered) and its audit log.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { errorCode } from "@/lib/errors.ts";
import { pageOf, usePageState } from "@/lib/page-state.ts";
import { useTRPC, type RouterOutputs } from "@/lib/trpc.tsx";
import type { Column } from "./DataTable.tsx";
import { NotAllowed } from "./Notices.tsx";
import { TableCard } from "./Cards.tsx";
import { PagedTable } from "./PagedTable.tsx";
import { RelativeTime } from "./RelativeTime.tsx";

type Organization = RouterOutputs["admin"]["organizations"]["summaries"]["data"][number];
const FILTERS = ["q"] as const;

export function AdminOrganizationsView() {
  const trpc = useTRPC();
  const paging = usePageState(FILTERS);
  const { state, setFilters } = paging;
  const { q } = state.filters;
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  useEffect(() => {
    const value = text.trim();
    if (value === q) return;
    const timer = setTimeout(() => setFilters({ q: value }), 300);
    return () => clearTimeout(timer);
  }, [text, q, setFilters]);

  const list = useQuery({
    ...trpc.admin.organizations.summaries.queryOptions({ ...pageOf(state), ...(q ? { q } : {}) }),
    placeholderData: keepPreviousData,
    retry: false,
  });
  if (errorCode(list.error) === "forbidden") return <NotAllowed what="Only platform super admins can see every organization." />;

  const columns: Column<Organization>[] = [
    { header: "Name", width: "30%", cell: (o) => <span title={o.id}>{o.name}</span> },
    { header: "Members", width: "12%", cell: (o) => o.members },
    { header: "Sessions", width: "12%", cell: (o) => o.sessions },
    { header: "Created", width: "14%", cell: (o) => <RelativeTime ms={o.createdAt} /> },
    {
      header: "Open",
      cell: (o) => (
        <span className="row">
          <Link className="btn btn-sm" prefetch={false} href={`/admin/sessions?org=${encodeURIComponent(o.id)}`}>
            Sessions
          </Link>
          <Link className="btn btn-sm" prefetch={false} href={`/admin/audit?org=${encodeURIComponent(o.id)}`}>
            Audit log
          </Link>
        </span>
      ),
    },
  ];
  return (
    <TableCard id="orgs-title" title="Organizations">
      <div className="toolbar">
        <label htmlFor="org-search" className="visually-hidden">
          Search organizations
        </label>
        <input id="org-search" className="input search" type="search" placeholder="Search name or id" value={text} onChange={(e) => setText(e.target.value)} />
      </div>
      <PagedTable
        list={list}
        paging={paging}
        errorTitle="Could not load organizations"
        columns={columns}
        rowKey={(o) => o.id}
        caption="Organizations by name"
        testId="organizations-table"
        empty={
          q ? (
            <>
              <strong>No organization matches “{q}”</strong>
              Try part of the name, or the exact id.
            </>
          ) : (
            <>
              <strong>No organizations yet</strong>
              They appear when people sign up.
            </>
          )
        }
      />
    </TableCard>
  );
}
