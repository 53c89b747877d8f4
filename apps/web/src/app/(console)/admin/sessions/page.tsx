// Super admin → every session across organizations.
import type { Metadata } from "next";
import { Suspense } from "react";
import { AdminSessionsView } from "@/components/AdminSessionsView.tsx";

export const metadata: Metadata = { title: "All sessions" };

export default function AdminSessionsPage() {
  return (
    <>
      <div className="page-head">
        <div>
          <div className="crumbs">Platform administration</div>
          <h1>All sessions</h1>
          <p>Every organization&apos;s WhatsApp sessions, newest first.</p>
        </div>
      </div>
      <Suspense>
        <AdminSessionsView />
      </Suspense>
    </>
  );
}
