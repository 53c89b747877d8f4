// Super admin → Gateways: the gateway processes over this database (several gateways), live.
import type { Metadata } from "next";
import { AdminGatewaysView } from "@/components/AdminGatewaysView.tsx";

export const metadata: Metadata = { title: "Gateways" };

export default function AdminGatewaysPage() {
  return (
    <>
      <div className="page-head">
        <div>
          <div className="crumbs">Platform administration</div>
          <h1>Gateways</h1>
          <p>Each gateway process, the sessions it holds and its heartbeat. A gateway silent for a few seconds is gone: its sessions move to the others.</p>
        </div>
      </div>
      <AdminGatewaysView />
    </>
  );
}
