// Child processes of a benchmark (gateway, simulator, load generator): started through the launcher's stack
// (tooling/launcher, the same code `npm start` runs), sampled through /proc, and all stopped at the end — also
// when a benchmark fails or the runner is interrupted.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sleep, startChild as startProcess, type Child as LauncherChild } from "@wa/launcher/processes";
import { startGateway, startSimulator, type GatewayOptions } from "@wa/launcher/stack";

export { freePort, sleep, until } from "@wa/launcher/processes";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

const live = new Set<LauncherChild>();
const cleanups = new Set<() => Promise<void>>();

/** Registers a teardown step run by `stopEverything` (in reverse order of registration). */
export function onCleanup(fn: () => Promise<void>): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Stops every registered teardown and every child still running. Safe to call more than once. */
export async function stopEverything(): Promise<void> {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    await fn().catch((error: unknown) => console.error("cleanup failed:", error));
  }
  await Promise.all([...live].map((child) => child.stop(3_000)));
}

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

export type Child = LauncherChild;

/** A Node process (`node ...args`) with its output kept quietly; stopped by `stopEverything` if still running. */
export function startChild(label: string, args: string[], env: Record<string, string>, options: { cwd?: string } = {}): Child {
  const child = startProcess(label, process.execPath, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...env },
    output: "quiet",
  });
  track(child);
  return child;
}

function track(child: Child): void {
  live.add(child);
  void child.exited.then(() => live.delete(child));
}

export interface SimulatorChild extends Child {
  wsUrl: string;
  httpUrl: string;
}

/** The WhatsApp simulator in its own process, started as the launcher starts it. */
export async function startSimulatorChild(extraArgs: string[] = []): Promise<SimulatorChild> {
  const sim = await startSimulator({ args: extraArgs, output: "quiet", logLevel: "warn" });
  track(sim.child);
  return { ...sim.child, wsUrl: sim.wsUrl, httpUrl: sim.httpUrl };
}

export interface GatewayChild extends Child {
  url: string;
  port: number;
}

/** The bench's web app is absent (tokens are signed by the bench itself), so any fixed secret does. */
export const BENCH_APP_SECRET = "bench-app-secret-bench-app-secret-bench-app-secret";

export interface GatewayChildEnv extends Pick<GatewayOptions, "databaseUrl" | "webUrl" | "jwksUrl" | "waWsUrl" | "gatewayId" | "port" | "logLevel" | "nodeArgs" | "nodePath"> {
  appSecret?: string;
  /** Extra environment variables (e.g. WEBHOOK_ALLOW_PRIVATE for a loopback receiver). */
  env?: Record<string, string>;
}

/** The gateway as the launcher starts it (`node --import tsx apps/gateway/src/index.ts`), so its memory and CPU are its own. */
export async function startGatewayChild(env: GatewayChildEnv): Promise<GatewayChild> {
  const gateway = await startGateway({
    ...env,
    appSecret: env.appSecret ?? BENCH_APP_SECRET,
    gatewayId: env.gatewayId ?? "gw-bench-1",
    logLevel: env.logLevel ?? "warn",
    env: { NODE_ENV: "production", ...env.env },
    output: "quiet",
  });
  track(gateway.child);
  return { ...gateway.child, url: gateway.url, port: gateway.port };
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
