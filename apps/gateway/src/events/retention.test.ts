// Retention: events past the configured days (never fewer than 7) are pruned with their deliveries; newer ones stay.
import { newId, schema, sql } from "@wa/db";
import { EVENT_ID_ZERO, listEventsAfter } from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../env.ts";
import { EventRetention } from "./retention.ts";

describe("event retention", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t?.close());

  it("[EVENTS][RETENTION] prunes events (and their deliveries) older than the retention, keeps the rest", async () => {
    const org = newId();
    await t.db.insert(schema.organizations).values({ id: org, name: "Retention" });
    const ages = { old: 11, edge: 9, recent: 1 };
    const ids: Record<string, string> = {};
    for (const [name, days] of Object.entries(ages)) {
      ids[name] = newId();
      await t.db.execute(
        sql`insert into events (id, organization_id, type, data, created_at) values (${ids[name]}, ${org}, 'session.status', '{}'::jsonb, now() - make_interval(days => ${days}))`,
      );
    }
    const hook = newId();
    await t.db.execute(sql`insert into webhooks (id, organization_id, url, events, secret_sealed, cursor) values (${hook}, ${org}, 'https://example.com', '["*"]'::jsonb, 'x', ${EVENT_ID_ZERO})`);
    await t.db.execute(sql`insert into webhook_deliveries (id, webhook_id, event_id, type) values (${newId()}, ${hook}, ${ids.old}, 'session.status')`);
    const retention = new EventRetention({ db: t.db, logger: pino({ level: "silent" }), retentionDays: 10 });
    await retention.prune();
    const left = (await listEventsAfter(t.db, { organizationId: org, after: EVENT_ID_ZERO, limit: 10 })).map((e) => e.id);
    expect(left).toEqual([ids.edge, ids.recent]);
    const deliveries = await t.db.execute<{ n: number }>(sql`select count(*)::int as n from webhook_deliveries where webhook_id = ${hook}`);
    expect(deliveries[0]?.n).toBe(0);
  });

  it("retention is at least 7 days: a shorter setting is refused at boot, and the default is 7", () => {
    expect(new EventRetention({ db: t.db, logger: pino({ level: "silent" }), retentionDays: 3 }).retentionDays).toBe(7);
    const base = { APP_SECRET: "x".repeat(32) };
    expect(parseEnv(base).eventRetentionDays).toBe(7);
    expect(parseEnv({ ...base, EVENT_RETENTION_DAYS: "30" }).eventRetentionDays).toBe(30);
    expect(() => parseEnv({ ...base, EVENT_RETENTION_DAYS: "3" })).toThrow(/EVENT_RETENTION_DAYS/);
    expect(parseEnv({ ...base, WEBHOOK_ALLOW_PRIVATE: "1" }).webhookAllowPrivate).toBe(true);
    expect(parseEnv(base).webhookAllowPrivate).toBe(false);
  });
});
