// Every field of a WASession as a definition list.
import type { ReactNode } from "react";
import { formatExact, formatPhone } from "@/lib/format.ts";
import type { WASession } from "@/lib/trpc.tsx";
import { RelativeTime } from "./RelativeTime.tsx";
import { StatusBadge, StatusReason } from "./StatusBadge.tsx";

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

/** The person who created the session, looked up by the page on the server (the session itself only has an id). */
export interface SessionCreator {
  name: string;
  email: string;
  /** The creator is the person looking at the page. */
  isViewer: boolean;
}

function createdBy(session: WASession, creator: SessionCreator | null | undefined): ReactNode {
  if (creator) {
    return (
      <span data-testid="created-by">
        {creator.isViewer ? "You" : creator.name} <span className="muted">· {creator.email}</span>
      </span>
    );
  }
  // No person: created with an API key (no user), or the account is gone.
  return session.createdByUserId ? maybe(session.createdByUserId) : <span className="muted">—</span>;
}

export function SessionFields({
  session,
  organizationName,
  creator,
}: {
  session: WASession;
  organizationName?: string;
  creator?: SessionCreator | null;
}) {
  const rows: [string, ReactNode][] = [
    [
      "Status",
      <span key="s" className="stack-tight">
        <StatusBadge status={session.status} reason={session.statusReason} />
        <StatusReason reason={session.statusReason} />
      </span>,
    ],
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
    ["Created by", createdBy(session, creator)],
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
