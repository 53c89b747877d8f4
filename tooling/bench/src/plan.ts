// Which indexes a query function's statement uses: the statement is captured from drizzle's builder (the function
// runs against a stand-in that records instead of executing), then EXPLAINed on the real database.
import { type Executor } from "@wa/db";
import type { BenchDatabase } from "./database.ts";

interface Captured {
  sql: string;
  params: unknown[];
}

interface Buildable {
  toSQL(): { sql: string; params: unknown[] };
  then: unknown;
}

/** An Executor whose `select(…).from(…)…` chains record their SQL and resolve with no rows. */
function recordingExecutor(real: Executor, sink: Captured[]): Executor {
  const select = ((...args: Parameters<Executor["select"]>) => {
    const builder = real.select(...args);
    return new Proxy(builder, {
      get(target, prop, receiver) {
        if (prop !== "from") return Reflect.get(target, prop, receiver) as unknown;
        return (...fromArgs: unknown[]) => {
          const query = (target.from as (...a: unknown[]) => Buildable)(...fromArgs);
          query.then = (resolve: (rows: unknown[]) => unknown) => {
            sink.push(query.toSQL());
            return Promise.resolve(resolve([]));
          };
          return query;
        };
      },
    });
  }) as Executor["select"];
  return { ...real, select } as Executor;
}

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

export interface PlanSummary {
  /** Indexes the plan reads. */
  indexes: string[];
  /** Tables the plan reads by sequential scan. */
  seqScans: string[];
}

function walk(node: PlanNode, out: PlanSummary): void {
  if (node["Index Name"]) out.indexes.push(node["Index Name"]);
  if (node["Node Type"] === "Seq Scan" && node["Relation Name"]) out.seqScans.push(node["Relation Name"]);
  for (const child of node.Plans ?? []) walk(child, out);
}

/** Runs `call` against the recorder and EXPLAINs the first statement it issued. */
export async function planOf(db: BenchDatabase, call: (executor: Executor) => Promise<unknown>): Promise<PlanSummary> {
  const sink: Captured[] = [];
  await call(recordingExecutor(db.db, sink));
  const statement = sink[0];
  if (!statement) throw new Error("the query function issued no select");
  const [row] = await db.sql.unsafe<{ "QUERY PLAN": [{ Plan: PlanNode }] }[]>(
    `explain (format json) ${statement.sql}`,
    statement.params as never[],
  );
  const plan = row?.["QUERY PLAN"][0]?.Plan;
  if (!plan) throw new Error("no plan");
  const out: PlanSummary = { indexes: [], seqScans: [] };
  walk(plan, out);
  out.indexes = [...new Set(out.indexes)];
  return out;
}
