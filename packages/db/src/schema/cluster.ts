// Session leases: which gateway may hold a session's WhatsApp socket right now, until when, and under which
// fencing epoch (every takeover bumps it; writes carrying an older epoch are refused).
import { bigint, index, pgTable, text } from "drizzle-orm/pg-core";
import { timestampMs } from "./columns.ts";
import { waSessions } from "./whatsapp.ts";

export const sessionLeases = pgTable(
  "session_leases",
  {
    sessionId: text()
      .primaryKey()
      .references(() => waSessions.id, { onDelete: "cascade" }),
    gatewayId: text().notNull(),
    /** Fencing token: +1 on every acquisition, never reused; a write must name the current one. */
    epoch: bigint({ mode: "number" }).notNull(),
    /** Database time (now() + ttl at the last renewal); past it nobody holds the session. */
    expiresAt: timestampMs().notNull(),
  },
  (t) => [
    // bulk renewal of one gateway's leases: UPDATE … WHERE gateway_id = $1 AND expires_at > now()
    index("session_leases_gateway_idx").on(t.gatewayId, t.expiresAt),
  ],
);
export type SessionLease = typeof sessionLeases.$inferSelect;
