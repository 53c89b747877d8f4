// Sessions for the boot storm beyond those the gateway paired itself: plain Baileys clients pair accounts with the
// simulator (cheaper than pairing through the gateway, which a 15-minute run cannot afford 1 000 times), and their
// creds and Signal keys (all but the one-time pre-keys, which stay with the simulator's uploaded bundle) are stored
// as the gateway stores its own: a `working` session row held by the gateway and its auth state, in plain JSON —
// the gateway seals plain rows with its APP_SECRET key when it boots, as after an upgrade from unencrypted storage.
import { readFileSync } from "node:fs";
import { applyAuthKeyChanges, createSession, writeAuthCreds } from "@wa/db/queries";
import type { BenchDatabase } from "./database.ts";
import { pairFleet } from "./raw-floor.ts";

interface Snapshot {
  creds: unknown;
  keys: [string, unknown][];
}

/**
 * Pairs up to `count` accounts with plain clients (chunk by chunk while `more` allows) and stores them as `working`
 * sessions of `gatewayId`. Returns how many and the seconds spent.
 */
export async function storePairedSessions(
  db: BenchDatabase,
  sim: { wsUrl: string; httpUrl: string },
  opts: { count: number; organizationId: string; gatewayId: string; prefix: string; more?: (paired: number, lastChunkS: number) => boolean; chunk?: number },
): Promise<{ count: number; seconds: number }> {
  const started = Date.now();
  const { file } = await pairFleet(sim, opts.count, opts.prefix, opts.more, opts.chunk);
  const snapshots = (JSON.parse(readFileSync(file, "utf8")) as string[]).map((s) => JSON.parse(s) as Snapshot);
  const ids: string[] = [];
  for (const [i, snapshot] of snapshots.entries()) {
    const session = await createSession(db.db, { organizationId: opts.organizationId, gatewayId: opts.gatewayId, label: `stored ${i}` });
    ids.push(session.id);
    // The values keep BufferJSON's `{type: "Buffer", data}` shape, which the gateway's reader revives.
    await writeAuthCreds(db.db, session.id, { value: JSON.stringify(snapshot.creds), sealKeyId: null });
    const upserts = snapshot.keys
      .filter(([key]) => !key.startsWith("pre-key:"))
      .map(([key, value]) => {
        const at = key.indexOf(":");
        return { type: key.slice(0, at), keyId: key.slice(at + 1), value: JSON.stringify(value), sealKeyId: null };
      });
    await applyAuthKeyChanges(db.db, session.id, { upserts, deletes: [] });
  }
  if (ids.length) await db.sql`update wa_sessions set status = 'working' where id = any(${ids})`;
  return { count: ids.length, seconds: (Date.now() - started) / 1000 };
}
