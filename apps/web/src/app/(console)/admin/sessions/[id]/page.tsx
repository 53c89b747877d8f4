// Super admin → one session and its backfill.
import type { Metadata } from "next";
import Link from "next/link";
import { AdminSessionDetail } from "@/components/AdminSessionDetail.tsx";

export const metadata: Metadata = { title: "Session (admin)" };

export default async function AdminSessionPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <>
      <div className="page-head">
        <div>
          <div className="crumbs">
            <Link href="/admin/sessions">All sessions</Link> /
          </div>
          <h1 className="mono" style={{ fontSize: 18 }}>
            {id}
          </h1>
        </div>
      </div>
      <AdminSessionDetail id={id} />
    </>
  );
}
