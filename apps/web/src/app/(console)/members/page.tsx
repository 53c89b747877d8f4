// Organization → Members (the browser fetches them; URL holds the page).
import type { Metadata } from "next";
import { Suspense } from "react";
import { MembersView } from "@/components/MembersView.tsx";

export const metadata: Metadata = { title: "Members" };

export default function Page() {
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Members</h1>
          <p>People in this organization and their roles.</p>
        </div>
      </div>
      <Suspense>
        <MembersView />
      </Suspense>
    </>
  );
}
