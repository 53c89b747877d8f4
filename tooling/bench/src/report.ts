// BENCHMARKS.md upkeep: each benchmark owns one marked section, replaced in place when it runs again.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { PLAN, planVerdict } from "./time-plan.ts";

export function machineLine(postgresVersion: string): string {
  const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  const memGiB = Math.round(os.totalmem() / 2 ** 30);
  return `${cpu}, ${os.cpus().length} cores, ${memGiB} GiB, Node ${process.version}, ${postgresVersion}`;
}

const HEADER = `# Benchmarks

Every figure below is produced by \`npm run bench\` (all of them) or \`npm run bench -- NAME\` (one). The full run
follows a time plan (\`tooling/bench/src/time-plan.ts\`, seconds per section on these 2 cores):
${PLAN.map((p) => `${p.name} ${p.seconds} s`).join(", ")}; ${planVerdict()} (and the console's \`next build\`, about
2 minutes, when the web app changed since its last build). The sections that pair sessions size their scale from
their own allowance (and say so), a section run alone gets the same allowance, and the runner prints each section's
time against its plan and the total. The runner rewrites the section of each benchmark it ran and this introduction, so
nothing here is edited by hand. Everything runs on 127.0.0.1 against the machine's PostgreSQL
(\`BENCH_DATABASE_URL\`, default \`postgres://postgres@127.0.0.1:5432/postgres\`; a fresh database per benchmark,
dropped at the end). The gateway, the simulator, the web app and the load generator run as child processes where a
section says so; every server and child process is stopped when its benchmark ends, failed or not. Medians are over
the runs stated. The machine is shared, so absolute figures move from run to run: every headline figure is a ratio
against a floor measured in the same run (named in its section), and the goals are those ratios. Each section ends
with the machine and the command that produced it, and states its floor, its ratio, its goal and met or not met.
\`npm run bench -- --quick\` runs smaller scales for a smoke test and only prints them (this file keeps the full run's
figures). Goals are reported, never enforced: the command fails only when a benchmark cannot run.
`;

export function writeSection(file: string, name: string, body: string): void {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const section = `${start}\n${body.trim()}\n${end}`;
  let text = existsSync(file) ? readFileSync(file, "utf8") : HEADER;
  // The introduction is the runner's too: whatever precedes the first section is replaced by the current one.
  const firstSection = text.indexOf("<!-- bench:");
  text = firstSection >= 0 ? `${HEADER}\n${text.slice(firstSection)}` : text;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  text = from >= 0 && to > from ? text.slice(0, from) + section + text.slice(to + end.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, text.endsWith("\n") ? text : `${text}\n`);
}

export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
