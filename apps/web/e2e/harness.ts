// End-to-end stack on 127.0.0.1: a fresh database (seeded), the WhatsApp simulator, the gateway and the web app
// (`next start` after `next build`), plus Chromium via playwright-core. stop() tears everything down.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { createDbClient, seed } from "@wa/db";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";

export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const REPO_ROOT = path.resolve(WEB_DIR, "../..");
export const ARTIFACTS = path.join(WEB_DIR, "e2e-artifacts");
/** The harness's own build folder (see next.config.ts). */
export const DIST_DIR = ".next-e2e";
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const ADMIN = { email: "admin@example.com", password: "e2e-admin-password" };
export const DEMO_PASSWORD = "e2e-demo-password";
export const SEEDED_SESSIONS = 230;
export const SEEDED_ORGS = 3;

export interface Simulator {
  url: string;
  httpUrl: string;
  stop: () => Promise<void>;
}

export interface StackOptions {
  /** Use this (already migrated and seeded) database instead of a fresh seeded test database. */
  databaseUrl?: string;
}

export interface Stack {
  db: Pick<TestDatabase, "sql" | "db" | "url" | "kind">;
  sim: Simulator;
  webUrl: string;
  gatewayUrl: string;
  browser: Browser;
  /** A browser context signed in as `email` (cookie set through the sign-in API, as documenso does). */
  signedIn: (email: string, password?: string) => Promise<BrowserContext>;
  /** A login JWT for `email`, from the web app's token endpoint. */
  tokenFor: (email: string, password?: string) => Promise<string>;
  stop: () => Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, what: string, child: ChildProcess, logs: () => string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before it was ready:\n${logs()}`);
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} was not ready at ${url} within ${timeoutMs} ms:\n${logs()}`);
}

function run(label: string, command: string, args: string[], env: Record<string, string>, cwd: string) {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return { child, logs: () => `--- ${label} output (tail) ---\n${output.slice(-6000)}` };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds the web app unless the last build is newer than every source file. */
export function ensureWebBuild(): void {
  const buildId = path.join(WEB_DIR, DIST_DIR, "BUILD_ID");
  const sourcesChanged = () =>
    Math.max(newestMtime(path.join(WEB_DIR, "src")), statSync(path.join(WEB_DIR, "next.config.ts")).mtimeMs) >
    statSync(buildId).mtimeMs;
  if (existsSync(buildId) && !sourcesChanged()) return;
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, "node_modules", "next", "dist", "bin", "next"), "build"], {
    cwd: WEB_DIR,
    encoding: "utf8",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NEXT_DIST_DIR: DIST_DIR },
  });
  if (result.status !== 0) throw new Error(`next build failed:\n${result.stdout}\n${result.stderr}`);
}

async function killTree(child: ChildProcess | undefined) {
  if (!child || child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 8000);
  await exited;
  clearTimeout(timer);
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  mkdirSync(ARTIFACTS, { recursive: true });
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  // E2E_GATEWAY_ENTRY: another entry point with the same environment (development only).
  const gatewayEntry = process.env.E2E_GATEWAY_ENTRY ?? path.join(REPO_ROOT, "apps", "gateway", "src", "index.ts");
  if (!existsSync(gatewayEntry)) throw new Error(`the gateway entry point ${gatewayEntry} does not exist yet`);

  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((e: unknown) => console.error("cleanup failed:", e));
  };
  try {
    ensureWebBuild();
    let db: Stack["db"];
    if (options.databaseUrl) {
      const client = createDbClient(options.databaseUrl, { max: 2, applicationName: "wa-e2e" });
      cleanups.push(() => client.close());
      db = { ...client, url: options.databaseUrl, kind: "postgres" };
    } else {
      const test = await createTestDatabase();
      cleanups.push(() => test.close());
      await seed(test.db, {
        superAdminEmail: ADMIN.email,
        superAdminPassword: ADMIN.password,
        demoPassword: DEMO_PASSWORD,
        sessions: SEEDED_SESSIONS,
        orgs: SEEDED_ORGS,
      });
      db = test;
    }

    const { startSimulator } = (await import("@wa/wa-sim")) as { startSimulator: (o?: { host?: string }) => Promise<Simulator> };
    const sim = await startSimulator();
    cleanups.push(() => sim.stop());

    const [webPort, gatewayPort] = [await freePort(), await freePort()];
    const webUrl = `http://127.0.0.1:${webPort}`;
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const appSecret = "e2e-app-secret-e2e-app-secret-e2e-app-secret";

    const web = run(
      "web",
      process.execPath,
      [path.join(REPO_ROOT, "node_modules", "next", "dist", "bin", "next"), "start", "-H", "127.0.0.1", "-p", String(webPort)],
      {
        DATABASE_URL: db.url,
        WEB_URL: webUrl,
        GATEWAY_URL: gatewayUrl,
        APP_SECRET: appSecret,
        WEB_PORT: String(webPort),
        NEXT_TELEMETRY_DISABLED: "1",
        NEXT_DIST_DIR: DIST_DIR,
        LOG_LEVEL: process.env.E2E_WEB_LOG_LEVEL ?? "warn",
      },
      WEB_DIR,
    );
    cleanups.push(() => killTree(web.child));
    await waitFor(`${webUrl}/api/auth/jwks`, "web", web.child, web.logs);

    const gateway = run(
      "gateway",
      process.execPath,
      ["--import", "tsx", gatewayEntry],
      {
        DATABASE_URL: db.url,
        GATEWAY_PORT: String(gatewayPort),
        GATEWAY_ID: "gw-local-1",
        GATEWAY_URL: gatewayUrl,
        WEB_URL: webUrl,
        AUTH_JWKS_URL: `${webUrl}/api/auth/jwks`,
        WA_WS_URL: sim.url,
        LOG_LEVEL: "warn",
      },
      REPO_ROOT,
    );
    cleanups.push(() => killTree(gateway.child));
    await waitFor(`${gatewayUrl}/healthz`, "gateway", gateway.child, gateway.logs);

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    cleanups.push(() => browser.close());

    const signInCookie = async (email: string, password: string) => {
      const res = await fetch(`${webUrl}/api/auth/sign-in`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password }),
      });
      if (res.status !== 200) throw new Error(`sign-in of ${email} failed: ${res.status} ${await res.text()}`);
      const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
      const [name, value] = cookie.split("=");
      if (!name || !value) throw new Error("sign-in set no cookie");
      return { name, value };
    };
    const passwordOf = (email: string, password?: string) => password ?? (email === ADMIN.email ? ADMIN.password : DEMO_PASSWORD);

    return {
      db,
      sim,
      webUrl,
      gatewayUrl,
      browser,
      signedIn: async (email, password) => {
        const { name, value } = await signInCookie(email, passwordOf(email, password));
        const context = await browser.newContext({ baseURL: webUrl, viewport: { width: 1366, height: 900 } });
        await context.addCookies([{ name, value, url: webUrl, httpOnly: true, sameSite: "Lax" }]);
        return context;
      },
      tokenFor: async (email, password) => {
        const { name, value } = await signInCookie(email, passwordOf(email, password));
        const res = await fetch(`${webUrl}/api/auth/token`, { headers: { cookie: `${name}=${value}` } });
        if (res.status !== 200) throw new Error(`token for ${email} failed: ${res.status}`);
        return ((await res.json()) as { token: string }).token;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
