// Super admin → every organization with its counts.
import type { Metadata } from "next";
import { Suspense } from "react";
import { AdminOrganizationsView } from "@/components/AdminOrganizationsView.tsx";

export const metadata: Metadata = { title: "Organizations" };

export default function Page() {
  return (
    <>
      <div className="page-head">
        <div>
          <div className="crumbs">Platform administration</div>
          <h1>Organizations</h1>
          <p>Every organization, with its members and sessions.</p>
        </div>
      </div>
      <Suspense>
        <AdminOrganizationsView />
      </Suspense>
    </>
  );
}
