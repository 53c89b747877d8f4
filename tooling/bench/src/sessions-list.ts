// Admin session list at scale: our keyset pages vs OFFSET pages vs returning every row, first page and page 1000.
import { seed, sql, type Executor, type SessionStatus } from "@wa/db";
import { decodeSessionCursor, encodeSessionCursor, listSessions, type ListSessionsParams } from "@wa/db/queries";
import type { BenchDatabase } from "./database.ts";
import { measure, measureInterleaved, ms, summarize, type Summary } from "./stats.ts";
import { planOf, type PlanSummary } from "./plan.ts";
import { table } from "./report.ts";

/** The console bench's scale (a browser against the seeded database). */
export const SESSIONS = 100_000;
/** The admin list's scale: seeded in a few set-based statements, not row by row. */
export const LIST_SESSIONS = 1_000_000;
export const ORGS = 1_000;
const PAGE = 50;
const DEEP_PAGE = 1_000;
// Repetitions sized so the whole section stays within a few minutes of the 15-minute `npm run bench`: medians over
// 60 interleaved pairs move by a few percent between runs on this machine, far less than the ratios they decide.
const RUNS = 30;
const OFFSET_RUNS = 20;
const SEARCH_RUNS = 20;
const UNPAGINATED_RUNS = 2;
/** The unpaginated comparison reads this many rows (all of a million would dominate the run's time budget). */
const UNPAGINATED_ROWS = 100_000;
const SYNTHETIC_EPOCH = Date.UTC(2025, 0, 1);

/**
 * The synthetic sessions' two gateways, registered as live (heartbeat a day ahead): otherwise the bench's own gateway
 * would see a quarter of a million `working` sessions whose gateway is gone and take them over (restore, fail, write
 * their status) while it is being measured, changing the very rows the filters count.
 */
async function registerSyntheticGateways(db: BenchDatabase): Promise<void> {
  await db.sql`
    insert into gateways (id, base_url, status, started_at, heartbeat_at)
    select g, 'http://127.0.0.1:9', 'online', now(), now() + interval '1 day' from unnest(array['gw-a', 'gw-b']) g
    on conflict (id) do update set status = 'online', heartbeat_at = excluded.heartbeat_at`;
}

const labelWords = ["Sales", "Support", "Billing", "Warehouse", "Delivery", "Marketing", "Front desk", "Night shift"];

/** Phone number, JID and LID of synthetic session `i` (as the seeder writes them). */
export function syntheticSession(i: number): { label: string; phone: string; jid: string; lid: string } {
  const phone = `62${String(800_000_000 + i).padStart(10, "0")}`;
  return {
    label: `${labelWords[i % labelWords.length] ?? "Line"} ${i + 1}`,
    phone,
    jid: `${phone}@s.whatsapp.net`,
    lid: `${String(100_000_000_000_000 + i)}@lid`,
  };
}

/**
 * `sessions` sessions over 1 000 organizations on two gateways, statuses spread, seeded set-based: the secondary
 * indexes of wa_sessions are dropped, the rows go in with one `insert … select … from generate_series` (foreign-key
 * triggers off for this load only: every organization exists, seeded just before), then the indexes are rebuilt from
 * their own definitions (a sorted build instead of a million insertions into each, the GIN trigram index above all)
 * and the table is vacuumed and analyzed. The table ends exactly as the migrations define it.
 */
