// A coloured badge for a session status or a backfill job status.
import { statusLabels } from "@/lib/format.ts";

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`status status-${status}`} data-status={status}>
      {statusLabels[status] ?? status}
    </span>
  );
}
