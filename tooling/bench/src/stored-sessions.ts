// Sessions for the boot storm beyond those the gateway paired itself: the simulator mints linked companions (the
// state a pairing and its first login leave, POST /sim/companions:mint — a few ms each where a pairing costs the
// gateway hundreds), and their creds and Signal keys are stored as the gateway stores its own: a `working` session
// row held by the gateway and its auth state, sealed with the bench gateways' APP_SECRET as the gateway seals its own
// writes. (Plain rows would be sealed by the next gateway to boot, row by row before any session starts: a one-time
// upgrade step that a boot storm must not include.)
import { mintCompanions, toBufferJson, type MintedCompanion } from "@wa/wa-sim";
import { applyAuthKeyChanges, createSession, writeAuthCreds } from "@wa/db/queries";
import { authCipherFor, credsAad, keyAad, PLAIN_KEY_TYPES } from "@wa/gateway/auth-cipher";
import type { BenchDatabase } from "./database.ts";
import { pool } from "./pairing.ts";
import { BENCH_APP_SECRET } from "./processes.ts";

/** Companions per mint request (its answer is about 8 KiB each). */
const MINT_CHUNK = 250;
/** Sessions stored at once (each is three statements on its own connection of the pool). */
const STORE_CONCURRENCY = 8;

/** Seconds spent minting (simulator) and storing (database) `count` sessions. */
export interface StoredSessions {
  count: number;
  mintSeconds: number;
  storeSeconds: number;
}

/**
 * Mints `count` companions on accounts `prefix` + (firstIndex + i) in 7 digits and stores them as `working`
 * sessions of `gatewayId` in `organizationId`.
 */
export async function storeMintedSessions(
  db: BenchDatabase,
  simHttpUrl: string,
  opts: { count: number; organizationId: string; gatewayId: string; prefix: string; firstIndex?: number; scenario?: object },
): Promise<StoredSessions> {
  const first = opts.firstIndex ?? 0;
  let mintMs = 0;
  let storeMs = 0;
  for (let done = 0; done < opts.count; done += MINT_CHUNK) {
    const t0 = Date.now();
    const minted = await mintCompanions(simHttpUrl, {
      count: Math.min(MINT_CHUNK, opts.count - done),
      phonePrefix: opts.prefix,
      firstIndex: first + done,
      scenario: opts.scenario,
    });
    const t1 = Date.now();
    mintMs += t1 - t0;
    const ids = await pool(minted, STORE_CONCURRENCY, async (m, i) => {
      const session = await createSession(db.db, { organizationId: opts.organizationId, gatewayId: opts.gatewayId, label: `minted ${first + done + i}` });
      await storeMintedAuthState(db, session.id, m);
      return session.id;
    });
    await db.sql`update wa_sessions set status = 'working' where id = any(${ids})`;
    storeMs += Date.now() - t1;
  }
  return { count: opts.count, mintSeconds: mintMs / 1000, storeSeconds: storeMs / 1000 };
}

/**
 * A minted companion's Baileys auth state, stored as the gateway stores a session's: JSON in BufferJSON's
 * `{type: "Buffer", data}` shape, sealed under `appSecret` (the secret the bench's gateways run with) except the key
 * types the gateway keeps plain.
 */
export async function storeMintedAuthState(
  db: BenchDatabase,
  sessionId: string,
  minted: MintedCompanion,
  appSecret = BENCH_APP_SECRET,
): Promise<void> {
  const cipher = authCipherFor({ current: appSecret });
  await writeAuthCreds(db.db, sessionId, cipher.seal(toBufferJson(minted.creds), credsAad(sessionId)));
  const upserts = minted.keys.map(([key, value]) => {
    const at = key.indexOf(":");
    const type = key.slice(0, at);
    const keyId = key.slice(at + 1);
    const json = toBufferJson(value);
    const sealed = PLAIN_KEY_TYPES.includes(type) ? { value: json, sealKeyId: null } : cipher.seal(json, keyAad(sessionId, type, keyId));
    return { type, keyId, ...sealed };
  });
  await applyAuthKeyChanges(db.db, sessionId, { upserts, deletes: [] });
}
