// Creds are stored when they change, not every time Baileys announces them: a reconnect whose login leaves the creds
// as they were writes no creds row (no seal, no round trip: a boot storm reconnects every session at once), while a
// real change is still stored at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, sleep, until, type Harness } from "../../test/harness.ts";
import type { GatewayEngine } from "../engine.ts";

describe("creds writes at connect", () => {
  let h: Harness;
  let engine: GatewayEngine;

  beforeAll(async () => {
    h = await createHarness();
    engine = await h.engine();
  });
  afterAll(async () => {
    await h?.close();
  });

  const credsWrittenAt = async (sessionId: string) => {
    const [row] = await h.db.sql<{ at: string }[]>`select updated_at::text as at from wa_auth_creds where session_id = ${sessionId}`;
    return row?.at ?? null;
  };

  it("[SESSIONS][AUTH]: a reconnect with unchanged creds rewrites nothing; a changed creds announcement is stored", async () => {
    const created = await h.createSession("creds writes");
    const { session: paired } = await h.pair(engine, created.id, { phoneNumber: "6281299900011" });
    // the pairing's own creds saves settle
    await sleep(1_000);
    const creds = await h.readCreds(created.id);
    const writtenAt = await credsWrittenAt(created.id);
    expect(creds).toContain("6281299900011");
    expect(writtenAt).not.toBeNull();

    await engine.sessions.restart(created.id);
    await until(async () => {
      const s = engine.manager.peek(created.id);
      return s?.status === "working" && (s.snapshot().lastConnectedAt ?? 0) > (paired.lastConnectedAt ?? 0);
    }, "working again after the restart");
    // the login's announcements (me with its LID, the props hash) have been handled by now
    await sleep(1_000);
    expect(await credsWrittenAt(created.id)).toBe(writtenAt);
    expect(await h.readCreds(created.id)).toBe(creds);

    // a change is stored
    const live = engine.manager.peek(created.id)?.connection();
    expect(live).not.toBeNull();
    const me = live?.sock.authState.creds.me;
    live?.sock.ev.emit("creds.update", { me: { id: me?.id ?? "", ...me, name: "Renamed Device" } });
    await until(async () => (await h.readCreds(created.id))?.includes("Renamed Device"), "the changed creds stored");
    expect(await credsWrittenAt(created.id)).not.toBe(writtenAt);
  });
});
