// Command line: `npm run wa-sim -- --port P [--host H] [--scenario FILE] [--state-dir DIR] [--qr-refs N]
// [--qr-refresh-ms MS] [--log-format pretty|json]`.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { startSimulator } from "./index.ts";
import { createSimLogger, type LogFormat } from "./log.ts";
import { muteLibsignalNoise } from "./quiet.ts";
import type { ScenarioOptions } from "./scenario.ts";

muteLibsignalNoise();

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "7900" },
    host: { type: "string", default: "127.0.0.1" },
    scenario: { type: "string" },
    "state-dir": { type: "string" },
    "qr-refs": { type: "string" },
    "qr-refresh-ms": { type: "string" },
    "log-format": { type: "string", default: "pretty" },
  },
});

const format: LogFormat = values["log-format"] === "json" ? "json" : "pretty";
const log = createSimLogger({ level: process.env.WA_SIM_LOG_LEVEL ?? "info", format });
if (values["log-format"] !== "json" && values["log-format"] !== "pretty") {
  log.fatal({ option: "log-format", value: values["log-format"] }, "option must be pretty or json");
  process.exit(2);
}

const num = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    log.fatal({ option: name, value: v }, "option must be a non-negative integer");
    process.exit(2);
  }
  return n;
};

// npm runs workspace scripts inside the package; resolve paths against where the command was typed.
const fromInvocation = (p: string): string => resolve(process.env.INIT_CWD ?? process.cwd(), p);

let scenario: ScenarioOptions | undefined;
if (values.scenario) {
  try {
    scenario = JSON.parse(readFileSync(fromInvocation(values.scenario), "utf8")) as ScenarioOptions;
  } catch (err) {
    log.fatal({ file: values.scenario, err: (err as Error).message }, "cannot read scenario file");
    process.exit(2);
  }
}

const stateDir = values["state-dir"] ? fromInvocation(values["state-dir"]) : undefined;
let sim;
try {
  sim = await startSimulator({
    port: num(values.port, "port"),
    host: values.host,
    scenario,
    stateDir,
    qrRefs: num(values["qr-refs"], "qr-refs"),
    qrRefreshMs: num(values["qr-refresh-ms"], "qr-refresh-ms"),
    logger: log,
  });
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  const hint = e.code === "EADDRINUSE" ? " (port in use: pick another with --port)" : "";
  log.fatal({ err: e.message }, `simulator failed to start${hint}`);
  process.exit(1);
}
// The root key is public, but machine readers (json) are the only ones that need it on this line.
log.info(
  { url: sim.url, control: `${sim.httpUrl}/sim/`, ...(stateDir ? { stateDir } : {}), ...(format === "json" ? { rootPublicKey: Buffer.from(sim.rootPublicKey).toString("base64") } : {}) },
  "wa-sim listening",
);

const running = sim;
const shutdown = () => {
  void running.stop().then(() => process.exit(0));
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
process.on("SIGHUP", shutdown);
