// REST forwarding between in-process gateways over one database: the holder is looked up once and remembered
// briefly, and a remembered holder that is no longer right costs an extra hop or a lookup, never a wrong answer.
import { newId, schema } from "@wa/db";
import { createSession, registerGateway, setGatewayStatus } from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { eq } from "drizzle-orm";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FORWARD_HEADER, signForward } from "../cluster/assertion.ts";
import { installForwarding, NOT_HOLDER_HEADER } from "./forwarding.ts";

const SECRET = "forwarding-test-secret-forwarding-test-secret";
const STALE_MS = 60_000;

let database: TestDatabase;
let organizationId: string;
const started: FastifyInstance[] = [];

interface Gateway {
  id: string;
  url: string;
  app: FastifyInstance;
  /** Sessions this gateway holds now (its engine's answer). */
  holds: Set<string>;
}

/** A gateway with forwarding and one session route that says who answered it. */
async function startGateway(id: string): Promise<Gateway> {
  const holds = new Set<string>();
  const app = Fastify();
  installForwarding(app, {
    db: database.db,
    gatewayId: id,
    secret: SECRET,
    staleMs: STALE_MS,
    holdsLocally: (sessionId) => holds.has(sessionId),
    base: "/api/v1",
    callerOf: async () => ({ organizationId, superAdmin: false }),
  });
  app.get("/api/v1/sessions/:id/chats", async () => ({ answeredBy: id }));
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  started.push(app);
  await registerGateway(database.db, { id, baseUrl: url });
  return { id, url, app, holds };
}

/** A working session recorded under (and held by) `holder`. */
async function sessionOn(holder: Gateway): Promise<string> {
  const session = await createSession(database.db, { organizationId, gatewayId: holder.id });
  await database.db.update(schema.waSessions).set({ status: "working" }).where(eq(schema.waSessions.id, session.id));
  holder.holds.add(session.id);
  return session.id;
}

/** The session moved to `to` (a takeover or a hand-over): recorded and held there, no longer by `from`. */
async function move(sessionId: string, from: Gateway, to: Gateway): Promise<void> {
  await database.db.update(schema.waSessions).set({ gatewayId: to.id }).where(eq(schema.waSessions.id, sessionId));
  from.holds.delete(sessionId);
  to.holds.add(sessionId);
}

async function chats(via: Gateway, sessionId: string) {
  const res = await fetch(`${via.url}/api/v1/sessions/${sessionId}/chats`);
  const body = (await res.json()) as { answeredBy?: string; error?: { code?: string } };
  return { status: res.status, body, servedBy: res.headers.get("x-wa-served-by"), notHolder: res.headers.get(NOT_HOLDER_HEADER) };
}

beforeAll(async () => {
  database = await createTestDatabase();
  organizationId = newId();
  await database.db.insert(schema.organizations).values({ id: organizationId, name: "Forwarding" });
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((app) => app.close()));
});

afterAll(async () => {
  await database?.close();
});

describe("forwarding with remembered holders", () => {
  it("a call sent by a stale hint is answered where it lands, and the next one goes to the new holder", async () => {
    const [entry, a, b] = [await startGateway("gw-entry-1"), await startGateway("gw-a-1"), await startGateway("gw-b-1")];
    const id = await sessionOn(a);
    expect(await chats(entry, id)).toMatchObject({ status: 200, body: { answeredBy: "gw-a-1" }, servedBy: "gw-a-1" });
    await move(id, a, b);
    // Still remembered as gw-a's: gw-a answers (its ports follow the session) and says it is not the holder…
    const stale = await chats(entry, id);
    expect(stale).toMatchObject({ status: 200, body: { answeredBy: "gw-a-1" }, notHolder: null });
    // …so the hint is gone and the database is asked again.
    expect(await chats(entry, id)).toMatchObject({ status: 200, body: { answeredBy: "gw-b-1" }, servedBy: "gw-b-1" });
  });

  it("a remembered holder that refuses the connection (killed, taken over since): the same call goes to the new holder", async () => {
    const [entry, a, b] = [await startGateway("gw-entry-2"), await startGateway("gw-a-2"), await startGateway("gw-b-2")];
    const id = await sessionOn(a);
    expect((await chats(entry, id)).body.answeredBy).toBe("gw-a-2");
    await a.app.close();
    await move(id, a, b);
    expect(await chats(entry, id)).toMatchObject({ status: 200, body: { answeredBy: "gw-b-2" }, servedBy: "gw-b-2" });
  });

  it("a remembered holder dead with no takeover yet: 503 gateway_unavailable, then still 503 once it is seen gone", async () => {
    const [entry, a] = [await startGateway("gw-entry-3"), await startGateway("gw-a-3")];
    const id = await sessionOn(a);
    expect((await chats(entry, id)).body.answeredBy).toBe("gw-a-3");
    await a.app.close();
    expect(await chats(entry, id)).toMatchObject({ status: 503, body: { error: { code: "gateway_unavailable" } } });
    await setGatewayStatus(database.db, a.id, "offline");
    expect(await chats(entry, id)).toMatchObject({ status: 503, body: { error: { code: "gateway_unavailable" } } });
  });

  it("the holder answers itself without the not-holder mark; a forged forward is still 401", async () => {
    const [entry, a] = [await startGateway("gw-entry-4"), await startGateway("gw-a-4")];
    const id = await sessionOn(a);
    const direct = await chats(a, id);
    expect(direct).toMatchObject({ status: 200, body: { answeredBy: "gw-a-4" }, servedBy: null });
    expect((await chats(entry, id)).notHolder).toBeNull();
    const url = `/api/v1/sessions/${id}/chats`;
    const forged = signForward("not-the-cluster-secret-not-the-cluster-secret", { method: "GET", url, body: "" }, entry.id, a.id);
    const res = await fetch(`${a.url}${url}`, { headers: { [FORWARD_HEADER]: forged } });
    expect(res.status).toBe(401);
  });
});
