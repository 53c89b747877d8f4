// Super admin → the audit log of every organization.
import type { Metadata } from "next";
import { Suspense } from "react";
import { AuditView } from "@/components/AuditView.tsx";

export const metadata: Metadata = { title: "Audit log (all organizations)" };

export default function Page() {
  return (
    <>
      <div className="page-head">
        <div>
          <div className="crumbs">Platform administration</div>
          <h1>Audit log (all organizations)</h1>
          <p>Changes in every organization, newest first.</p>
        </div>
      </div>
      <Suspense>
        <AuditView scope="platform" />
      </Suspense>
    </>
  );
}
