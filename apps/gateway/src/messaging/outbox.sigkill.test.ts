// Exactly once across SIGKILL: a gateway (its own process) works through a session's queue and is killed with -9
// mid-queue; the restarted gateway sends what was left and resends what was in flight with the same WhatsApp id,
// so every queued message reaches the contact exactly once, in order. A send that had gone out but was still
// `sending` in the outbox at the kill (killed between WhatsApp's ack and our write) is recognised by its id.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createOutboundMessage, getSession, updateSession } from "@wa/db/queries";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, until, type Harness } from "../../test/harness.ts";
import { schema } from "@wa/db";
import { eq } from "drizzle-orm";

let h: Harness;
const children: ChildProcess[] = [];

function runChild(): { child: ChildProcess; exited: Promise<void> } {
  const script = fileURLToPath(new URL("../../test/child-engine.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    env: {
      ...process.env,
      DATABASE_URL: h.db.url,
      WA_WS_URL: h.sim.url,
      SIM_ROOT_KEY: Buffer.from(h.sim.rootPublicKey).toString("base64"),
      SESSION_ID: "unused",
      ORGANIZATION_ID: h.organizationId,
      GATEWAY_ID: "gw-test-1",
      START: "0",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(child);
  return { child, exited: new Promise<void>((r) => child.once("exit", () => r())) };
}

describe("outbox across SIGKILL", () => {
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await h?.close();
  });

  it("queued messages are delivered exactly once after SIGKILL + restart; an in-flight one is not sent twice", async () => {
    const session = await h.createSession("sigkill-outbox");
    // presenceTyping slows each send (typing first) so the kill lands mid-queue
    await updateSession(h.db.db, session.id, { presenceTyping: true, ratePerMin: 1000, ratePerHour: 10_000 });
    const engine = await h.engine();
    const { scan } = await h.pair(engine, session.id);
    const phone = scan.phoneNumber;
    const contactRes = await fetch(`${h.sim.httpUrl}/sim/accounts/${phone}`);
    const to = ((await contactRes.json()) as { contactRows: { jid: string }[] }).contactRows[0]?.jid ?? "";

    // One message really sent, then put back to `sending` under an engine instance that is gone: as if the
    // process died between WhatsApp's ack and recording it.
    const inFlight = await engine.messaging.send({
      organizationId: h.organizationId,
      sessionId: session.id,
      chatJid: to,
      text: "in flight at the kill",
      replyTo: null,
      mentions: [],
      async: false,
      idempotencyKey: null,
      requestHash: "x",
    });
    await h.db.db
      .update(schema.outbox)
      .set({ state: "sending", claimedBy: "gw-test-1:dead" })
      .where(eq(schema.outbox.id, inFlight.result.outboxId));
    await engine.shutdown();

    const texts = Array.from({ length: 8 }, (_, i) => `queued ${i}`);
    const ids: string[] = [];
    for (const text of texts) {
      const { message } = await h.db.db.transaction((tx) =>
        createOutboundMessage(tx, {
          organizationId: h.organizationId,
          sessionId: session.id,
          waMessageId: `3EB0SIGKILL${ids.length.toString().padStart(10, "0")}`,
          chatJid: to,
          chatType: "dm",
          body: text,
          quotedMessageId: null,
          mentions: [],
          senderJid: null,
          mode: "async",
          state: "queued",
          slotAt: null,
          claimedBy: null,
        }),
      );
      ids.push(message.waMessageId ?? "");
    }
    const arrived = async () => {
      const res = await fetch(`${h.sim.httpUrl}/sim/accounts/${phone}/messages`);
      return ((await res.json()) as { data: { id: string; text: string; recipient: string; t: number }[] }).data.filter((m) => m.recipient === to);
    };

    const first = runChild();
    await until(async () => (await arrived()).filter((m) => m.text.startsWith("queued ")).length >= 3, "three queued sends before the kill", 60_000);
    first.child.kill("SIGKILL");
    await first.exited;
    const beforeRestart = (await arrived()).filter((m) => m.text.startsWith("queued ")).length;
    expect(beforeRestart).toBeLessThan(8);

    const second = runChild();
    const all = await until(async () => {
      const got = (await arrived()).filter((m) => m.text.startsWith("queued "));
      return got.length >= 8 ? got : null;
    }, "every queued message after the restart", 90_000);
    // give a duplicate the time to show up if one were coming
    await new Promise((r) => setTimeout(r, 1_500));
    const final = await arrived();
    expect(final.filter((m) => m.text.startsWith("queued ")).map((m) => m.id)).toEqual(ids);
    expect(all.map((m) => m.text)).toEqual(texts);
    expect(final.filter((m) => m.text === "in flight at the kill")).toHaveLength(1);
    second.child.kill("SIGTERM");
    await second.exited;
    const outbox = await h.db.db.select().from(schema.outbox).where(eq(schema.outbox.sessionId, session.id));
    expect(outbox.every((r) => r.state === "sent")).toBe(true);
    expect((await getSession(h.db.db, session.id))?.id).toBe(session.id);
  }, 240_000);
});
