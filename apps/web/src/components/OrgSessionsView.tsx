"use client";
// Organization → Sessions: the caller organization's sessions, same table and URL state as the admin view.
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import Link from "next/link";
import { useCallback, useEffect, useMemo } from "react";
import { errorCode } from "@/lib/errors.ts";
import { orgListFilters, withCursor } from "@/lib/table-params.ts";
import { useTableState } from "@/lib/table-state.ts";
import { useConsole, useTRPC, type WASession } from "@/lib/trpc.tsx";
import { NotAllowed } from "./Notices.tsx";
import { TableCard } from "./Cards.tsx";
import { SessionsTable } from "./SessionsTable.tsx";
import { SessionsToolbar } from "./SessionsToolbar.tsx";

export function OrgSessionsView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { viewer } = useConsole();
  const paging = useTableState();
  const { state, setFilters } = paging;
  const canManage = viewer.activeOrganization?.role === "owner" || viewer.activeOrganization?.role === "admin";

  const filters = useMemo(() => orgListFilters(state), [state]);
  const list = useQuery({
    ...trpc.sessions.list.queryOptions(withCursor(filters, state.cursor)),
    placeholderData: keepPreviousData,
  });
  const nextCursor = list.data?.nextCursor;
  useEffect(() => {
    if (!nextCursor || list.isPlaceholderData) return;
    void queryClient.prefetchQuery(trpc.sessions.list.queryOptions({ ...filters, cursor: nextCursor }));
  }, [nextCursor, filters, list.isPlaceholderData, queryClient, trpc]);

  // Status changes arrive live: patch the changed row in every cached page instead of refetching.
  useSubscription(
    trpc.sessions.events.subscriptionOptions(undefined, {
      enabled: errorCode(list.error) !== "forbidden",
      // Changes between the list read and the stream's start would be missed; re-read unless the list is fresh.
      onStarted: () => {
        if (Date.now() - list.dataUpdatedAt > 1000) void queryClient.invalidateQueries({ queryKey: trpc.sessions.list.pathKey() });
      },
      onData: (event) => {
        if ("type" in event.data) return; // the stream's end (renewed by the tRPC client when a token expired)
        const changed = event.data.session;
        queryClient.setQueriesData<{ data: WASession[]; nextCursor: string | null }>(
          { queryKey: trpc.sessions.list.pathKey() },
          (old) => (old ? { ...old, data: old.data.map((s) => (s.id === changed.id ? changed : s)) } : old),
        );
      },
    }),
  );

  const onSearch = useCallback((q: string) => setFilters({ q }), [setFilters]);
  if (errorCode(list.error) === "forbidden") return <NotAllowed what="Your role in this organization cannot list its sessions." />;
  const filtered = state.status.length > 0 || state.q !== "";

  return (
    <TableCard id="sessions-title" title={<>Sessions of {viewer.activeOrganization?.organizationName}</>}>
      <SessionsToolbar
        q={state.q}
        status={state.status}
        onSearch={onSearch}
        onStatus={(status) => setFilters({ status })}
        onClear={() => setFilters({ status: [], q: "" })}
        searchPlaceholder="Search id, label, phone, JID or LID"
      />
      <SessionsTable
        list={list}
        paging={paging}
        showOrganization={false}
        showGateway={false}
        hrefFor={(s) => `/sessions/${s.id}`}
        caption="Your organization's sessions, newest first"
        filtered={filtered}
        emptyHint={
          canManage ? (
            <>
              <Link href="/sessions/new">Create a session</Link> and pair it with a phone to start sending.
            </>
          ) : (
            "An owner or admin of this organization can create one."
          )
        }
      />
    </TableCard>
  );
}
