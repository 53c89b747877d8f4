// The launcher's environment, read once.
import path from "node:path";
import { dataDir as defaultDataDir } from "./paths.ts";

const nonEmpty = (value: string | undefined) => (value === undefined || value === "" ? undefined : value);

function port(name: string, fallback: number): number {
  const raw = nonEmpty(process.env[name]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    throw new Error(`${name} must be a port number (0–65535), got "${raw}"`);
  }
  return value;
}

export interface LauncherEnv {
  /** The data folder of `npm start`; `npm run demo` uses its `demo/` subfolder. */
  dataDir: string;
  databaseUrl: string | undefined;
  appSecret: string | undefined;
  gatewayPort: number;
  webPort: number;
  simPort: number;
  pglitePort: number;
  webUrl: string | undefined;
  gatewayUrl: string | undefined;
  superAdminEmail: string;
  superAdminPassword: string | undefined;
  demoPassword: string | undefined;
}

export function readLauncherEnv(): LauncherEnv {
  const env = process.env;
  return {
    // Relative to where the command was typed (npm runs scripts from the repository root).
    dataDir: path.resolve(env.INIT_CWD ?? process.cwd(), nonEmpty(env.DATA_DIR) ?? defaultDataDir),
    databaseUrl: nonEmpty(env.DATABASE_URL),
    appSecret: nonEmpty(env.APP_SECRET),
    gatewayPort: port("GATEWAY_PORT", 8080),
    webPort: port("WEB_PORT", 3000),
    simPort: port("WA_SIM_PORT", 7900),
    pglitePort: port("PGLITE_PORT", 0),
    webUrl: nonEmpty(env.WEB_URL),
    gatewayUrl: nonEmpty(env.GATEWAY_URL),
    superAdminEmail: nonEmpty(env.SEED_SUPER_ADMIN_EMAIL) ?? "admin@example.com",
    superAdminPassword: nonEmpty(env.SEED_SUPER_ADMIN_PASSWORD),
    demoPassword: nonEmpty(env.SEED_DEMO_PASSWORD),
  };
}
