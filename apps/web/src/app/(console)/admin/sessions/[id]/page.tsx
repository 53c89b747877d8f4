// Super admin → one session and its backfill; the session and the last job come with the HTML.
import type { Metadata } from "next";
import Link from "next/link";
import { AdminSessionDetail } from "@/components/AdminSessionDetail.tsx";
import { SessionTitle } from "@/components/SessionTitle.tsx";
import { sessionCreator } from "@/server/people.ts";
import { Prefetch } from "@/server/prefetch.tsx";
import { getViewer } from "@/server/viewer.ts";

export const metadata: Metadata = { title: "Session (admin)" };

export default async function AdminSessionPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const viewer = await getViewer();
  const creator = viewer?.user.isSuperAdmin ? await sessionCreator(viewer, id, "platform") : null;
  const content = (
    <>
      <div className="page-head">
        <div>
          <div className="crumbs">
            <Link href="/admin/sessions">All sessions</Link> /
          </div>
          <SessionTitle id={id} admin />
        </div>
      </div>
      <AdminSessionDetail id={id} creator={creator} />
    </>
  );
  if (!viewer?.user.isSuperAdmin) return content;
  return (
    <Prefetch
      load={(trpc, qc) => [
        qc.prefetchQuery(trpc.admin.sessions.get.queryOptions({ session: id })),
        qc.prefetchQuery(trpc.admin.sessions.backfill.queryOptions({ session: id })),
        qc.prefetchQuery({ ...trpc.admin.organizations.list.queryOptions({}), staleTime: 5 * 60_000 }),
      ]}
    >
      {content}
    </Prefetch>
  );
}
