// Organization → Invitations: invite by link, pending invitations.
import type { Metadata } from "next";
import { Suspense } from "react";
import { InvitationsView } from "@/components/InvitationsView.tsx";

export const metadata: Metadata = { title: "Invitations" };

export default function Page() {
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Invitations</h1>
          <p>Invite a colleague by email; the link works once.</p>
        </div>
      </div>
      <Suspense>
        <InvitationsView />
      </Suspense>
    </>
  );
}
