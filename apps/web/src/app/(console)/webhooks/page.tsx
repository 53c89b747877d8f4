// Organization → Webhooks.
import type { Metadata } from "next";
import { WebhooksView } from "@/components/WebhooksView.tsx";

export const metadata: Metadata = { title: "Webhooks" };

export default function WebhooksPage() {
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Webhooks</h1>
          <p>The gateway POSTs each event of your organization to these endpoints, signed, and retries until they answer.</p>
        </div>
      </div>
      <WebhooksView />
    </>
  );
}
