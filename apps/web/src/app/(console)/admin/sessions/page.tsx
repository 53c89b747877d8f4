// Super admin → every session across organizations. The first page (as the URL describes it) is fetched from the
// gateway while the HTML renders.
import type { Metadata } from "next";
import { Suspense } from "react";
import { AdminSessionsView } from "@/components/AdminSessionsView.tsx";
import { adminListFilters, parseTableState, readerOf, withCursor } from "@/lib/table-params.ts";
import { Prefetch } from "@/server/prefetch.tsx";
import { getViewer } from "@/server/viewer.ts";

export const metadata: Metadata = { title: "All sessions" };

export default async function AdminSessionsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const state = parseTableState(readerOf(await searchParams));
  const viewer = await getViewer();
  const view = (
    <Suspense>
      <AdminSessionsView />
    </Suspense>
  );
  return (
    <>
      <div className="page-head">
        <div>
          <div className="crumbs">Platform administration</div>
          <h1>All sessions</h1>
          <p>Every organization&apos;s WhatsApp sessions, newest first.</p>
        </div>
      </div>
      {viewer?.user.isSuperAdmin ? (
        <Prefetch
          load={(trpc, qc) => [
            qc.prefetchQuery(trpc.admin.sessions.list.queryOptions(withCursor(adminListFilters(state), state.cursor))),
            qc.prefetchQuery({ ...trpc.admin.organizations.list.queryOptions({}), staleTime: 5 * 60_000 }),
            qc.prefetchQuery(trpc.admin.gateways.list.queryOptions({})),
          ]}
        >
          {view}
        </Prefetch>
      ) : (
        // Not a super admin: the browser asks, the gateway answers 403 and the page says so.
        view
      )}
    </>
  );
}
