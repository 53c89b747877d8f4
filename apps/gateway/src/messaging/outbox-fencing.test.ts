// The outbox under the session lease's fencing epoch (real database, a scripted connection): a gateway that lost
// the lease — paused past it, then resumed before its watchdog noticed — neither sends queued rows nor records
// the outcome of a send it had in flight; the new holder resends that one with the same WhatsApp id and records it.
import { newId, schema } from "@wa/db";
import { acquireLease, createOutboundMessage, createSession, type LeaseFence } from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { eq, sql } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../../test/harness.ts";
import { OutboxDispatcher } from "./dispatcher.ts";
import { SendFailure, type MessageSource, type OutgoingText } from "./types.ts";

let db: TestDatabase;
let organizationId: string;
const logger = pino({ level: "silent" });

beforeAll(async () => {
  db = await createTestDatabase();
  organizationId = newId();
  await db.db.insert(schema.organizations).values({ id: organizationId, name: "Outbox fencing" });
});
afterAll(async () => {
  await db?.close();
});

/** A connection whose sends wait until the test lets them finish (or fail). */
class ScriptedSource implements MessageSource {
  readonly sent: OutgoingText[] = [];
  private release: (() => void) | null = null;
  private outcome: SendFailure | null = null;
  constructor(private readonly holdSends: boolean) {}
  newMessageId(): string {
    return `3EB0${newId()}`;
  }
  async sendText(message: OutgoingText): Promise<{ timestamp: number }> {
    this.sent.push(message);
    if (this.holdSends) await new Promise<void>((r) => (this.release = r));
    if (this.outcome) throw this.outcome;
    return { timestamp: Date.now() };
  }
  /** Lets the send in flight finish: acknowledged, or failing with `failure`. */
  finish(failure?: SendFailure): void {
    this.outcome = failure ?? null;
    this.release?.();
  }
  async sendPresence(): Promise<void> {}
  async sendReadReceipts(): Promise<void> {}
}

function dispatcher(instanceId: string, source: MessageSource, fence: LeaseFence): OutboxDispatcher {
  return new OutboxDispatcher({ db: db.db, logger, instanceId, sourceOf: () => source, fenceOf: () => fence });
}

async function queue(sessionId: string, body: string): Promise<string> {
  const { outboxId } = await db.db.transaction((tx) =>
    createOutboundMessage(tx, {
      organizationId,
      sessionId,
      waMessageId: `3EB0${newId()}`,
      chatJid: "6281234567890@s.whatsapp.net",
      chatType: "dm",
      body,
      quotedMessageId: null,
      mentions: [],
      senderJid: null,
      mode: "async",
      state: "queued",
      slotAt: null,
      claimedBy: null,
    }),
  );
  return outboxId;
}

async function row(outboxId: string) {
  const [r] = await db.db
    .select({ state: schema.outbox.state, claimedBy: schema.outbox.claimedBy, status: schema.messages.status, waMessageId: schema.messages.waMessageId })
    .from(schema.outbox)
    .innerJoin(schema.messages, eq(schema.messages.id, schema.outbox.messageId))
    .where(eq(schema.outbox.id, outboxId));
  if (!r) throw new Error("no outbox row");
  return r;
}

/** gw-a's lease ends (it is paused) and gw-b takes the session: returns gw-b's fence. */
async function takeOver(sessionId: string, to: string): Promise<LeaseFence> {
  await db.db.execute(sql`update session_leases set expires_at = now() - interval '1 millisecond' where session_id = ${sessionId}`);
  const epoch = await acquireLease(db.db, { sessionId, gatewayId: to, ttlMs: 60_000 });
  if (epoch === null) throw new Error("takeover refused");
  return { sessionId, gatewayId: to, epoch };
}

async function leasedSession(): Promise<{ sessionId: string; fence: LeaseFence }> {
  const s = await createSession(db.db, { organizationId, gatewayId: "gw-a" });
  await db.db.update(schema.waSessions).set({ ratePerMin: 1000, ratePerHour: 10_000 }).where(eq(schema.waSessions.id, s.id));
  const epoch = await acquireLease(db.db, { sessionId: s.id, gatewayId: "gw-a", ttlMs: 60_000 });
  if (epoch === null) throw new Error("lease refused");
  return { sessionId: s.id, fence: { sessionId: s.id, gatewayId: "gw-a", epoch } };
}

