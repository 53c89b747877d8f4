// Admin session list at scale: our keyset pages vs OFFSET pages vs returning every row, first page and page 1000.
import { seed, sql, type SessionStatus } from "@wa/db";
import { decodeSessionCursor, encodeSessionCursor, listSessions } from "@wa/db/queries";
import type { BenchDatabase } from "./database.ts";
import { measure, measureInterleaved, ms, summarize, type Summary } from "./stats.ts";
import { table } from "./report.ts";

export const SESSIONS = 100_000;
export const ORGS = 1_000;
const PAGE = 50;
const DEEP_PAGE = 1_000;
const RUNS = 200;
const OFFSET_RUNS = 60;

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
  /** Fetches one page; resolves with the ids on it. */
  page: (filter: ListFilter, cursor: string | null) => Promise<string[]>;
}

/** A JWT that is re-minted before it expires (tokens live 5 minutes; a run can take longer). */
function freshToken(mint: () => Promise<string>): () => Promise<string> {
  let token: { value: string; at: number } | null = null;
  return async () => {
    if (!token || Date.now() - token.at > 60_000) token = { value: await mint(), at: Date.now() };
    return token.value;
  };
}

interface PageBody {
  data?: { id: string }[];
  result?: { data?: { data?: { id: string }[] } };
}

async function fetchPage(url: string, token: string): Promise<string[]> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as PageBody;
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${JSON.stringify(body)}`);
  const rows = body.data ?? body.result?.data?.data;
  if (!rows) throw new Error(`${url}: unexpected body ${JSON.stringify(body).slice(0, 200)}`);
  return rows.map((r) => r.id);
}

/**
 * The same pages over the gateway's two transports: REST `GET /api/v1/admin/sessions?…` and tRPC
 * `GET /trpc/admin.sessions.list?input=<JSON>` (a single, non-batched query: no `batch=1`, input not wrapped).
 */
export function httpTargets(gatewayUrl: string, mint: () => Promise<string>): Target[] {
  const token = freshToken(mint);
  const input = (filter: ListFilter, cursor: string | null) => ({
    limit: PAGE,
    ...(cursor ? { cursor } : {}),
    ...(filter.where.gatewayId ? { gatewayId: filter.where.gatewayId } : {}),
    ...(filter.where.statuses ? { status: filter.where.statuses } : {}),
  });
  return [
    {
      name: "REST",
      page: async (filter, cursor) => {
        const query = new URLSearchParams();
        for (const [key, value] of Object.entries(input(filter, cursor))) {
          for (const v of Array.isArray(value) ? value : [value]) query.append(key, String(v));
        }
        return fetchPage(`${gatewayUrl}/api/v1/admin/sessions?${query.toString()}`, await token());
      },
    },
    {
      name: "tRPC",
      page: async (filter, cursor) => {
        const encoded = encodeURIComponent(JSON.stringify(input(filter, cursor)));
        return fetchPage(`${gatewayUrl}/trpc/admin.sessions.list?input=${encoded}`, await token());
      },
    },
  ];
}

export async function runSessionsList(db: BenchDatabase, targets: Target[]): Promise<string> {
  const rows: (string | number)[][] = [];
  const ratios: string[] = [];
  const httpMedians: number[] = [];
  const ratioValues: number[] = [];
  const cursors = new Map<string, string | null>();
  for (const filter of FILTERS) {
    for (const page of [1, DEEP_PAGE]) cursors.set(`${filter.name}/${page}`, await cursorForPage(db, filter, page));
  }
  const record = (approach: string, filter: ListFilter, page: number, s: Summary) =>
    rows.push([approach, filter.name, page, ms(s.median), ms(s.p99)]);

  for (const filter of FILTERS) {
    const results: Record<string, Summary> = {};
    const first = cursors.get(`${filter.name}/1`) ?? null;
    const deep = cursors.get(`${filter.name}/${DEEP_PAGE}`) ?? null;
    const keysetPage = (cursor: string | null) => () =>
      listSessions(db.db, { limit: PAGE, ...filter.where, cursor: cursor ? decodeSessionCursor(cursor) : null });
    // First and deep page alternate request by request, so both see the same machine (their ratio is fair).
    const approaches: { key: string; label: string; page: (cursor: string | null, page: number) => () => Promise<unknown>; runs: number }[] = [
      { key: "keyset", label: "keyset (ours), SQL", page: (cursor) => keysetPage(cursor), runs: RUNS },
      ...targets.map((t) => ({ key: t.name, label: `keyset (ours), ${t.name}`, page: (cursor: string | null) => () => t.page(filter, cursor), runs: RUNS })),
      { key: "offset", label: "OFFSET, SQL", page: (_cursor: string | null, page: number) => () => offsetPage(db, filter, page), runs: OFFSET_RUNS },
    ];
    for (const target of targets) {
      // The transport must serve exactly the rows the query function returns, or its timing means nothing.
      for (const cursor of [first, deep]) {
        const expected = await keysetPage(cursor)();
        const got = await target.page(filter, cursor);
        if (got.length !== PAGE || got.join() !== expected.data.map((r) => r.id).join()) {
          throw new Error(`${target.name} served other rows than the query for ${filter.name} (cursor ${cursor ?? "none"})`);
        }
      }
    }
    for (const approach of approaches) {
      const [firstSamples, deepSamples] = await measureInterleaved([approach.page(first, 1), approach.page(deep, DEEP_PAGE)], approach.runs);
      for (const [page, samples] of [[1, firstSamples], [DEEP_PAGE, deepSamples]] as const) {
        const summary = summarize(samples ?? []);
        record(approach.label, filter, page, summary);
        results[`${approach.key}/${page}`] = summary;
        if (targets.some((t) => t.name === approach.key)) httpMedians.push(summary.median);
      }
    }
    const ratio = (k: string) => {
      const deep = results[`${k}/${DEEP_PAGE}`];
      const first = results[`${k}/1`];
      if (!deep || !first) return "?";
      if (k !== "offset") ratioValues.push(deep.median / first.median);
      return (deep.median / first.median).toFixed(2);
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
    `Per-page time in ms, median and p99 over ${RUNS} requests (OFFSET: ${OFFSET_RUNS}, unpaginated: 10); first and deep page requests alternate. SQL rows are the query`,
    "function alone; REST and tRPC rows are full HTTP round trips on loopback with a super_admin JWT (auth, validation,",
    "serialization included).",
    "",
    table(["approach", "filter", "page", "median ms", "p99 ms"], rows),
    "",
    "Deep page cost relative to the first page (goal ≤ 1.3 for ours):",
    ...ratios,
    `- unpaginated response: ${(bytes / 2 ** 20).toFixed(1)} MiB of JSON per request`,
    "",
    goalLine(ratioValues, httpMedians),
  ].join("\n");
}


function goalLine(ratios: number[], httpMedians: number[]): string {
  const worstRatio = Math.max(...ratios);
  const lines = [
    `Goals: deep page ÷ first page ≤ 1.3 for ours — ${worstRatio <= 1.3 ? "met" : "not met"} (worst ${worstRatio.toFixed(2)}).`,
  ];
  if (httpMedians.length) {
    const worst = Math.max(...httpMedians);
    lines.push(
      `A page over HTTP (REST or tRPC, any filter, first or deep) in under 10 ms median — ${worst < 10 ? "met" : "not met"} (worst median ${ms(worst)} ms).`,
    );
  }
  return lines.join(" ");
}
