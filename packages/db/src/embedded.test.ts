import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import postgres from "postgres";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "./embedded.ts";

describe("embedded PGlite over the wire protocol", () => {
  let embedded: EmbeddedDatabase;
  let clients: postgres.Sql[];

  beforeAll(async () => {
    embedded = await startEmbeddedDatabase();
    // three pools, as the launcher, the gateway and the web app would hold
    clients = [0, 1, 2].map(() => postgres(embedded.url, { max: 5, onnotice: () => {} }));
    await clients[0]?.unsafe("create table t (id int primary key, a text, b int)");
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end()));
    await embedded.stop();
  });

  it("runs concurrent parameterized queries from many connections without mixing them up", async () => {
    const work = clients.flatMap((sql, c) =>
      Array.from({ length: 60 }, async (_, i) => {
        const id = c * 1000 + i;
        await sql`insert into t (id, a, b) values (${id}, ${`row-${id}`}, ${i})`;
        const [row] = await sql<{ a: string; b: number }[]>`select a, b from t where id = ${id} and b = ${i}`;
        return row?.a === `row-${id}` && row.b === i;
      }),
    );
    const results = await Promise.all(work);
    expect(results.every(Boolean)).toBe(true);
    const [count] = await (clients[1] ?? postgres())`select count(*)::int as n from t`;
    expect(count?.n).toBe(180);
  });

  it("isolates a transaction: others wait for it and never see or join its half-done work", async () => {
    const [a, b] = clients;
    if (!a || !b) throw new Error("clients missing");
    let sawUncommitted = false;
    const tx = a.begin(async (sql) => {
      await sql`insert into t (id, a, b) values (5000, 'tx', 1)`;
      await new Promise((r) => setTimeout(r, 100));
      await sql`insert into t (id, a, b) values (5001, 'tx', 2)`;
    });
    const reader = (async () => {
      await new Promise((r) => setTimeout(r, 20));
      const rows = await b`select count(*)::int as n from t where a = 'tx'`;
      sawUncommitted = rows[0]?.n === 1;
      return rows[0]?.n;
    })();
    await tx;
    expect(await reader).toBe(2);
    expect(sawUncommitted).toBe(false);
  });

  it("a client killed inside a transaction neither blocks the others nor leaves its writes behind", async () => {
    const [a] = clients;
    if (!a) throw new Error("clients missing");
    const script = `import("postgres").then(async ({ default: postgres }) => {
      const sql = postgres(process.argv[1], { max: 2, onnotice: () => {} });
      const other = sql\`select pg_sleep(0.01)\`;
      await sql.begin(async (tx) => {
        await tx\`insert into t (id, a, b) values (7000 + \${Number(process.argv[2])}, 'killed', 0)\`;
        process.kill(process.pid, "SIGKILL");
      });
      await other;
    });`;
    for (let round = 0; round < 5; round++) {
      const child = spawn(process.execPath, ["-e", script, embedded.url, String(round)], { stdio: "ignore" });
      const waiting = a`select count(*)::int as n from t where a = 'killed'`;
      await new Promise((resolve) => child.on("exit", resolve));
      const rows = await Promise.race([
        waiting,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error("blocked by a dead client")), 10_000)),
      ]);
      expect(rows[0]?.n).toBe(0);
    }
    const after = await a`select count(*)::int as n from t where a = 'killed'`;
    expect(after[0]?.n).toBe(0);
  });

  it("rolls back a failed transaction and keeps serving others", async () => {
    const [a, b] = clients;
    if (!a || !b) throw new Error("clients missing");
    await expect(
      a.begin(async (sql) => {
        await sql`insert into t (id, a, b) values (6000, 'rolled back', 1)`;
        await sql`insert into t (id, a, b) values (6000, 'duplicate', 1)`;
      }),
    ).rejects.toThrow(/duplicate key/);
    const rows = await b`select count(*)::int as n from t where id = 6000`;
    expect(rows[0]?.n).toBe(0);
  });
});
