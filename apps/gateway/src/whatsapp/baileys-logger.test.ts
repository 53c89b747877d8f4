// Logs stay bounded and calm: no protocol dumps above debug, no error line on a normal pairing (515 is routine).
import { Writable } from "node:stream";
import { newId, schema } from "@wa/db";
import { createSession, getSession } from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { scanQr, startSimulator, type Simulator } from "@wa/wa-sim";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_APP_SECRET, until } from "../../test/harness.ts";
import { createGatewayEngine, type GatewayEngine } from "../engine.ts";
import { boundedBaileysLogger, MAX_FIELDS_CHARS } from "./baileys-logger.ts";

function capture(level: string) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      done();
    },
  });
  return { lines, logger: pino({ level }, sink) };
}
const parsed = (lines: string[]) => lines.map((l) => JSON.parse(l) as { level: number; msg?: string } & Record<string, unknown>);

describe("Baileys logger", () => {
  const bigNode = {
    tag: "message",
    attrs: { id: "3EB0", from: "6281@s.whatsapp.net", type: "text" },
    content: [{ tag: "enc", attrs: { v: "2", type: "msg" }, content: new Uint8Array(200_000) }],
  };

  it("[LOGS]: above debug a protocol node is reduced to its tag and attributes; every line stays bounded", () => {
    const { lines, logger } = capture("info");
    const log = boundedBaileysLogger(logger);
    log.error({ node: bigNode, err: new Error("x".repeat(50_000)) }, "error in handling message");
    log.warn({ msg: { conversation: "y".repeat(100_000) }, list: Array.from({ length: 10_000 }, (_, i) => i) }, "odd message");
    log.child({ class: "baileys" }).info("z".repeat(10_000));
    const [a, b, c] = parsed(lines);
    expect(a?.node).toEqual({ tag: "message", attrs: bigNode.attrs });
    expect(b?.msg).toBe("odd message");
    expect(c?.msg?.length).toBeLessThan(400);
    for (const line of lines) expect(line.length).toBeLessThan(MAX_FIELDS_CHARS + 1_000);
  });

  it("[LOGS]: at debug the full detail is kept for whoever asked for it", () => {
    const { lines, logger } = capture("debug");
    boundedBaileysLogger(logger).debug({ node: { tag: "iq", attrs: {}, content: "c".repeat(5_000) } }, "sent");
    expect(lines[0]?.length).toBeGreaterThan(5_000);
  });

  it("[LOGS]: the 515 restart Baileys reports as 'stream errored out' is info; other stream errors stay errors", () => {
    const { lines, logger } = capture("info");
    const log = boundedBaileysLogger(logger);
    log.error({ reasonNode: { tag: "stream:error", attrs: { code: "515" } }, fullErrorNode: bigNode }, "stream errored out");
    log.error({ reasonNode: { tag: "stream:error", attrs: { code: "500" } } }, "stream errored out");
    expect(parsed(lines).map((l) => l.level)).toEqual([30, 50]);
  });
});

describe("a normal pairing", () => {
  let t: TestDatabase;
  let sim: Simulator;
  let engine: GatewayEngine;
  const logs = capture("info");

  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await startSimulator({ qrRefreshMs: 20_000 });
    engine = await createGatewayEngine({
      db: t,
      logger: logs.logger,
      config: {
        gatewayId: "gw-logs-1",
        appSecret: TEST_APP_SECRET,
        gatewayUrl: "http://127.0.0.1:1",
        waWsUrl: sim.url,
        simulatorHttpUrl: sim.httpUrl,
        trustRootPublicKey: sim.rootPublicKey,
      },
    });
  });
  afterAll(async () => {
    await engine?.shutdown();
    await sim?.stop();
    await t?.close();
  });

  it("[LOGS]: pairing through the 515 restart writes no error-level line, and no line over the bound", async () => {
    const organizationId = newId();
    await t.db.insert(schema.organizations).values({ id: organizationId, name: "logs" });
    const { id } = await createSession(t.db, { organizationId, gatewayId: "gw-logs-1" });
    await engine.sessions.start(id);
    const qr = await until(() => engine.manager.peek(id)?.currentQr(), "a QR", 30_000);
    await scanQr(sim.httpUrl, qr.qr, { phoneNumber: "6281377000001" });
    await until(async () => (await getSession(t.db, id))?.status === "working", "working", 30_000);
    const lines = parsed(logs.lines);
    // the restart happened and was logged as the routine step it is
    expect(lines.some((l) => l.msg === "connection closed" && l.statusCode === 515 && l.level === 30)).toBe(true);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    for (const line of logs.lines) expect(line.length).toBeLessThan(MAX_FIELDS_CHARS + 1_000);
  });
});
