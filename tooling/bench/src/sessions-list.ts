// Admin session list at scale: our keyset pages vs OFFSET pages vs returning every row, first page and page 1000.
import { decodeSessionCursor, encodeSessionCursor, listSessions, seed, sql, type SessionStatus } from "@wa/db";
import type { BenchDatabase } from "./database.ts";
import { measure, ms, summarize, type Summary } from "./stats.ts";
import { table } from "./report.ts";

export const SESSIONS = 100_000;
export const ORGS = 1_000;
const PAGE = 50;
const DEEP_PAGE = 1_000;
const RUNS = 200;

/** 100 000 sessions over 1 000 organizations on two gateways, with a spread of statuses to filter on. */
export async function seedScale(db: BenchDatabase): Promise<void> {
  await seed(db.db, {
    superAdminEmail: "admin@example.com",
    superAdminPassword: "bench-password",
    demoPassword: "bench-password",
    sessions: SESSIONS,
    orgs: ORGS,
    gatewayIds: ["gw-a", "gw-b"],
  });
  const statuses: SessionStatus[] = ["stopped", "working", "failed", "logged_out"];
  await db.sql`update wa_sessions set status = (${db.sql.array(statuses)}::text[])[1 + (abs(hashtext(id)) % 4)]`;
  await db.sql`analyze wa_sessions`;
}

export interface ListFilter {
  name: string;
  where: { gatewayId?: string; statuses?: SessionStatus[] };
}

export const FILTERS: ListFilter[] = [
  { name: "no filter", where: {} },
  { name: "gateway", where: { gatewayId: "gw-a" } },
  { name: "status ×2", where: { statuses: ["working", "failed"] } },
];

/** The cursor that opens page `page` (1-based) under a filter, read straight from the table. */
export async function cursorForPage(db: BenchDatabase, filter: ListFilter, page: number): Promise<string | null> {
  if (page === 1) return null;
  const rows = await db.sql<{ created_ms: number; id: string }[]>`
    select (extract(epoch from created_at) * 1000)::float8 as created_ms, id from wa_sessions
    where ${filter.where.gatewayId ? db.sql`gateway_id = ${filter.where.gatewayId}` : db.sql`true`}
      and ${filter.where.statuses ? db.sql`status = any(${db.sql.array(filter.where.statuses)})` : db.sql`true`}
    order by created_at desc, id desc offset ${(page - 1) * PAGE - 1} limit 1`;
  const row = rows[0];
  if (!row) throw new Error(`filter ${filter.name} has fewer than ${page} pages`);
  return encodeSessionCursor({ createdAt: Math.round(row.created_ms), id: row.id });
}

const COLUMNS = sql.raw(
  "id, organization_id, gateway_id, label, phone_number, wa_jid, wa_lid, status, is_admin_session, auto_read, presence_typing, rate_per_min, rate_per_hour, created_by_user_id, created_at, updated_at, last_connected_at",
);

function offsetPage(db: BenchDatabase, filter: ListFilter, page: number) {
  const { gatewayId, statuses } = filter.where;
  return db.db.execute(sql`select ${COLUMNS} from wa_sessions
    where ${gatewayId ? sql`gateway_id = ${gatewayId}` : sql`true`}
      and ${statuses ? sql`status in (${sql.join(statuses.map((s) => sql`${s}`), sql`, `)})` : sql`true`}
    order by created_at desc, id desc limit ${PAGE} offset ${(page - 1) * PAGE}`);
}

export interface Target {
  name: string;
  page: (filter: ListFilter, cursor: string | null) => Promise<unknown>;
}

export async function runSessionsList(db: BenchDatabase, targets: Target[]): Promise<string> {
  const rows: (string | number)[][] = [];
  const ratios: string[] = [];
  const cursors = new Map<string, string | null>();
  for (const filter of FILTERS) {
    for (const page of [1, DEEP_PAGE]) cursors.set(`${filter.name}/${page}`, await cursorForPage(db, filter, page));
  }
  const record = (approach: string, filter: ListFilter, page: number, s: Summary) =>
    rows.push([approach, filter.name, page, ms(s.median), ms(s.p99)]);

  for (const filter of FILTERS) {
    const results: Record<string, Summary> = {};
    for (const page of [1, DEEP_PAGE]) {
      const cursor = cursors.get(`${filter.name}/${page}`) ?? null;
      const keyset = summarize(
        await measure(
          () => listSessions(db.db, { limit: PAGE, ...filter.where, cursor: cursor ? decodeSessionCursor(cursor) : null }),
          RUNS,
        ),
      );
      record("keyset (ours), SQL", filter, page, keyset);
      results[`keyset/${page}`] = keyset;
      for (const target of targets) {
        const s = summarize(await measure(() => target.page(filter, cursor), RUNS));
        record(`keyset (ours), ${target.name}`, filter, page, s);
        results[`${target.name}/${page}`] = s;
      }
      const offset = summarize(await measure(() => offsetPage(db, filter, page), Math.min(RUNS, 60)));
      record("OFFSET, SQL", filter, page, offset);
      results[`offset/${page}`] = offset;
    }
    const ratio = (k: string) => {
      const deep = results[`${k}/${DEEP_PAGE}`];
      const first = results[`${k}/1`];
      return deep && first ? (deep.median / first.median).toFixed(2) : "?";
    };
    ratios.push(
      `- ${filter.name}: page ${DEEP_PAGE} ÷ page 1 — keyset SQL ${ratio("keyset")}` +
        targets.map((t) => `, ${t.name} ${ratio(t.name)}`).join("") +
        `, OFFSET ${ratio("offset")}`,
    );
  }

  // What the Go gateway does: every row, unpaginated.
  let bytes = 0;
  const all = summarize(
    await measure(async () => {
      const result = await db.db.execute(sql`select ${COLUMNS} from wa_sessions order by created_at desc, id desc`);
      bytes = JSON.stringify(result).length;
    }, 10, 2),
  );
  rows.push(["every row, unpaginated (SQL + JSON)", "no filter", "all", ms(all.median), ms(all.p99)]);

  return [
    `## Admin session list at scale (${SESSIONS.toLocaleString("en")} sessions, ${ORGS.toLocaleString("en")} organizations, pages of ${PAGE})`,
    "",
    `Per-page time in ms, median and p99 over ${RUNS} requests (OFFSET: 60, unpaginated: 10). SQL rows are the query`,
    "function alone; REST and tRPC rows are full HTTP round trips on loopback with a super_admin JWT (auth, validation,",
    "serialization included).",
    "",
    table(["approach", "filter", "page", "median ms", "p99 ms"], rows),
    "",
    "Deep page cost relative to the first page (goal ≤ 1.3 for ours):",
    ...ratios,
    `- unpaginated response: ${(bytes / 2 ** 20).toFixed(1)} MiB of JSON per request`,
  ].join("\n");
}

