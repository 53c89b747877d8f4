// A coloured badge for a session status or a backfill job status; a session's statusReason shows on hover.
import { statusLabels } from "@/lib/format.ts";

export function StatusBadge({ status, reason }: { status: string; reason?: string | null }) {
  return (
    <span className={`status status-${status}`} data-status={status} title={reason ?? undefined}>
      {statusLabels[status] ?? status}
    </span>
  );
}

/** Why a session is in its status or is retrying (the contract's statusReason), in the gateway's words. */
export function StatusReason({ reason }: { reason: string | null }) {
  if (!reason) return null;
  return (
    <p className="status-reason" data-testid="status-reason" role="status">
      {reason}
    </p>
  );
}
