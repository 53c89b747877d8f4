// The console's session stream across gateways, against a real database: status changes written by another
// gateway (the event log) arrive with the session as it is now (and its holder's QR while it waits for a scan);
// sessions held here come from the bus only; a change committed while the stream was opening is not lost; a
// database error resumes the log where it stopped.
import { SessionEventBus, setEventPollInterval, type SessionEvent } from "@wa/api";
import { newId, schema } from "@wa/db";
import { createSession, updateSessionState } from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep, until } from "../../test/harness.ts";
import { ClusterSessionEvents } from "./session-events.ts";

let db: TestDatabase;
let organizationId: string;
let restorePoll: () => void;
const QR = { qr: "2@remote-qr", image: "data:image/png;base64,AA", expiresAt: 1 };

beforeAll(async () => {
  db = await createTestDatabase();
  organizationId = newId();
  await db.db.insert(schema.organizations).values({ id: organizationId, name: "Session events" });
  restorePoll = setEventPollInterval(20);
});
afterAll(async () => {
  restorePoll?.();
  await db?.close();
});

/** A stream over a fresh bus, with `local` the sessions this gateway holds; collects what it yields. */
function open(local: Set<string>, qrOf = async () => QR) {
  const bus = new SessionEventBus();
  const abort = new AbortController();
  const events = new ClusterSessionEvents({ bus, db: db.db, holdsLocally: (id) => local.has(id), qrOf, logger: pino({ level: "silent" }) });
  const received: SessionEvent[] = [];
  const done = (async () => {
    for await (const event of events.subscribe({ organizationId }, abort.signal)) received.push(event);
  })();
  return { bus, received, close: async () => (abort.abort(), await done) };
}

const newSession = async (label: string) => (await createSession(db.db, { organizationId, gatewayId: "gw-other", label })).id;

describe("session events across gateways", () => {
  it("another gateway's status change arrives from the event log, with the session as it is now and its QR", async () => {
    const remote = await newSession("remote");
    const stream = open(new Set());
    try {
      await updateSessionState(db.db, remote, { status: "starting" });
      await updateSessionState(db.db, remote, { status: "scan_qr_code" });
      const waiting = await until(async () => stream.received.find((e) => e.sessionId === remote && e.status === "scan_qr_code") ?? null, "scan_qr_code", 5_000, 20);
      expect(waiting).toMatchObject({ organizationId, qr: QR, session: { id: remote, status: "scan_qr_code" } });
      await updateSessionState(db.db, remote, { status: "working" });
      const working = await until(async () => stream.received.find((e) => e.status === "working") ?? null, "working", 5_000, 20);
      expect(working).toMatchObject({ sessionId: remote, qr: null, session: { status: "working" } });
    } finally {
      await stream.close();
    }
  });

  it("a QR that rotates on the holder while the status stays scan_qr_code reaches the stream when the shown one expires", async () => {
    const remote = await newSession("rotating");
    let current = { qr: "2@first", image: "data:image/png;base64,AA", expiresAt: Date.now() + 300 };
    const stream = open(new Set(), async () => current);
    try {
      await updateSessionState(db.db, remote, { status: "scan_qr_code" });
      await until(async () => stream.received.find((e) => e.sessionId === remote && e.qr?.qr === "2@first") ?? null, "the first QR", 5_000, 20);
      current = { qr: "2@second", image: "data:image/png;base64,BB", expiresAt: Date.now() + 60_000 };
      const rotated = await until(async () => stream.received.find((e) => e.sessionId === remote && e.qr?.qr === "2@second") ?? null, "the rotated QR", 5_000, 20);
      expect(rotated).toMatchObject({ status: "scan_qr_code", session: { id: remote, status: "scan_qr_code" } });
      // Paired meanwhile: the log brings `working`, and no QR is asked for any more.
      await updateSessionState(db.db, remote, { status: "working" });
      await until(async () => stream.received.some((e) => e.sessionId === remote && e.status === "working") || null, "working", 5_000, 20);
      const before = stream.received.length;
      current = { qr: "2@third", image: "data:image/png;base64,CC", expiresAt: Date.now() };
      await sleep(1_500);
      expect(stream.received.slice(before).filter((e) => e.qr?.qr === "2@third")).toEqual([]);
    } finally {
      await stream.close();
    }
  });

  it("a session held here comes from the bus only (no second copy from the log)", async () => {
    const here = await newSession("here");
    const elsewhere = await newSession("elsewhere");
    const stream = open(new Set([here]));
    try {
      const saved = await updateSessionState(db.db, here, { status: "starting" });
      if (!saved) throw new Error("no row");
      stream.bus.publish({ sessionId: here, organizationId, status: "starting", qr: null, session: saved, at: Date.now() });
      // A later change elsewhere, read from the log after the one of `here`: once it arrived, `here`'s was passed.
      await updateSessionState(db.db, elsewhere, { status: "starting" });
      await until(async () => stream.received.some((e) => e.sessionId === elsewhere) || null, "elsewhere", 5_000, 20);
      expect(stream.received.filter((e) => e.sessionId === here)).toHaveLength(1);
    } finally {
      await stream.close();
    }
  });

  it("a change committed just before the stream opened is not lost", async () => {
    const remote = await newSession("early");
    await updateSessionState(db.db, remote, { status: "starting" });
    const stream = open(new Set());
    try {
      await until(async () => stream.received.find((e) => e.sessionId === remote) ?? null, "the early change", 5_000, 20);
    } finally {
      await stream.close();
    }
  });

  it("resumes after a failed read without skipping the entry it failed on", async () => {
    const remote = await newSession("flaky");
    let failures = 1;
    // Past the replay window of the earlier cases' changes: the one failing read is this session's.
    await sleep(2_100);
    const stream = open(new Set());
    const original = db.db.select.bind(db.db);
    try {
      // The stream's read of the session row fails once (the log entry is already in hand then).
      (db.db as { select: unknown }).select = (...args: Parameters<typeof original>) => {
        const builder = original(...args);
        const from = builder.from.bind(builder);
        (builder as { from: unknown }).from = (table: Parameters<typeof from>[0]) => {
          if (table === schema.waSessions && failures > 0) {
            failures--;
            throw new Error("connection reset");
          }
          return from(table);
        };
        return builder;
      };
      await updateSessionState(db.db, remote, { status: "starting" });
      await until(async () => stream.received.find((e) => e.sessionId === remote) ?? null, "the change after a failed read", 5_000, 20);
      expect(failures).toBe(0);
    } finally {
      (db.db as { select: unknown }).select = original;
      await stream.close();
    }
  });
});
