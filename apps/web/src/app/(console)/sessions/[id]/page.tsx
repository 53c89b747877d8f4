// Organization → one session (pairing, actions, settings); its data comes with the HTML.
import type { Metadata } from "next";
import Link from "next/link";
import { SessionEventsPanel } from "@/components/SessionEventsPanel.tsx";
import { SessionTitle } from "@/components/SessionTitle.tsx";
import { SessionView } from "@/components/SessionView.tsx";
import { sessionCreator } from "@/server/people.ts";
import { Prefetch } from "@/server/prefetch.tsx";
import { getViewer } from "@/server/viewer.ts";

export const metadata: Metadata = { title: "Session" };

export default async function SessionPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const viewer = await getViewer();
  const creator = viewer ? await sessionCreator(viewer, id, "organization") : null;
  return (
    <Prefetch
      load={(trpc, qc) => [
        qc.prefetchQuery(trpc.sessions.get.queryOptions({ session: id })),
        qc.prefetchQuery({ ...trpc.system.info.queryOptions({}), staleTime: Infinity }),
      ]}
    >
      <div className="page-head">
        <div>
          <div className="crumbs">
            <Link href="/sessions">Sessions</Link> /
          </div>
          <SessionTitle id={id} admin={false} />
        </div>
      </div>
      <SessionView id={id} creator={creator} />
      <div style={{ marginTop: 16 }}>
        <SessionEventsPanel sessionId={id} />
      </div>
    </Prefetch>
  );
}