describe("outbox fenced by the session lease", () => {
  it("a holder that lost the lease mid-send does not mark it sent; the new holder resends it with the same id and records it", async () => {
    const { sessionId, fence } = await leasedSession();
    const outboxId = await queue(sessionId, "in flight at the pause");
    const sourceA = new ScriptedSource(true);
    const a = dispatcher("inst-a", sourceA, fence);
    a.kick(sessionId);
    await until(async () => sourceA.sent.length === 1, "gw-a to start sending");

    const fenceB = await takeOver(sessionId, "gw-b");
    sourceA.finish(); // gw-a resumes: WhatsApp acknowledged its send
    await a.close();
    const afterStale = await row(outboxId);
    expect(afterStale).toMatchObject({ state: "sending", status: "pending" });

    const sourceB = new ScriptedSource(false);
    const b = dispatcher("inst-b", sourceB, fenceB);
    b.kick(sessionId);
    await until(async () => (await row(outboxId)).state === "sent", "gw-b to resend and record it");
    await b.close();
    expect(sourceB.sent.map((m) => m.waMessageId)).toEqual([afterStale.waMessageId]);
    expect(await row(outboxId)).toMatchObject({ state: "sent", status: "sent" });
  });

  it.each(["refused", "not-sent", "unknown"] as const)(
    "a holder that lost the lease mid-send changes nothing when the send ends %s (not failed, requeued or released)",
    async (kind) => {
      const { sessionId, fence } = await leasedSession();
      const outboxId = await queue(sessionId, `ends ${kind}`);
      const sourceA = new ScriptedSource(true);
      const a = dispatcher("inst-a", sourceA, fence);
      a.kick(sessionId);
      await until(async () => sourceA.sent.length === 1, "gw-a to start sending");
      await takeOver(sessionId, "gw-b");
      sourceA.finish(new SendFailure(kind, "scripted"));
      await a.close();
      expect(await row(outboxId)).toMatchObject({ state: "sending", claimedBy: `inst-a#${fence.epoch}`, status: "pending" });
    },
  );

  it("a holder that lost the lease sends nothing from the queue", async () => {
    const { sessionId, fence } = await leasedSession();
    await takeOver(sessionId, "gw-b");
    const outboxId = await queue(sessionId, "queued after the takeover");
    const sourceA = new ScriptedSource(false);
    // gw-a resumed and its watchdog has not run yet: it still believes its fence
    const a = dispatcher("inst-a", sourceA, fence);
    a.kick(sessionId);
    await a.close();
    expect(sourceA.sent).toEqual([]);
    expect(await row(outboxId)).toMatchObject({ state: "queued", claimedBy: null, status: "pending" });
  });

  it("the same instance under a later lease resends what is still in flight under the earlier one", async () => {
    const { sessionId, fence } = await leasedSession();
    const outboxId = await queue(sessionId, "in flight when the lease lapsed");
    const first = new ScriptedSource(true);
    const a = dispatcher("inst-a", first, fence);
    a.kick(sessionId);
    await until(async () => first.sent.length === 1, "the first send");
    // the lease lapsed while that send hung; this gateway took the session back on a new connection
    const again = await takeOver(sessionId, "gw-a");

    const second = new ScriptedSource(false);
    const a2 = dispatcher("inst-a", second, again);
    a2.kick(sessionId);
    await until(async () => (await row(outboxId)).state === "sent", "the resend under the new epoch");
    await a2.close();
    expect(second.sent.map((m) => m.waMessageId)).toEqual(first.sent.map((m) => m.waMessageId));
    first.finish(new SendFailure("refused", "the old socket closed"));
    await a.close();
    expect(await row(outboxId)).toMatchObject({ state: "sent", status: "sent", claimedBy: `inst-a#${again.epoch}` });
  });
});
