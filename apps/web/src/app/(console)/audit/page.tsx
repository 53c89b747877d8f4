// Organization → Audit log (owners and admins).
import type { Metadata } from "next";
import { Suspense } from "react";
import { AuditView } from "@/components/AuditView.tsx";

export const metadata: Metadata = { title: "Audit log" };

export default function Page() {
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Audit log</h1>
          <p>Who changed what in this organization, newest first.</p>
        </div>
      </div>
      <Suspense>
        <AuditView scope="organization" />
      </Suspense>
    </>
  );
}