export async function seedListScale(db: BenchDatabase, sessions = LIST_SESSIONS): Promise<{ seconds: number }> {
  const t0 = performance.now();
  await seed(db.db, {
    superAdminEmail: "admin@example.com",
    superAdminPassword: "bench-password",
    demoPassword: "bench-password",
  });
  await registerSyntheticGateways(db);
  await db.sql`
    insert into organizations (id, name, created_at, updated_at)
    select 'org-bench-' || lpad(o::text, 4, '0'), 'Bench Org ' || lpad(o::text, 4, '0'), now(), now()
    from generate_series(1, ${ORGS}) o`;
  const words = db.sql.array(labelWords);
  const statuses = db.sql.array(["stopped", "working", "failed", "logged_out"]);
  const indexes = await db.sql<{ name: string; definition: string }[]>`
    select i.indexname as name, i.indexdef as definition from pg_indexes i
    where i.schemaname = current_schema() and i.tablename = 'wa_sessions'
      and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`;
  for (const index of indexes) await db.sql.unsafe(`drop index "${index.name.replace(/"/g, '""')}"`);
  await db.sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    // ids sort like ULIDs (time first); ten seconds apart, so newest-first is the reverse of i.
    await tx`
      insert into wa_sessions (id, organization_id, gateway_id, label, phone_number, wa_jid, wa_lid, status,
        created_at, updated_at)
      select 'S' || lpad(i::text, 12, '0'),
        'org-bench-' || lpad((1 + i % ${ORGS})::text, 4, '0'),
        case when i % 2 = 0 then 'gw-a' else 'gw-b' end,
        (${words}::text[])[1 + i % ${labelWords.length}] || ' ' || (i + 1),
        '62' || lpad((800000000 + i)::text, 10, '0'),
        '62' || lpad((800000000 + i)::text, 10, '0') || '@s.whatsapp.net',
        (100000000000000 + i)::text || '@lid',
        (${statuses}::text[])[1 + (abs(hashint4(i)) % 4)],
        to_timestamp((${SYNTHETIC_EPOCH}::bigint + i::bigint * 10000) / 1000.0),
        to_timestamp((${SYNTHETIC_EPOCH}::bigint + i::bigint * 10000) / 1000.0)
      from generate_series(0, ${sessions - 1}::int) i`;
  });
  // Two builds at a time: one per core.
  const queue = [...indexes];
  const build = async () => {
    const conn = await db.sql.reserve();
    try {
      await conn`set maintenance_work_mem = '256MB'`;
      for (let index = queue.shift(); index; index = queue.shift()) await conn.unsafe(index.definition);
    } finally {
      conn.release();
    }
  };
  await Promise.all([build(), build()]);
  await db.sql`vacuum analyze wa_sessions`;
  return { seconds: (performance.now() - t0) / 1000 };
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
  let res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  // A 503 is the gateway's health probe saying the database did not answer within its 5 s (a shared machine under
  // heavy load can do that); a second try after it recovers, rather than a failed section.
  for (let retry = 0; res.status === 503 && retry < 5; retry++) {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  }
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

export async function runSessionsList(
  db: BenchDatabase,
  targets: Target[],
  { sessions, seedSeconds, quick = false }: { sessions: number; seedSeconds: number; quick?: boolean },
): Promise<string> {
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
      const runs = quick ? Math.ceil(approach.runs / 5) : approach.runs;
      const [firstSamples, deepSamples] = await measureInterleaved([approach.page(first, 1), approach.page(deep, DEEP_PAGE)], runs);
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
      const result = await db.db.execute(
        sql`select ${COLUMNS} from wa_sessions order by created_at desc, id desc limit ${UNPAGINATED_ROWS}`,
      );
      bytes = 0;
      for (const row of result) bytes += JSON.stringify(row).length + 1;
    }, UNPAGINATED_RUNS, 1),
  );
  rows.push([`${UNPAGINATED_ROWS.toLocaleString("en")} rows unpaginated (SQL + JSON)`, "no filter", "all", ms(all.median), ms(all.p99)]);

  return [
    `## Admin session list at scale (${sessions.toLocaleString("en")} sessions, ${ORGS.toLocaleString("en")} organizations, pages of ${PAGE})`,
    "",
    `Seeded set-based (one \`insert … select … from generate_series\` with the secondary indexes dropped, then the indexes rebuilt from their definitions and \`vacuum analyze\`: ${seedSeconds.toFixed(0)} s).`,
    `Per-page time in ms, median and p99 over ${RUNS} requests (OFFSET: ${OFFSET_RUNS}, unpaginated: ${UNPAGINATED_RUNS}); first and deep page requests alternate. SQL rows are the query`,
    "function alone; REST and tRPC rows are full HTTP round trips on loopback with a super_admin JWT (auth, validation,",
    "serialization included).",
    "",
    table(["approach", "filter", "page", "median ms", "p99 ms"], rows),
    "",
    "Deep page cost relative to the first page (goal ≤ 1.3 for ours):",
    ...ratios,
    `- unpaginated response (the first ${UNPAGINATED_ROWS.toLocaleString("en")} rows only): ${(bytes / 2 ** 20).toFixed(1)} MiB of JSON per request`,
    "",
    ...(await searchSection(db, sessions)),
    "",
    goalLine(ratioValues, httpMedians),
  ].join("\n");
}

