// The event stream over REST (Server-Sent Events): replay and live, Last-Event-ID resume without gap or duplicate,
// the `events` capability, organization scope, the credential ending the stream, the admin stream, and the same
// procedure over tRPC for the console.
import { setEventPollInterval, setStreamRecheckInterval } from "@wa/api";
import { ACME, GLOBEX, createTestApiKey } from "@wa/api/testing";
import { type EventType } from "@wa/db";
import { appendEvent, revokeApiKey, setPlatformRole } from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isContractError, startTestGateway, type TestGateway } from "../http/test-gateway.ts";

interface Message {
  event: string;
  id: string | null;
  data: string;
}

/** A REST SSE reader: messages as they arrive, waits for a count, or for the end. */
async function openStream(url: string, headers: Record<string, string>) {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal });
  const messages: Message[] = [];
  let ended = false;
  const waiters = new Set<() => void>();
  const done = (async () => {
    if (!res.ok || !res.body) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const message: Message = { event: "message", id: null, data: "" };
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            const [field, ...rest] = line.split(": ");
            const value = rest.join(": ");
            if (field === "event") message.event = value;
            if (field === "id") message.id = value;
            if (field === "data") message.data = value;
          }
          if (message.data) messages.push(message);
          end = buffer.indexOf("\n\n");
        }
        for (const w of waiters) w();
      }
    } catch {
      // closed by the test
    } finally {
      ended = true;
      for (const w of waiters) w();
    }
  })();
  const waitUntil = (test: () => boolean, what: string, timeoutMs = 15_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (test()) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        } else if (ended) {
          clearTimeout(timer);
          waiters.delete(check);
          reject(new Error(`stream ended before ${what}; got ${JSON.stringify(messages)}`));
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no ${what} within ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return {
    res,
    messages,
    /** The ids of the event messages so far. */
    ids: () => messages.filter((m) => m.event === "message").map((m) => m.id ?? ""),
    waitForEvents: (count: number) => waitUntil(() => messages.filter((m) => m.event === "message").length >= count, `${count} events`),
    waitForEnd: async () => {
      await waitUntil(() => ended, "end of stream");
      await done;
    },
    close: () => abort.abort(),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("event stream (SSE) at /api/v1/events", () => {
  let t: TestDatabase;
  let gw: TestGateway;
  const restore: (() => void)[] = [];

  beforeAll(async () => {
    restore.push(setEventPollInterval(40), setStreamRecheckInterval(300));
    t = await createTestDatabase();
    gw = await startTestGateway(t);
  });
  afterAll(async () => {
    await gw?.stop();
    await t?.close();
    for (const r of restore) r();
  });

  const append = (organizationId: string, type: EventType = "message.received", data: unknown = {}, sessionId: string | null = null) =>
    t.db.transaction(async (tx) => (await appendEvent(tx, { organizationId, sessionId, type, data })).id);
  const url = (query = "") => `${gw.base}/api/v1/events${query}`;

  it("[EVENTS][SSE] consume, disconnect, miss events, reconnect with Last-Event-ID: exactly the missed ones, in order, once", async () => {
    const key = { "x-api-key": gw.keys.full };
    const live = await openStream(url(), key);
    expect(live.res.status).toBe(200);
    expect(live.res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    await sleep(150);
    const first = [await append(ACME), await append(ACME), await append(ACME)];
    await live.waitForEvents(3);
    expect(live.ids()).toEqual(first);
    const data = JSON.parse(live.messages[0]?.data ?? "{}") as Record<string, unknown>;
    expect(data).toMatchObject({ id: first[0], type: "message.received", organizationId: ACME, schema: 1 });
    live.close();

    const missed = [];
    for (let i = 0; i < 5; i++) missed.push(await append(ACME, "session.status", { i }));
    const resumed = await openStream(url(), { ...key, "last-event-id": first[2] ?? "" });
    await resumed.waitForEvents(5);
    const later = await append(ACME);
    await resumed.waitForEvents(6);
    await sleep(200);
    expect(resumed.ids()).toEqual([...missed, later]);
    resumed.close();
  });

  it("replays everything retained with since=0, after an id with since=<id>, and filters by types", async () => {
    const a = await append(ACME, "backfill.finished");
    const b = await append(ACME, "session.status");
    const all = await openStream(url("?since=0"), { authorization: `Bearer ${gw.tokens.acmeMember}` });
    await all.waitForEvents(2);
    await sleep(200);
    expect(all.ids().slice(-2)).toEqual([a, b]);
    expect(all.ids()).toEqual([...all.ids()].sort());
    all.close();
    const after = await openStream(url(`?since=${a}&types=session.status,message.updated`), { "x-api-key": gw.keys.full });
    await after.waitForEvents(1);
    await sleep(200);
    expect(after.ids()).toEqual([b]);
    after.close();
  });

  it("[EVENTS][SSE][AUTHZ] an api-key without `events` gets 403; no credential 401; bad input 400; all in the contract's shape", async () => {
    for (const [headers, status] of [
      [{ "x-api-key": gw.keys.read }, 403],
      [{}, 401],
      [{ authorization: "Bearer nope" }, 401],
    ] as const) {
      const res = await fetch(url(), { headers });
      expect(res.status).toBe(status);
      expect(isContractError(await res.json(), status)).toBe(true);
    }
    for (const query of ["?since=nope", "?types=message.exploded", "?limit=5", "?sessionId=01UNKNOWN"]) {
      const res = await fetch(url(query), { headers: { "x-api-key": gw.keys.full } });
      expect([400, 404], query).toContain(res.status);
      expect(isContractError(await res.json(), res.status)).toBe(true);
    }
    const lastBad = await fetch(url(), { headers: { "x-api-key": gw.keys.full, "last-event-id": "not-an-id" } });
    expect(lastBad.status).toBe(400);
  });

  it("[EVENTS][SSE][TENANCY] another organization's events never appear", async () => {
    const acme = await openStream(url("?since=0"), { "x-api-key": gw.keys.full });
    const globex = await openStream(url("?since=0"), { authorization: `Bearer ${gw.tokens.globexOwner}` });
    const mine = [];
    const theirs = [];
    for (let i = 0; i < 4; i++) {
      mine.push(await append(ACME));
      theirs.push(await append(GLOBEX));
    }
    await acme.waitForEvents(mine.length);
    await globex.waitForEvents(theirs.length);
    await sleep(200);
    for (const m of acme.messages) expect(JSON.parse(m.data)).toMatchObject({ organizationId: ACME });
    for (const m of globex.messages) expect(JSON.parse(m.data)).toMatchObject({ organizationId: GLOBEX });
    expect(acme.ids()).toEqual(expect.arrayContaining(mine));
    expect(globex.ids()).toEqual(theirs);
    acme.close();
    globex.close();
  });

  it("[EVENTS][SSE][REVOKE] revoking the api-key ends its open stream with a last `ended` message", async () => {
    const key = await createTestApiKey(t.db, ACME, ["events"]);
    const stream = await openStream(url(), { "x-api-key": key.raw });
    expect(stream.res.status).toBe(200);
    await sleep(100);
    await revokeApiKey(t.db, key.principal.keyId, ACME);
    await stream.waitForEnd();
    const last = stream.messages.at(-1);
    expect(last?.event).toBe("ended");
    expect(JSON.parse(last?.data ?? "{}")).toMatchObject({ type: "ended", reason: "credential revoked" });
  });

  it("[EVENTS][SSE][ADMIN] /admin/events: every organization for a super admin, 403 for an org owner", async () => {
    const owner = await fetch(`${gw.base}/api/v1/admin/events`, { headers: { authorization: `Bearer ${gw.tokens.acmeOwner}` } });
    expect(owner.status).toBe(403);
    const stream = await openStream(`${gw.base}/api/v1/admin/events`, { authorization: `Bearer ${gw.tokens.superAdmin}` });
    expect(stream.res.status).toBe(200);
    await sleep(100);
    const a = await append(ACME);
    const g = await append(GLOBEX);
    await stream.waitForEvents(2);
    expect(stream.ids()).toEqual([a, g]);
    stream.close();
  });

  it("[EVENTS][SSE][ADMIN] a super admin whose platform role is revoked: the admin stream ends (`access revoked`), the next admin call is 403", async () => {
    const stream = await openStream(`${gw.base}/api/v1/admin/events`, { authorization: `Bearer ${gw.tokens.superAdmin}` });
    expect(stream.res.status).toBe(200);
    try {
      expect(await setPlatformRole(t.db, "admin@example.com", null)).toBe(true);
      await stream.waitForEnd();
      const last = stream.messages.at(-1);
      expect(last?.event).toBe("ended");
      expect(JSON.parse(last?.data ?? "{}")).toMatchObject({ type: "ended", reason: "access revoked" });
      // the token (still unexpired) no longer opens a platform route
      await sleep(2_100); // the role is remembered up to 2 s per gateway
      const again = await fetch(`${gw.base}/api/v1/admin/events`, { headers: { authorization: `Bearer ${gw.tokens.superAdmin}` } });
      expect(again.status).toBe(403);
    } finally {
      await setPlatformRole(t.db, "admin@example.com", "super_admin");
      stream.close();
    }
  });

  it("session.status events are written with the status change (fake ports use the real status writer query)", async () => {
    const created = await gw.call("POST", "/api/v1/sessions", { token: gw.tokens.acmeOwner, body: { label: "evented" } });
    const session = (created.body as { id: string }).id;
    const stream = await openStream(url(`?sessionId=${session}`), { "x-api-key": gw.keys.full });
    await sleep(100);
    await gw.call("POST", `/api/v1/sessions/${session}:start`, { token: gw.tokens.acmeOwner });
    await stream.waitForEvents(1);
    expect(JSON.parse(stream.messages[0]?.data ?? "{}")).toMatchObject({
      type: "session.status",
      sessionId: session,
      data: { status: "starting", previous: "stopped" },
    });
    stream.close();
  });

  it("the console's tRPC subscription events.stream resumes after the last tracked id", async () => {
    const before = await append(ACME);
    const missed = [await append(ACME), await append(ACME)];
    const params = new URLSearchParams({
      input: JSON.stringify({ lastEventId: before }),
      connectionParams: JSON.stringify({ token: gw.tokens.acmeOwner }),
    });
    const trpc = await openStream(`${gw.base}/trpc/events.stream?${params.toString()}`, {});
    await trpc.waitForEvents(2);
    expect(trpc.ids()).toEqual(missed);
    trpc.close();
  });
});
