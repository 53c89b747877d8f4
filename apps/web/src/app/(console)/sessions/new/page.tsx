// Organization → New session.
import type { Metadata } from "next";
import Link from "next/link";
import { CreateSessionForm } from "@/components/SessionSettingsForm.tsx";

export const metadata: Metadata = { title: "New session" };

export default function NewSessionPage() {
  return (
    <>
      <div className="page-head">
        <div>
          <div className="crumbs">
            <Link href="/sessions">Sessions</Link> /
          </div>
          <h1>New session</h1>
          <p>A session is one WhatsApp number linked as a device. You pair it with a phone next.</p>
        </div>
      </div>
      <section className="card" style={{ maxWidth: 640 }}>
        <div className="card-body">
          <CreateSessionForm />
        </div>
      </section>
    </>
  );
}
