// Command line: `npm run wa-sim -- --port P [--host H] [--scenario FILE] [--qr-refs N] [--qr-refresh-ms MS]`.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { startSimulator } from "./index.ts";
import { muteLibsignalNoise } from "./quiet.ts";
import type { ScenarioOptions } from "./scenario.ts";

muteLibsignalNoise();
const log = pino({ name: "wa-sim", level: process.env.WA_SIM_LOG_LEVEL ?? "info" });

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "7900" },
    host: { type: "string", default: "127.0.0.1" },
    scenario: { type: "string" },
    "qr-refs": { type: "string" },
    "qr-refresh-ms": { type: "string" },
  },
});

const num = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    log.fatal({ option: name, value: v }, "option must be a non-negative integer");
    process.exit(2);
  }
  return n;
};

let scenario: ScenarioOptions | undefined;
if (values.scenario) {
  try {
    // npm runs workspace scripts inside the package; resolve the path against where the command was typed.
    scenario = JSON.parse(readFileSync(resolve(process.env.INIT_CWD ?? process.cwd(), values.scenario), "utf8")) as ScenarioOptions;
  } catch (err) {
    log.fatal({ file: values.scenario, err: (err as Error).message }, "cannot read scenario file");
    process.exit(2);
  }
}

const sim = await startSimulator({
  port: num(values.port, "port"),
  host: values.host,
  scenario,
  qrRefs: num(values["qr-refs"], "qr-refs"),
  qrRefreshMs: num(values["qr-refresh-ms"], "qr-refresh-ms"),
  logger: log,
});
log.info({ url: sim.url, control: `${sim.httpUrl}/sim/`, rootPublicKey: Buffer.from(sim.rootPublicKey).toString("base64") }, "wa-sim listening");

const shutdown = () => {
  void sim.stop().then(() => process.exit(0));
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
