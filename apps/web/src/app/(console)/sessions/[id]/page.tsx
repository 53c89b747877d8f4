// Organization → one session (pairing, actions, settings).
import type { Metadata } from "next";
import Link from "next/link";
import { SessionView } from "@/components/SessionView.tsx";

export const metadata: Metadata = { title: "Session" };

export default async function SessionPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <>
      <div className="page-head">
        <div>
          <div className="crumbs">
            <Link href="/sessions">Sessions</Link> /
          </div>
          <h1 className="mono" style={{ fontSize: 18 }}>
            {id}
          </h1>
        </div>
      </div>
      <SessionView id={id} />
    </>
  );
}
