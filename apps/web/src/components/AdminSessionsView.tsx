"use client";
// Super admin → Sessions: every session across organizations, cursor-paginated on the server, state in the URL.
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo } from "react";
import { errorCode } from "@/lib/errors.ts";
import { adminListFilters, withCursor } from "@/lib/table-params.ts";
import { useTableState } from "@/lib/table-state.ts";
import { useTRPC } from "@/lib/trpc.tsx";
import { NotAllowed } from "./Notices.tsx";
import { TableCard } from "./Cards.tsx";
import { SessionsTable } from "./SessionsTable.tsx";
import { SessionsToolbar } from "./SessionsToolbar.tsx";

export function AdminSessionsView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const paging = useTableState();
  const { state, setFilters } = paging;

  const filters = useMemo(() => adminListFilters(state), [state]);
  const list = useQuery({
    ...trpc.admin.sessions.list.queryOptions(withCursor(filters, state.cursor)),
    placeholderData: keepPreviousData,
  });
  const forbidden = errorCode(list.error) === "forbidden";
  const organizations = useQuery({ ...trpc.admin.organizations.list.queryOptions({}), staleTime: 5 * 60_000, enabled: !forbidden });
  const gateways = useQuery({ ...trpc.admin.gateways.list.queryOptions({}), staleTime: 60_000, enabled: !forbidden });

  // Fetch the next page ahead of the click, so paging feels instant.
  const nextCursor = list.data?.nextCursor;
  useEffect(() => {
    if (!nextCursor || list.isPlaceholderData) return;
    void queryClient.prefetchQuery(trpc.admin.sessions.list.queryOptions({ ...filters, cursor: nextCursor }));
  }, [nextCursor, filters, list.isPlaceholderData, queryClient, trpc]);

  const names = useMemo(() => new Map(organizations.data?.data.map((o) => [o.id, o.name])), [organizations.data]);
  const organizationName = useCallback((id: string) => names.get(id), [names]);
  const onSearch = useCallback((q: string) => setFilters({ q }), [setFilters]);

  if (forbidden) return <NotAllowed what="Only platform super admins can see sessions across every organization." />;

  const filtered = state.status.length > 0 || Boolean(state.org || state.gw || state.q);
  return (
    <TableCard id="sessions-title" title="All sessions">
      <SessionsToolbar
        q={state.q}
        status={state.status}
        onSearch={onSearch}
        onStatus={(status) => setFilters({ status })}
        onClear={() => setFilters({ status: [], org: "", gw: "", q: "" })}
        organizations={organizations.data?.data}
        org={state.org}
        onOrg={(org) => setFilters({ org })}
        gateways={gateways.data?.data}
        gw={state.gw}
        onGateway={(gw) => setFilters({ gw })}
        searchPlaceholder="Search id, label, phone, JID or LID"
      />
      <SessionsTable
        list={list}
        paging={paging}
        showOrganization
        showGateway
        organizationName={organizationName}
        hrefFor={(s) => `/admin/sessions/${s.id}`}
        caption="Sessions across every organization, newest first"
        filtered={filtered}
        emptyHint="Sessions appear here when an organization creates one."
      />
    </TableCard>
  );
}
