"use client";
// Super admin → one session: how many messages it received, sent and failed to send, and when the last one was.
// Numbers only: platform admins never see message text or who a message was with.
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { formatCount } from "@/lib/format.ts";
import { useTRPC } from "@/lib/trpc.tsx";
import { ErrorNotice } from "./Notices.tsx";
import { RelativeTime } from "./RelativeTime.tsx";

const REFRESH_MS = 10_000;

export function AdminMessageCounts({ id }: { id: string }) {
  const trpc = useTRPC();
  const counts = useQuery({
    ...trpc.messages.counts.queryOptions({ sessions: [id] }),
    refetchInterval: REFRESH_MS,
  });
  const row = counts.data?.data.find((c) => c.sessionId === id);
  const cell = (k: string, v: ReactNode, testId: string) => (
    <div className="counter" data-testid={`messages-${testId}`}>
      <div className="k">{k}</div>
      <div className="v">{row ? v : <span className="skeleton" style={{ width: "50%" }} />}</div>
    </div>
  );
  return (
    <section className="card" aria-labelledby="message-counts-title" data-testid="message-counts">
      <div className="card-body">
        <h2 id="message-counts-title" style={{ margin: 0 }}>
          Messages
        </h2>
        <p className="muted" style={{ margin: "6px 0 0" }}>
          Counts only: platform admins do not see message text or who it was with.
        </p>
        {counts.error ? (
          <ErrorNotice
            error={counts.error}
            onRetry={() => void counts.refetch()}
            title="Could not load the message counts"
          />
        ) : (
          <div className="counters" aria-busy={row ? "false" : "true"}>
            {cell("Received", row ? formatCount(row.inbound) : null, "inbound")}
            {cell("Sent", row ? formatCount(row.outbound) : null, "outbound")}
            {cell("Failed", row ? formatCount(row.failed) : null, "failed")}
            {cell(
              "Last message",
              row ? <RelativeTime ms={row.lastMessageAt} empty="none yet" /> : null,
              "last",
            )}
          </div>
        )}
      </div>
    </section>
  );
}
