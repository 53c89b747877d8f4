import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { organizations } from "../schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { acquireLease } from "./leases.ts";
import { claimOutbox, createOutboundMessage, hasOutboxWork, markOutboxSent, type OutboxClaim } from "./outbox.ts";
import { createSession } from "./sessions.ts";

describe("hasOutboxWork (the read a connection's opening makes instead of a claim transaction)", () => {
  let t: TestDatabase;
  const org = "org-outbox-work";

  beforeAll(async () => {
    t = await createTestDatabase();
    await t.db.insert(organizations).values({ id: org, name: org });
  });
  afterAll(async () => {
    await t.close();
  });

  it("answers what nextOutboxItem would find: queued rows, and rows another claimant left sending", async () => {
    const session = await createSession(t.db, { organizationId: org, gatewayId: "gw-a" });
    const epoch = (await acquireLease(t.db, { sessionId: session.id, gatewayId: "gw-a", ttlMs: 60_000 })) ?? 0;
    const mine: OutboxClaim = { instanceId: "i-1", fence: { sessionId: session.id, gatewayId: "gw-a", epoch } };
    const other: OutboxClaim = { instanceId: "i-0", fence: mine.fence };
    expect(await hasOutboxWork(t.db, session.id, mine)).toBe(false);

    const { outboxId } = await t.db.transaction((tx) =>
      createOutboundMessage(tx, {
        organizationId: org,
        sessionId: session.id,
        waMessageId: "3EB0AAAA",
        chatJid: "6281@s.whatsapp.net",
        chatType: "dm",
        body: "hi",
        quotedMessageId: null,
        mentions: [],
        senderJid: null,
        mode: "async",
        state: "queued",
        slotAt: null,
        claimedBy: null,
      }),
    );
    expect(await hasOutboxWork(t.db, session.id, mine)).toBe(true);
    await claimOutbox(t.db, outboxId, new Date(), mine);
    // being sent by this very claimant: not work for it, an orphan for anyone else
    expect(await hasOutboxWork(t.db, session.id, mine)).toBe(false);
    expect(await hasOutboxWork(t.db, session.id, other)).toBe(true);
    await markOutboxSent(t.db, outboxId, new Date(), mine);
    expect(await hasOutboxWork(t.db, session.id, other)).toBe(false);
  });
});