const describePlan = (plan: PlanSummary) =>
  `${plan.indexes.map((i) => `\`${i}\``).join(" + ") || "none"}${plan.seqScans.length ? `; seq scan of ${plan.seqScans.join(", ")}` : ""}`;

/** Every filter and every kind of search, first page: its time and the indexes its plan reads. */
async function searchSection(db: BenchDatabase, sessions: number): Promise<string[]> {
  const target = Math.floor(sessions * 0.4242);
  const one = syntheticSession(target);
  const [org] = await db.sql<{ id: string }[]>`select organization_id as id from wa_sessions where label = ${one.label}`;
  const cases: { kind: string; what: string; params: Omit<ListSessionsParams, "limit" | "cursor">; search: boolean }[] = [
    { kind: "filter", what: "no filter", params: {}, search: false },
    { kind: "filter", what: "organization", params: { organizationId: org?.id ?? "?" }, search: false },
    { kind: "filter", what: "gateway", params: { gatewayId: "gw-a" }, search: false },
    { kind: "filter", what: "status ×2", params: { statuses: ["working", "failed"] }, search: false },
    { kind: "search", what: `label, whole ("${one.label}")`, params: { q: one.label }, search: true },
    { kind: "search", what: `label, fragment ("${one.label.slice(3, -1)}")`, params: { q: one.label.slice(3, -1) }, search: true },
    { kind: "search", what: `phone, whole (${one.phone})`, params: { q: `+${one.phone}` }, search: true },
    { kind: "search", what: `phone, prefix (${one.phone.slice(0, -1)})`, params: { q: one.phone.slice(0, -1) }, search: true },
    { kind: "search", what: `JID (${one.jid})`, params: { q: one.jid }, search: true },
    { kind: "search", what: `LID (${one.lid})`, params: { q: one.lid }, search: true },
    {
      kind: "search + filter",
      what: "label fragment in an organization",
      params: { q: one.label.slice(3, -1), organizationId: org?.id ?? "?" },
      search: true,
    },
  ];
  const rows: (string | number)[][] = [];
  const searchMedians: number[] = [];
  let firstPageMedian = Number.NaN;
  const unindexed: string[] = [];
  for (const c of cases) {
    const call = (executor: Executor) => listSessions(executor, { limit: PAGE, ...c.params });
    const page = await call(db.db);
    if (c.search && !page.data.some((r) => r.label === one.label)) throw new Error(`search "${c.what}" did not find its session`);
    const plan = await planOf(db, call);
    if (plan.seqScans.includes("wa_sessions")) unindexed.push(c.what);
    const summary = summarize(await measure(() => call(db.db), SEARCH_RUNS, 5));
    if (c.search) searchMedians.push(summary.median);
    if (c.what === "no filter") firstPageMedian = summary.median;
    rows.push([
      c.kind,
      c.what,
      page.data.length,
      ms(summary.median),
      ms(summary.p99),
      (summary.median / firstPageMedian).toFixed(2),
      describePlan(plan),
    ]);
  }
  const worst = Math.max(...searchMedians);
  return [
    `Filters and search, first page (\`listSessions\`, SQL), median and p99 over ${SEARCH_RUNS} calls; indexes as read from`,
    "the statement's `EXPLAIN`. The label is matched as a case-insensitive substring, served by a trigram GIN index",
    "(`pg_trgm`); phone number, JID and LID as prefixes, by `text_pattern_ops` b-trees; the id by the primary key; the",
    "search's branches are OR-ed (a BitmapOr of those indexes), then the page is sorted newest first. A filter matching",
    "a large share of rows (gateway, status) is served by walking the newest-first index and skipping non-matching rows:",
    "the planner's choice for a first page, cheaper than its own index plus a sort.",
    "",
    table(["kind", "what", "rows", "median ms", "p99 ms", "÷ unfiltered first page", "indexes read"], rows),
    "",
    `Goals: every filter and search served by an index (no sequential scan of wa_sessions) — ${unindexed.length === 0 ? "met" : `not met (${unindexed.join(", ")})`};` +
      ` search at ${sessions.toLocaleString("en")} sessions under 50 ms median — ${worst < 50 ? "met" : "not met"} (worst median ${ms(worst)} ms,` +
      ` ${(worst / firstPageMedian).toFixed(2)}× the unfiltered first page measured beside it, the floor on this machine at this moment).`,
  ];
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
