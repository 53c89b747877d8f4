// Organization → one webhook: settings, secret rotation, deletion and its deliveries.
import type { Metadata } from "next";
import Link from "next/link";
import { WebhookDetail } from "@/components/WebhookDetail.tsx";

export const metadata: Metadata = { title: "Webhook" };

export default async function WebhookPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <>
      <div className="page-head">
        <div>
          <div className="crumbs">
            <Link href="/webhooks">Webhooks</Link> /
          </div>
          <h1>Webhook</h1>
        </div>
      </div>
      <WebhookDetail id={id} />
    </>
  );
}
