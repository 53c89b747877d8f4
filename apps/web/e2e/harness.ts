// End-to-end stack on 127.0.0.1: a fresh database (seeded), the WhatsApp simulator, the gateway and the web app
// (`next start` after `next build`), plus Chromium via playwright-core. stop() tears everything down.
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { createDbClient, seed } from "@wa/db";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { startStack as startProcesses } from "@wa/launcher/stack";
import { ensureWebBuild as buildWeb } from "@wa/launcher/web-build";
import { loginToken, signInCookie } from "@wa/launcher/sign-in";

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
  /** Calls the simulator's HTTP API (`/sim/...`); a non-2xx answer throws. */
  request: <T = unknown>(method: string, route: string, body?: unknown) => Promise<T>;
  stop: () => Promise<void>;
}

/** A gateway REST answer: the status and the parsed body (null when empty). */
export interface ApiAnswer<T> {
  status: number;
  body: T;
}

export interface StackOptions {
  /** Use this (already migrated and seeded) database instead of a fresh seeded test database. */
  databaseUrl?: string;
  /** Extra environment for the gateway (e.g. WEBHOOK_ALLOW_PRIVATE=1 for a receiver on loopback). */
  gatewayEnv?: Record<string, string>;
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
  /** Calls the gateway's REST API (`/api/v1...`) with a bearer token. */
  api: <T = unknown>(token: string, method: string, route: string, body?: unknown) => Promise<ApiAnswer<T>>;
  /** Creates and starts a session, scans its QR with a simulated phone (`scenario`: its contacts, groups…), waits for `working`. */
  pairSession: (token: string, label: string, scenario: Record<string, number | string>) => Promise<{ id: string; phoneNumber: string }>;
  stop: () => Promise<void>;
}

const jsonInit = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: { ...headers, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
  body: body !== undefined ? JSON.stringify(body) : undefined,
});

async function gatewayApi<T>(gatewayUrl: string, token: string, method: string, route: string, body?: unknown): Promise<ApiAnswer<T>> {
  const res = await fetch(`${gatewayUrl}/api/v1${route}`, jsonInit(method, body, { authorization: `Bearer ${token}` }));
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

async function simulatorApi<T>(httpUrl: string, method: string, route: string, body?: unknown): Promise<T> {
  const res = await fetch(`${httpUrl}${route}`, jsonInit(method, body));
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`simulator ${method} ${route} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Polls `fn` every 250 ms until it returns something truthy (a throw counts as "not yet"), else fails after `timeoutMs`. */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

/** Builds the web app into the harness's own folder unless that build is up to date. */
export const ensureWebBuild = (): void => buildWeb(DIST_DIR);

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  mkdirSync(ARTIFACTS, { recursive: true });
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);

  const started = Date.now();
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

    // The same processes `npm start` runs, started the same way (tooling/launcher).
    const processes = await startProcesses({
      databaseUrl: db.url,
      appSecret: "e2e-app-secret-e2e-app-secret-e2e-app-secret",
      simulator: { output: "quiet" },
      web: { distDir: DIST_DIR, logLevel: process.env.E2E_WEB_LOG_LEVEL ?? "warn" },
      gateway: { logLevel: "warn", ...(options.gatewayEnv ? { env: options.gatewayEnv } : {}) },
      output: "quiet",
    });
    cleanups.push(() => processes.stop());
    const { webUrl, gatewayUrl } = processes;
    const simulator = processes.simulator;
    if (!simulator) throw new Error("the stack started no simulator");
    const sim: Simulator = {
      url: simulator.wsUrl,
      httpUrl: simulator.httpUrl,
      request: (method, route, body) => simulatorApi(simulator.httpUrl, method, route, body),
      stop: simulator.stop,
    };

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    cleanups.push(() => browser.close());

    const passwordOf = (email: string, password?: string) => password ?? (email === ADMIN.email ? ADMIN.password : DEMO_PASSWORD);
    const api: Stack["api"] = (token, method, route, body) => gatewayApi(gatewayUrl, token, method, route, body);
    const pairSession: Stack["pairSession"] = async (token, label, scenario) => {
      const created = await api<{ id: string }>(token, "POST", "/sessions", { label, start: true });
      if (created.status !== 201) throw new Error(`create session → ${created.status} ${JSON.stringify(created.body)}`);
      const id = created.body.id;
      const qr = await until("a QR", async () => {
        const r = await api<{ qr: string }>(token, "GET", `/sessions/${id}/qr`);
        return r.status === 200 ? r.body.qr : null;
      });
      const scanned = await sim.request<{ phoneNumber: string }>("POST", "/sim/scan", { qr, scenario });
      await until("status working", async () => (await api<{ status: string }>(token, "GET", `/sessions/${id}`)).body.status === "working", 60_000);
      return { id, phoneNumber: scanned.phoneNumber };
    };
    console.log(`stack up in ${Date.now() - started} ms: web ${webUrl}, gateway ${gatewayUrl}, db ${db.kind}`);

    return {
      db,
      sim,
      webUrl,
      gatewayUrl,
      browser,
      signedIn: async (email, password) => {
        const { name, value } = await signInCookie(webUrl, email, passwordOf(email, password));
        const context = await browser.newContext({ baseURL: webUrl, viewport: { width: 1366, height: 900 } });
        await context.addCookies([{ name, value, url: webUrl, httpOnly: true, sameSite: "Lax" }]);
        return context;
      },
      tokenFor: (email, password) => loginToken(webUrl, email, passwordOf(email, password)),
      api,
      pairSession,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
