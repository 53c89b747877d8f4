// Child processes of a benchmark (gateway, simulator, load generator): spawned on loopback, sampled through /proc,
// and all stopped at the end — also when a benchmark fails or the runner is interrupted.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** `npm run bench` as a whole stays under 15 minutes; benchmarks that can stretch (pairing) ask what is left. */
const RUN_BUDGET_MS = 13.5 * 60_000;
const runStarted = Date.now();
export const remainingRunMs = () => RUN_BUDGET_MS - (Date.now() - runStarted);

const live = new Set<ChildProcess>();
const cleanups = new Set<() => Promise<void>>();

/** Registers a teardown step run by `stopEverything` (in reverse order of registration). */
export function onCleanup(fn: () => Promise<void>): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

async function killChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stops every registered teardown and every child still running. Safe to call more than once. */
export async function stopEverything(): Promise<void> {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    await fn().catch((error: unknown) => console.error("cleanup failed:", error));
  }
  await Promise.all([...live].map((child) => killChild(child, 3_000)));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resident set size of a process in MiB, from /proc (0 when it is gone). */
export function rssMiB(pid: number): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

/** User + system CPU time of a process in ms. */
export function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

export interface Child {
  child: ChildProcess;
  pid: number;
  /** The last lines of its output, for error messages. */
  tail: () => string;
  /** Everything it wrote to stdout (kept up to 1 MB). */
  stdout: () => string;
  /** Resolves when a line matching `pattern` appears in stdout/stderr; rejects if the process exits first. */
  waitForLine: (pattern: RegExp, timeoutMs: number) => Promise<RegExpExecArray>;
  stop: () => Promise<void>;
  /** Exit code once it exited. */
  exited: Promise<number | null>;
}

export function startChild(label: string, args: string[], env: Record<string, string>, options: { cwd?: string } = {}): Child {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  let output = "";
  let stdout = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    if (stdout.length < 1_000_000) stdout += chunk.toString();
  });
  const watchers = new Set<() => void>();
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-200_000);
    for (const watcher of watchers) watcher();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      live.delete(child);
      for (const watcher of watchers) watcher();
      resolve(code);
    }),
  );
  const tail = () => `--- ${label} (pid ${child.pid ?? "?"}) output, tail ---\n${output.slice(-4_000)}`;
  return {
    child,
    pid: child.pid ?? 0,
    tail,
    stdout: () => stdout,
    exited,
    waitForLine: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const from = output.length;
        const check = () => {
          const match = pattern.exec(output.slice(Math.max(0, from - 1_000)));
          if (match) {
            done();
            resolve(match);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`${label} exited (${child.exitCode ?? child.signalCode}) before ${pattern}\n${tail()}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${label}: no ${pattern} within ${timeoutMs} ms\n${tail()}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          watchers.delete(check);
        };
        watchers.add(check);
        check();
      }),
    stop: () => killChild(child),
  };
}

/** Polls `fn` until it returns a truthy value. */
export async function until<T>(fn: () => Promise<T | null | undefined | false>, what: string, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}`);
}

export interface SimulatorChild extends Child {
  wsUrl: string;
  httpUrl: string;
}

/** The WhatsApp simulator in its own process (`packages/wa-sim/src/cli.ts`). */
export async function startSimulatorChild(extraArgs: string[] = []): Promise<SimulatorChild> {
  const port = await freePort();
  const cli = path.join(REPO_ROOT, "packages", "wa-sim", "src", "cli.ts");
  const sim = startChild("wa-sim", ["--import", "tsx", cli, "--port", String(port), ...extraArgs], { WA_SIM_LOG_LEVEL: "warn" });
  const httpUrl = `http://127.0.0.1:${port}`;
  await waitReady(sim, `${httpUrl}/sim/health`, 30_000);
  return { ...sim, wsUrl: `ws://127.0.0.1:${port}/ws/chat`, httpUrl };
}

/** Polls `url` until it answers 2xx; fails at once (with the output tail) if the process exits. */
async function waitReady(proc: Child, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`exited before it was ready\n${proc.tail()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(150);
  }
  await proc.stop();
  throw new Error(`not ready at ${url} within ${timeoutMs} ms\n${proc.tail()}`);
}

export interface GatewayChild extends Child {
  url: string;
  port: number;
}

export interface GatewayChildEnv {
  databaseUrl: string;
  webUrl: string;
  jwksUrl: string;
  waWsUrl?: string;
  gatewayId?: string;
  port?: number;
  logLevel?: string;
  /** Extra Node flags (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
}

/** The gateway as `node --import tsx apps/gateway/src/index.ts`, so its memory and CPU are its own. */
export async function startGatewayChild(env: GatewayChildEnv): Promise<GatewayChild> {
  const port = env.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const entry = path.join(REPO_ROOT, "apps", "gateway", "src", "index.ts");
  const gateway = startChild(
    "gateway",
    [...(env.nodeArgs ?? []), "--import", "tsx", entry],
    {
      DATABASE_URL: env.databaseUrl,
      GATEWAY_PORT: String(port),
      GATEWAY_ID: env.gatewayId ?? "gw-bench-1",
      GATEWAY_URL: url,
      WEB_URL: env.webUrl,
      AUTH_JWKS_URL: env.jwksUrl,
      WA_WS_URL: env.waWsUrl ?? "",
      LOG_LEVEL: env.logLevel ?? "warn",
      NODE_ENV: "production",
    },
  );
  await waitReady(gateway, `${url}/readyz`, 60_000);
  return { ...gateway, url, port };
}

/** Waits until the process has used under 5 % of a core for a full second; resolves with the time waited. */
export async function quiet(pid: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let last = cpuMs(pid);
  while (Date.now() - started < timeoutMs) {
    await sleep(1_000);
    const now = cpuMs(pid);
    if (now - last < 50) return Date.now() - started;
    last = now;
  }
  return Date.now() - started;
}
