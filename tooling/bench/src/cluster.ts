// Several gateways, the database side: what keeping leases costs. Per gateway one renewal statement every
// renewIntervalMs whatever its session count, so the figure that matters is how long that statement takes for
// 1 000 leases, and how fast leases are taken (a takeover of 300 sessions is 300 acquisitions).
// Failover, rolling restart and forwarding overhead need several gateway processes: see the note below the table.
import { newId, schema } from "@wa/db";
import { acquireLease, renewLeases } from "@wa/db/queries";
import { defaultClusterTimings } from "@wa/gateway/cluster";
import { createBenchDatabase } from "./database.ts";
import { table } from "./report.ts";
import { quantile } from "./stats.ts";

async function timeIt(work: () => Promise<unknown>, rounds: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < rounds; i += 1) {
    const began = performance.now();
    await work();
    out.push(performance.now() - began);
  }
  return out;
}

export async function runCluster(): Promise<{ body: string; postgres: string }> {
  const db = await createBenchDatabase("cluster");
  try {
    const organizationId = newId();
    await db.db.insert(schema.organizations).values({ id: organizationId, name: "Cluster bench" });
    const rows: (string | number)[][] = [];
    for (const count of [1_000]) {
      const gatewayId = `gw-bench-${count}`;
      const ids = Array.from({ length: count }, () => newId());
      for (let i = 0; i < ids.length; i += 1_000) {
        await db.db.insert(schema.waSessions).values(ids.slice(i, i + 1_000).map((id) => ({ id, organizationId, gatewayId, status: "working" as const })));
      }
      const began = performance.now();
      for (const id of ids) await acquireLease(db.db, { sessionId: id, gatewayId, ttlMs: 60_000 });
      const acquirePerSecond = count / ((performance.now() - began) / 1000);
      const renewals = (await timeIt(() => renewLeases(db.db, { gatewayId, ttlMs: 60_000 }), 20)).sort((a, b) => a - b);
      const statementsPerSecond = 1000 / defaultClusterTimings.renewIntervalMs;
      rows.push([
        count,
        `${quantile(renewals, 0.5).toFixed(1)} ms`,
        `${quantile(renewals, 0.99).toFixed(1)} ms`,
        statementsPerSecond.toFixed(2),
        ((statementsPerSecond * quantile(renewals, 0.5)) / 10).toFixed(2),
        Math.round(acquirePerSecond),
      ]);
    }
    const body = [
      "Lease renewal is one `UPDATE … WHERE gateway_id = $1 AND expires_at > now()` per gateway every " +
        `${defaultClusterTimings.renewIntervalMs / 1000} s (lease ${defaultClusterTimings.leaseTtlMs / 1000} s): ` +
        "queries/s per 1 000 sessions = that rate, not a multiple of the session count.",
      "",
      table(
        ["leases held by one gateway", "renewal p50", "renewal p99", "renewal statements/s", "% of one core (p50)", "acquisitions/s (one connection)"],
        rows,
      ),
      "",
      "Failover after SIGKILL, rolling restart and forwarding overhead are measured with real gateway processes in " +
        "`apps/gateway/src/cluster/cluster.processes.test.ts` (3 gateways, 9 sessions: takeover ≈ 10 s); the 100/300-session runs are not in this bench yet.",
    ].join("\n");
    return { body, postgres: db.version };
  } finally {
    await db.drop();
  }
}
