// `npm run bench [-- NAME]`: runs the benchmarks (all, or one by name) and rewrites their sections of BENCHMARKS.md.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createBenchDatabase } from "./database.ts";
import { machineLine, writeSection } from "./report.ts";
import { runSessionsList, seedScale } from "./sessions-list.ts";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const reportFile = path.join(repoRoot, "BENCHMARKS.md");

interface Benchmark {
  name: string;
  run: () => Promise<string>;
}

const benchmarks: Benchmark[] = [
  {
    name: "sessions-list",
    run: async () => {
      const db = await createBenchDatabase("list");
      try {
        await seedScale(db);
        const body = await runSessionsList(db, []);
        return `${body}\n\nMachine: ${machineLine(db.version)}. Command: \`npm run bench -- sessions-list\`.`;
      } finally {
        await db.drop();
      }
    },
  },
];

const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const unknown = wanted.filter((w) => !benchmarks.some((b) => b.name === w));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; known: ${benchmarks.map((b) => b.name).join(", ")}`);
  process.exit(2);
}
const selected = wanted.length ? benchmarks.filter((b) => wanted.includes(b.name)) : benchmarks;
const started = Date.now();
for (const bench of selected) {
  const t0 = Date.now();
  console.log(`▶ ${bench.name}`);
  const body = await bench.run();
  writeSection(reportFile, bench.name, body);
  console.log(body);
  console.log(`✓ ${bench.name} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
console.log(`benchmarks done in ${((Date.now() - started) / 1000).toFixed(0)} s; results in BENCHMARKS.md`);
