// Applies pending migrations with @wa/db's own migrate command (advisory-locked, safe beside the gateway). It runs
// as a child process because @wa/db finds its migrations folder relative to its source file, which a bundled
// server chunk cannot do.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { env, inheritedEnv } from "../env.ts";
import { log } from "./log.ts";

export function migrateOnBoot(): void {
  const started = Date.now();
  const root = env().WA_REPO_ROOT ?? path.resolve(process.cwd(), "../..");
  const cli = path.join(root, "packages", "db", "src", "cli", "migrate.ts");
  const result = spawnSync(process.execPath, ["--import", "tsx", cli], {
    cwd: root,
    env: { ...inheritedEnv(), DATABASE_URL: env().DATABASE_URL },
    encoding: "utf8",
    timeout: 120_000,
  });
  if (result.status !== 0) {
    log.error({ status: result.status, stderr: result.stderr?.slice(-2000) }, "migrations failed");
    throw new Error("database migrations failed; see the log above");
  }
  log.info({ ms: Date.now() - started }, "migrations applied");
}
