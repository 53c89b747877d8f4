// The session event stream over the real transport (SSE at /trpc): who receives the pairing QR, and streams that
// end when their credential does.
import { setStreamRecheckInterval, waSessionSchema, type SessionEvent, type UserPrincipal } from "@wa/api";
import {
  claimsOf,
  ACME,
  createFakePorts,
  createTestApiKey,
  createTestIdentity,
  seedFixture,
  type FakePorts,
  type Fixture,
  type TestIdentity,
} from "@wa/api/testing";
import { createWebSession, revokeWebSession } from "@wa/db/queries";
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

  const mintFor = (p: UserPrincipal, exp?: number, sid?: string) =>
    idp.mint({ ...claimsOf(p), ...(sid ? { sid } : {}) }, exp === undefined ? {} : { exp });
  /** Re-check interval for these tests (the default is 30 s). */
  const RECHECK_MS = 400;
  let restoreInterval: () => void = () => {};

  beforeAll(async () => {
    restoreInterval = setStreamRecheckInterval(RECHECK_MS);
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
    restoreInterval();
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

  /** The stream delivers while the credential is good: an event published now arrives. */
  async function expectLive(stream: Awaited<ReturnType<typeof openEventStream>>, event: SessionEvent) {
    const at = Date.now();
    ports.publish({ ...event, at });
    await stream.nextData((data) => data.at === at);
  }

  it("[EVENTS][AUTH]: a revoked api-key's stream ends with {type: ended, reason: credential revoked} within the re-check interval", async () => {
    const event = await qrEvent();
    const key = await createTestApiKey(t.db, ACME, ["read", "events"]);
    const stream = await openEventStream(base, key.raw);
    try {
      await expectLive(stream, event);
      const owner = await mintFor(f.acmeOwner);
      const revoked = await fetch(`${base}/api/v1/api-keys/${key.principal.keyId}`, { method: "DELETE", headers: { authorization: `Bearer ${owner}` } });
      expect(revoked.status).toBeLessThan(300);
      const ended = await stream.nextData((data) => data.type === "ended", RECHECK_MS * 2 + 5_000);
      expect(ended).toMatchObject({ type: "ended", reason: "credential revoked" });
      const messages = await stream.ended();
      // Nothing after the final event but tRPC's own "return": the server closed the stream.
      const after = messages.slice(messages.findIndex((m) => m.data.includes('"ended"')) + 1);
      expect(after.every((m) => m.event !== "message")).toBe(true);
    } finally {
      stream.close();
    }
  });

  it("[EVENTS][AUTH]: an api-key's stream ends when the key expires", async () => {
    const event = await qrEvent();
    const expiresAt = Date.now() + 2_000;
    const key = await createTestApiKey(t.db, ACME, ["events"], { expiresAt: new Date(expiresAt) });
    const stream = await openEventStream(base, key.raw);
    try {
      await expectLive(stream, event);
      const ended = await stream.nextData((data) => data.type === "ended", 15_000);
      expect(ended).toMatchObject({ type: "ended", reason: "credential expired" });
      expect(ended.at).toBeGreaterThanOrEqual(expiresAt);
      await stream.ended();
    } finally {
      stream.close();
    }
  });

  it("[EVENTS][AUTH]: a login JWT's stream ends at the token's exp with reason token expired", async () => {
    const event = await qrEvent();
    const exp = Math.floor(Date.now() / 1000) + 3;
    const stream = await openEventStream(base, await mintFor(f.acmeMember, exp));
    try {
      await expectLive(stream, event);
      const ended = await stream.nextData((data) => data.type === "ended", 20_000);
      expect(ended).toMatchObject({ type: "ended", reason: "token expired" });
      expect(ended.at).toBeGreaterThanOrEqual(exp * 1000);
      await stream.ended();
    } finally {
      stream.close();
    }
  });

  it("[EVENTS][AUTH]: a person removed from the organization loses the stream at the next re-check", async () => {
    const event = await qrEvent();
    const stream = await openEventStream(base, await mintFor(f.acmeAdmin));
    try {
      await expectLive(stream, event);
      await t.sql`delete from memberships where user_id = ${f.acmeAdmin.userId} and organization_id = ${ACME}`;
      const ended = await stream.nextData((data) => data.type === "ended", RECHECK_MS * 2 + 5_000);
      expect(ended).toMatchObject({ type: "ended", reason: "access revoked" });
    } finally {
      stream.close();
      await t.sql`insert into memberships (user_id, organization_id, role) values (${f.acmeAdmin.userId}, ${ACME}, 'admin') on conflict do nothing`;
    }
  });

  it("[EVENTS][AUTH]: signing out ends the streams opened with tokens of that web session (sid) at the next re-check", async () => {
    const event = await qrEvent();
    const tokenHash = `hash-${Date.now()}`;
    const web = await createWebSession(t.db, {
      userId: f.acmeOwner.userId,
      tokenHash,
      activeOrganizationId: ACME,
      userAgent: null,
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const stream = await openEventStream(base, await mintFor(f.acmeOwner, undefined, web.id));
    const other = await openEventStream(base, await mintFor(f.acmeOwner));
    try {
      await expectLive(stream, event);
      await revokeWebSession(t.db, tokenHash);
      const ended = await stream.nextData((data) => data.type === "ended", RECHECK_MS * 2 + 5_000);
      expect(ended).toMatchObject({ type: "ended", reason: "credential revoked" });
      // A token of another (or no) web session keeps its stream.
      await expectLive(other, event);
    } finally {
      stream.close();
      other.close();
    }
  });
});
