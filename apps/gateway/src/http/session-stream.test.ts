// The session event stream over the real transport (SSE at /trpc): who receives the pairing QR.
import { waSessionSchema, type SessionEvent, type UserPrincipal } from "@wa/api";
import {
  ACME,
  createFakePorts,
  createTestApiKey,
  createTestIdentity,
  seedFixture,
  type FakePorts,
  type Fixture,
  type TestIdentity,
} from "@wa/api/testing";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";
import { createServer, type GatewayServer } from "./server.ts";
import { openEventStream } from "./sse-test-client.ts";

describe("session event stream (SSE)", () => {
  let t: TestDatabase;
  let idp: TestIdentity;
  let f: Fixture;
  let ports: FakePorts;
  let server: GatewayServer;
  let base: string;

  const mintFor = (p: UserPrincipal) =>
    idp.mint({ sub: p.userId, org: p.organizationId ?? undefined, orgRole: p.orgRole ?? undefined, email: p.email ?? undefined });

  beforeAll(async () => {
    t = await createTestDatabase();
    f = await seedFixture(t.db);
    idp = await createTestIdentity({ issuer: "http://localhost:3000" });
    ports = createFakePorts({ db: t.db, gatewayId: "gw-stream-1" });
    server = await createServer({
      db: t,
      ports,
      env: { port: 0, webUrl: idp.issuer, jwksUrl: idp.jwksUrl },
      logger: createLogger({ level: "silent" }),
    });
    base = await server.start();
  });
  afterAll(async () => {
    await server?.stop();
    await idp?.close();
    await t?.close();
  });

  /** A session waiting for a scan, and an event about it carrying a QR (with its secret) as the engine publishes it. */
  async function qrEvent(): Promise<SessionEvent> {
    const owner = await mintFor(f.acmeOwner);
    const res = await fetch(`${base}/api/v1/sessions`, {
      method: "POST",
      headers: { authorization: `Bearer ${owner}`, "content-type": "application/json" },
      body: JSON.stringify({ label: "pairing" }),
    });
    const session = waSessionSchema.parse({ ...((await res.json()) as object), status: "scan_qr_code" });
    return {
      sessionId: session.id,
      organizationId: session.organizationId,
      status: "scan_qr_code",
      qr: { qr: `2@secret-ref,adv-secret-${session.id}`, image: "data:image/png;base64,iVBORw0KGgo=", expiresAt: Date.now() + 20_000 },
      session,
      at: Date.now(),
    };
  }

  it("[EVENTS][QR]: the pairing QR reaches only callers with manage; members and events-only keys get the status without it", async () => {
    const event = await qrEvent();
    const secret = event.qr?.qr ?? "unset";
    const eventsKey = (await createTestApiKey(t.db, ACME, ["events"])).raw;
    const readEventsKey = (await createTestApiKey(t.db, ACME, ["read", "events"])).raw;
    const manageKey = (await createTestApiKey(t.db, ACME, ["manage", "events"])).raw;
    const callers: [string, string, boolean][] = [
      ["owner", await mintFor(f.acmeOwner), true],
      ["admin", await mintFor(f.acmeAdmin), true],
      ["manage key", manageKey, true],
      ["member", await mintFor(f.acmeMember), false],
      ["events-only key", eventsKey, false],
      ["read+events key", readEventsKey, false],
    ];
    const streams = await Promise.all(callers.map(([, token]) => openEventStream(base, token, { session: event.sessionId })));
    try {
      ports.publish(event);
      for (const [i, [who, , mayReadQr]] of callers.entries()) {
        const stream = streams[i];
        if (!stream) throw new Error("stream missing");
        const received = await stream.nextData((data) => data.sessionId === event.sessionId);
        expect(received.status, who).toBe("scan_qr_code");
        if (mayReadQr) expect(received.qr, who).toEqual(event.qr);
        else {
          expect(received.qr, who).toBeNull();
          expect(stream.raw(), who).not.toContain(secret);
        }
      }
    } finally {
      for (const stream of streams) stream.close();
    }
  });
});
