// The backfill registry without a connection: atomic claim, `session not connected`, get semantics.
import { type DomainError } from "@wa/api";
import type { Database } from "@wa/db";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { BackfillRegistry } from "./registry.ts";

const session = {
  id: "s1",
  organizationId: "o1",
  gatewayId: "gw",
  label: null,
  phoneNumber: null,
  waJid: null,
  waLid: null,
  status: "stopped" as const,
  statusReason: null,
  isAdminSession: false,
  autoRead: false,
  presenceTyping: false,
  ratePerMin: 20,
  ratePerHour: 600,
  createdByUserId: null,
  createdAt: 0,
  updatedAt: 0,
  lastConnectedAt: null,
};

const registry = () =>
  new BackfillRegistry({
    // never reached: without a connection the job fails before touching the database
    db: {} as Database,
    logger: pino({ level: "silent" }),
    sessions: {
      hold: (id: string) => Promise.resolve({ id, organizationId: session.organizationId }),
      assertHeldHere: () => Promise.resolve(),
      connection: () => null,
    },
    batchSize: 500,
  });

describe("backfill registry", () => {
  it("has no job before the first start", async () => {
    expect(await registry().get("s1")).toBeNull();
  });

  it("concurrent starts: exactly one job, the rest conflict; without a connection it fails `session not connected`", async () => {
    const r = registry();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => Promise.resolve().then(() => r.start(session.id))));
    const ok = results.filter((x) => x.status === "fulfilled");
    const refused = results.filter((x): x is PromiseRejectedResult => x.status === "rejected");
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(19);
    for (const x of refused) expect((x.reason as DomainError).code).toBe("conflict");
    expect(r.peek("s1")?.status).toBe("running");
    await r.idle();
    const job = r.peek("s1");
    expect(job).toMatchObject({ status: "failed", error: "session not connected", contacts: 0, groups: 0, groupMembers: 0 });
    expect(job?.finishedAt).toBeGreaterThanOrEqual(job?.startedAt ?? Infinity);
    // finished: a new start is allowed and get returns the newest
    const next = await r.start(session.id);
    expect(next.id).not.toBe(job?.id);
    expect(r.peek("s1")?.id).toBe(next.id);
    await r.idle();
  });

  it("returns copies: callers cannot change the registry's job", async () => {
    const r = registry();
    const job = await r.start(session.id);
    job.status = "succeeded";
    expect(r.peek("s1")?.status).toBe("running");
    await r.idle();
  });
});
