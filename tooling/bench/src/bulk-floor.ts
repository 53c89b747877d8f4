// The database's bulk-write floor for a set of rows: the same rows loaded straight into empty copies of their
// tables (same columns, defaults, constraints and indexes; `create table … (like … including all)`), one
// `insert … select … from unnest($1::text[], …)` per table, i.e. one round trip per table. What a backfill of those
// rows could approach if it had nothing to fetch, compare or merge.
import type { BenchDatabase } from "./database.ts";

interface Column {
  name: string;
  type: string;
}

async function columnsOf(db: BenchDatabase, table: string): Promise<Column[]> {
  return db.sql<Column[]>`
    select a.attname as name, format_type(a.atttypid, a.atttypmod) as type
    from pg_attribute a
    where a.attrelid = ${table}::regclass and a.attnum > 0 and not a.attisdropped
    order by a.attnum`;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Reads the rows of `tables` matching `where` into this process (as text arrays, one per column), then times
 * loading them into fresh empty copies; the copies are dropped afterwards. Returns the median of `repeats` loads in
 * seconds, and the rows per load.
 */
export async function bulkWriteFloor(
  db: BenchDatabase,
  tables: readonly string[],
  where: string,
  repeats = 3,
): Promise<{ seconds: number; rows: number; perTable: Record<string, number> }> {
  const data: { table: string; columns: Column[]; arrays: (string | null)[][]; rows: number }[] = [];
  for (const table of tables) {
    const columns = await columnsOf(db, table);
    const select = columns.map((c) => `array_agg(${ident(c.name)}::text) as ${ident(c.name)}`).join(", ");
    const [row] = await db.sql.unsafe<Record<string, (string | null)[] | null>[]>(
      `select count(*)::int as "__n", ${select} from ${ident(table)} where ${where}`,
    );
    const arrays = columns.map((c) => row?.[c.name] ?? []);
    data.push({ table, columns, arrays, rows: Number(row?.__n ?? 0) });
  }
  const times: number[] = [];
  const perTableRuns: Record<string, number[]> = {};
  for (let i = 0; i < repeats; i++) {
    for (const { table } of data) {
      await db.sql.unsafe(`drop table if exists ${ident(`floor_${table}`)}`);
      await db.sql.unsafe(`create table ${ident(`floor_${table}`)} (like ${ident(table)} including all)`);
    }
    const t0 = performance.now();
    for (const { table, columns, arrays } of data) {
      const t = performance.now();
      const params = columns.map((_, j) => `$${j + 1}::text[]`).join(", ");
      const casts = columns.map((c, j) => `u.c${j}::${c.type}`).join(", ");
      const aliases = columns.map((_, j) => `c${j}`).join(", ");
      await db.sql.unsafe(
        `insert into ${ident(`floor_${table}`)} (${columns.map((c) => ident(c.name)).join(", ")})
         select ${casts} from unnest(${params}) as u(${aliases})`,
        arrays as never[],
      );
      (perTableRuns[table] ??= []).push((performance.now() - t) / 1000);
    }
    times.push((performance.now() - t0) / 1000);
  }
  for (const { table } of data) await db.sql.unsafe(`drop table if exists ${ident(`floor_${table}`)}`);
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  return {
    seconds: med(times),
    rows: data.reduce((sum, d) => sum + d.rows, 0),
    perTable: Object.fromEntries(Object.entries(perTableRuns).map(([t, xs]) => [t, med(xs)])),
  };
}
