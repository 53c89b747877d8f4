// The rate windows on the database (PGlite or PostgreSQL): slots inside the window count, older ones do not, and
// the wait until a slot frees is measured from the oldest slot that must leave.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { newId } from "../ids.ts";
import { organizations } from "../schema/index.ts";
import { createSession } from "./sessions.ts";
import { checkRateWindows } from "./rate-limits.ts";
import { createOutboundMessage, lockSessionForSend } from "./outbox.ts";

describe("rate windows", () => {
  let t: TestDatabase;
  let sessionId: string;
  let organizationId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    organizationId = newId();
    await t.db.insert(organizations).values({ id: organizationId, name: "rates" });
    sessionId = (await createSession(t.db, { organizationId, gatewayId: "gw" })).id;
  });
  afterAll(async () => {
    await t?.close();
  });

  const slot = (ageMs: number) =>
    t.db.transaction(async (tx) => {
      await lockSessionForSend(tx, sessionId);
      await createOutboundMessage(tx, {
        organizationId,
        sessionId,
        waMessageId: newId(),
        chatJid: "1234567@s.whatsapp.net",
        chatType: "dm",
        body: "x",
        quotedMessageId: null,
        mentions: [],
        senderJid: null,
        mode: "sync",
        state: "sending",
        slotAt: new Date(Date.now() - ageMs),
        claimedBy: "test",
      });
    });

  it("counts slots in the minute and the hour; the wait is until the oldest counted slot leaves", async () => {
    await slot(90_000); // in the hour only
    await slot(30_000);
    await slot(10_000);
    const fits = await t.db.transaction((tx) => checkRateWindows(tx, sessionId, { ratePerMin: 3, ratePerHour: 10 }));
    expect(fits.allowed).toBe(true);
    const full = await t.db.transaction((tx) => checkRateWindows(tx, sessionId, { ratePerMin: 2, ratePerHour: 10 }));
    expect(full).toMatchObject({ allowed: false, window: "minute" });
    // the slot 30 s old leaves the minute in about 30 s
    if (!full.allowed) expect(Math.abs(full.retryAfterMs - 30_000)).toBeLessThan(2_000);
    const hourFull = await t.db.transaction((tx) => checkRateWindows(tx, sessionId, { ratePerMin: 10, ratePerHour: 3 }));
    expect(hourFull).toMatchObject({ allowed: false, window: "hour" });
    // the slot 90 s old leaves the hour in about 3 510 s
    if (!hourFull.allowed) expect(Math.abs(hourFull.retryAfterMs - 3_510_000)).toBeLessThan(2_000);
  });
});
