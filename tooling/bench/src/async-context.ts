// What live AsyncLocalStorage instances cost every await, per Node major: Baileys made one per socket (patched to one
// per process, see patches/@whiskeysockets+baileys+…), and before Node 24 every instance adds a property write to
// every promise the process creates. Floor: the same awaits with one instance, in the same process.
import { spawnSync } from "node:child_process";
import { nodeBinary } from "./node-binary.ts";
import { table } from "./report.ts";

const AWAITS = 20_000;
const COUNTS = [1, 50, 500];

/** A child script: N enabled instances, then AWAITS awaits timed (after one untimed pass). */
const SCRIPT = `
const { AsyncLocalStorage } = require("node:async_hooks");
const n = Number(process.argv[1]);
for (let i = 0; i < n; i++) new AsyncLocalStorage().run({}, () => {});
(async () => {
  const work = async () => { for (let i = 0; i < ${AWAITS}; i++) await Promise.resolve(i); };
  await work();
  const t0 = process.cpuUsage();
  await work();
  const cpu = process.cpuUsage(t0);
  console.log(JSON.stringify({ version: process.version, us: (cpu.user + cpu.system) / ${AWAITS} }));
})();
`;

function measure(node: string, instances: number): { version: string; us: number } {
  const result = spawnSync(node, ["-e", SCRIPT, String(instances)], { encoding: "utf8", timeout: 300_000 });
  if (result.status !== 0) throw new Error(`node ${node} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim()) as { version: string; us: number };
}

export async function runAsyncContext(): Promise<{ body: string; postgres: string }> {
  const rows: (string | number)[][] = [];
  const ratios: string[] = [];
  for (const major of [20, 22, 24]) {
    const node = nodeBinary(major);
    if (!node) {
      rows.push([`${major} (not installable here)`, "—", "—", "—"]);
      continue;
    }
    const results = COUNTS.map((n) => measure(node, n));
    const floor = results[0]?.us ?? Number.NaN;
    rows.push([results[0]?.version ?? String(major), ...results.map((r) => `${r.us.toFixed(2)} µs (${(r.us / floor).toFixed(1)}×)`)]);
    ratios.push(`${results[0]?.version ?? major} ${((results.at(-1)?.us ?? Number.NaN) / floor).toFixed(1)}×`);
  }
  await Promise.resolve();
  return {
    postgres: "no database",
    body: [
      "## Async context cost per await (AsyncLocalStorage instances)",
      "",
      `CPU per \`await\` of a resolved promise (${AWAITS.toLocaleString("en")} awaits, after one untimed pass) in a fresh process with N enabled`,
      "`AsyncLocalStorage` instances, on each Node major (`npx -p node@N`). Baileys 7.0.0-rc14 creates one per socket",
      "(its key-store transactions) and Node never releases them, so before the patch a gateway that had opened N sockets paid",
      "the N column on every promise. Floor: 1 instance, same process kind, same run.",
      "",
      table(["node", ...COUNTS.map((n) => `${n} instance${n === 1 ? "" : "s"}`)], rows),
      "",
      `Goal: the gateway's await cost independent of its sockets (≤ 1.3× the 1-instance floor at 500). Raw Node, 500 instances ÷ 1: ${ratios.join(", ")}.` +
        " With the patch (one instance per process, `patches/@whiskeysockets+baileys+7.0.0-rc14.patch`, held by" +
        " `apps/gateway/src/whatsapp/transaction-storage.test.ts`) the gateway is always in the 1-instance column — met on every major;" +
        " Node 24 (AsyncContextFrame) would be flat even without it.",
    ].join("\n"),
  };
}
