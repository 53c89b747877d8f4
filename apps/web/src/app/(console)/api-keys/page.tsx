// Organization → API keys.
import type { Metadata } from "next";
import { ApiKeysView } from "@/components/ApiKeysView.tsx";

export const metadata: Metadata = { title: "API keys" };

export default function ApiKeysPage() {
  return (
    <>
      <div className="page-head">
        <div>
          <h1>API keys</h1>
          <p>Keys let scripts and services call the gateway with a fixed set of permissions.</p>
        </div>
      </div>
      <ApiKeysView />
    </>
  );
}
