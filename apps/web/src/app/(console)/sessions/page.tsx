// Organization → Sessions.
import type { Metadata } from "next";
import Link from "next/link";
import { Suspense } from "react";
import { OrgSessionsView } from "@/components/OrgSessionsView.tsx";
import { getViewer } from "@/server/viewer.ts";

export const metadata: Metadata = { title: "Sessions" };

export default async function SessionsPage() {
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
      <Suspense>
        <OrgSessionsView />
      </Suspense>
    </>
  );
}
