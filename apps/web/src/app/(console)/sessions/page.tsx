// Organization → Sessions.
import type { Metadata } from "next";
import Link from "next/link";
import { Suspense } from "react";
import { OrgSessionsView } from "@/components/OrgSessionsView.tsx";
import { orgListFilters, parseTableState, readerOf, withCursor } from "@/lib/table-params.ts";
import { Prefetch } from "@/server/prefetch.tsx";
import { getViewer } from "@/server/viewer.ts";

export const metadata: Metadata = { title: "Sessions" };

export default async function SessionsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const state = parseTableState(readerOf(await searchParams));
  const viewer = await getViewer();
  const org = viewer?.activeOrganization;
  const canManage = org?.role === "owner" || org?.role === "admin";
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Sessions</h1>
          <p>WhatsApp numbers of {org?.organizationName ?? "your organization"}.</p>
        </div>
        {canManage ? (
          <Link href="/sessions/new" className="btn btn-primary">
            New session
          </Link>
        ) : null}
      </div>
      <Prefetch load={(trpc, qc) => [qc.prefetchQuery(trpc.sessions.list.queryOptions(withCursor(orgListFilters(state), state.cursor)))]}>
        <Suspense>
          <OrgSessionsView />
        </Suspense>
      </Prefetch>
    </>
  );
}
