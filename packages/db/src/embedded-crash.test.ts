// Crash safety of the embedded database: the process serving it is SIGKILLed in the middle of a stream of
// writes, again and again; every transaction whose commit was acknowledged is there after the next start, none
// is half there, and the folder opens every time (its stale lock is recovered).
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { describe, expect, it } from "vitest";

const embeddedModule = fileURLToPath(new URL("./embedded.ts", import.meta.url));
const ROUNDS = 4;
const ROWS_PER_TRANSACTION = 3;

/** A process that opens the folder's embedded database, prints its URL and serves until killed. */
function serve(dataDir: string) {
  const script = `const { startEmbeddedDatabase } = await import(${JSON.stringify(embeddedModule)});
    const db = await startEmbeddedDatabase({ dataDir: ${JSON.stringify(dataDir)} });
    console.log("url " + db.url);
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const match = /url (\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.on("exit", (code) => reject(new Error(`the database process exited (${code}) before serving:\n${out}`)));
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return { child, url, exited };
}

describe("SIGKILL of the process running the embedded database", () => {
  it(`loses no committed transaction and opens again, ${ROUNDS} rounds`, { timeout: 900_000 }, async () => {
    const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), "wa-crash-")), "data");
    const committed = new Set<number>();
    let nextTx = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const server = serve(dataDir);
      const url = await server.url;
      const sql = postgres(url, { max: 4, onnotice: () => {}, connect_timeout: 30 });
      await sql`create table if not exists writes (tx int not null, n int not null, payload text not null, primary key (tx, n))`;

      // Everything acknowledged in earlier rounds survived the kill, whole.
      const rows = await sql<{ tx: number; n: number }[]>`select tx, count(*)::int as n from writes group by tx`;
      const present = new Map(rows.map((r) => [r.tx, r.n]));
      for (const tx of committed) expect(present.get(tx), `transaction ${tx} (round ${round})`).toBe(ROWS_PER_TRANSACTION);
      for (const [tx, n] of present) expect(n, `transaction ${tx} is whole`).toBe(ROWS_PER_TRANSACTION);

      // Four writers commit transactions until the database process dies under them.
      const killAfter = committed.size + 40 + round * 25;
      let dead = false;
      const writer = async () => {
        while (!dead) {
          const tx = nextTx++;
          try {
            await sql.begin(async (t) => {
              for (let n = 0; n < ROWS_PER_TRANSACTION; n++) {
                await t`insert into writes (tx, n, payload) values (${tx}, ${n}, ${"x".repeat(500)})`;
              }
            });
            committed.add(tx);
            if (committed.size >= killAfter && !dead) {
              dead = true;
              server.child.kill("SIGKILL");
            }
          } catch {
            // the kill cut this one off: it was never acknowledged
            dead = true;
          }
        }
      };
      await Promise.all([writer(), writer(), writer(), writer()]);
      await server.exited;
      await sql.end({ timeout: 1 }).catch(() => {});
    }
    expect(committed.size).toBeGreaterThan(ROUNDS * 40);

    const last = serve(dataDir);
    const sql = postgres(await last.url, { max: 1, onnotice: () => {} });
    const rows = await sql<{ tx: number }[]>`select distinct tx from writes`;
    const present = new Set(rows.map((r) => r.tx));
    expect([...committed].filter((tx) => !present.has(tx))).toEqual([]);
    await sql.end();
    last.child.kill("SIGTERM");
    await last.exited;
  });
});
