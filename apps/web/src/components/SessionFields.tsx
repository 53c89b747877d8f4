// Every field of a WASession as a definition list.
import type { ReactNode } from "react";
import { formatExact, formatPhone } from "@/lib/format.ts";
import type { WASession } from "@/lib/trpc.tsx";
import { RelativeTime } from "./RelativeTime.tsx";
import { StatusBadge } from "./StatusBadge.tsx";

const time = (ms: number | null) =>
  ms === null ? <span className="muted">—</span> : (
    <>
      <RelativeTime ms={ms} />{" "}
      <span className="muted" suppressHydrationWarning>
        · {formatExact(ms)}
      </span>
    </>
  );
const maybe = (v: string | null) => (v ? <span className="mono">{v}</span> : <span className="muted">—</span>);
const yesNo = (v: boolean) => (v ? "Yes" : "No");

export function SessionFields({ session, organizationName }: { session: WASession; organizationName?: string }) {
  const rows: [string, ReactNode][] = [
    ["Status", <StatusBadge key="s" status={session.status} />],
    ["Label", session.label ?? <span className="muted">Untitled</span>],
    ["Session id", <span key="i" className="mono">{session.id}</span>],
    ["Organization", organizationName ? <>{organizationName} <span className="muted mono">({session.organizationId})</span></> : maybe(session.organizationId)],
    ["Gateway", maybe(session.gatewayId)],
    ["Phone number", <span key="p" className="mono">{formatPhone(session.phoneNumber)}</span>],
    ["WhatsApp JID", maybe(session.waJid)],
    ["WhatsApp LID", maybe(session.waLid)],
    ["Admin session", yesNo(session.isAdminSession)],
    ["Auto read", yesNo(session.autoRead)],
    ["Typing presence", yesNo(session.presenceTyping)],
    ["Rate limits", `${session.ratePerMin} / minute · ${session.ratePerHour} / hour`],
    ["Created by", maybe(session.createdByUserId)],
    ["Created", time(session.createdAt)],
    ["Updated", time(session.updatedAt)],
    ["Last connected", time(session.lastConnectedAt)],
  ];
  return (
    <dl className="fields" data-testid="session-fields">
      {rows.map(([k, v]) => (
        <div key={k} style={{ display: "contents" }}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
