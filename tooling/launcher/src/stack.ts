// The one way to start the product's processes: the WhatsApp simulator (optional), the gateway and the web
// console, each a child of this process on loopback. `npm start`, `npm run demo`, the Chromium e2e harness and
// the benchmarks all call this; stop() ends every child it started.
import path from "node:path";
import { freePort, portIsFree, startChild, waitForHttp, type Child } from "./processes.ts";
import { repoRoot } from "./paths.ts";

const tsxNode = (entry: string, nodeArgs: string[] = []) => [...nodeArgs, "--import", "tsx", entry];
const nextBin = path.join(repoRoot, "node_modules", "next", "dist", "bin", "next");
export const webDir = path.join(repoRoot, "apps", "web");

export interface SimulatorProcess {
  child: Child;
  port: number;
  wsUrl: string;
  httpUrl: string;
  stop: () => Promise<void>;
}

export interface SimulatorOptions {
  /** 0 or omitted: a free port. */
  port?: number;
  /** Where the simulator keeps its accounts and linked devices (`--state-dir`), so a restart brings them back. */
  stateDir?: string;
  /** More CLI flags (`--scenario`, `--qr-refs` …). */
  args?: string[];
  output?: "prefix" | "quiet";
  logLevel?: string;
}

/** The WhatsApp simulator in its own process (`packages/wa-sim/src/cli.ts`), its lines prefixed `[sim]`. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorProcess> {
  const port = options.port || (await freePort());
  await requireFreePort(port, "WA_SIM_PORT");
  const cli = path.join(repoRoot, "packages", "wa-sim", "src", "cli.ts");
  const args = ["--port", String(port), ...(options.stateDir ? ["--state-dir", options.stateDir] : []), ...(options.args ?? [])];
  const child = startChild("sim", process.execPath, tsxNode(cli).concat(args), {
    cwd: repoRoot,
    env: { ...process.env, WA_SIM_LOG_LEVEL: options.logLevel ?? process.env.WA_SIM_LOG_LEVEL ?? "warn" },
    output: options.output,
  });
  const httpUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${httpUrl}/sim/health`, child, 60_000);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { child, port, wsUrl: `ws://127.0.0.1:${port}/ws/chat`, httpUrl, stop: () => child.stop() };
}

export interface GatewayOptions {
  databaseUrl: string;
  /** The same APP_SECRET as the web app's: the gateway derives the auth-state encryption key from it. */
  appSecret: string;
  webUrl: string;
  /** Where the gateway fetches the login JWT keys; default `${webUrl}/api/auth/jwks`. */
  jwksUrl?: string;
  /** Its public URL; default http://127.0.0.1:<port>. */
  publicUrl?: string;
  port?: number;
  gatewayId?: string;
  waWsUrl?: string;
  logLevel?: string;
  nodeArgs?: string[];
  /** The node binary (default: this process's); the bench runs the gateway on another Node major with it. */
  nodePath?: string;
  env?: Record<string, string>;
  output?: "prefix" | "quiet";
  /** Its name in the output's prefix (default `gateway`). */
  name?: string;
}

export interface GatewayProcess {
  child: Child;
  port: number;
  url: string;
  stop: () => Promise<void>;
}

/** The gateway's environment, written once. */
export function gatewayEnv(options: GatewayOptions & { port: number }): Record<string, string> {
  return {
    DATABASE_URL: options.databaseUrl,
    APP_SECRET: options.appSecret,
    GATEWAY_PORT: String(options.port),
    GATEWAY_ID: options.gatewayId ?? "gw-local-1",
    GATEWAY_URL: options.publicUrl ?? `http://127.0.0.1:${options.port}`,
    WEB_URL: options.webUrl,
    AUTH_JWKS_URL: options.jwksUrl ?? `${options.webUrl}/api/auth/jwks`,
    WA_WS_URL: options.waWsUrl ?? "",
    LOG_LEVEL: options.logLevel ?? "info",
    ...options.env,
  };
}

/** The gateway as `node --import tsx apps/gateway/src/index.ts`; resolves once its /readyz answers. */
export async function startGateway(options: GatewayOptions): Promise<GatewayProcess> {
  const port = options.port || (await freePort());
  await requireFreePort(port, "GATEWAY_PORT");
  const entry = path.join(repoRoot, "apps", "gateway", "src", "index.ts");
  const child = startChild(options.name ?? "gateway", options.nodePath ?? process.execPath, tsxNode(entry, options.nodeArgs), {
    cwd: repoRoot,
    env: { ...process.env, ...gatewayEnv({ ...options, port }) },
    output: options.output,
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, child, 120_000, (status) => status === 200);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { child, port, url: `http://127.0.0.1:${port}`, stop: () => child.stop() };
}

export interface WebOptions {
  databaseUrl: string;
  appSecret: string;
  /** Its public URL (JWT issuer); default http://127.0.0.1:<port>. */
  publicUrl?: string;
  gatewayUrl: string;
  port?: number;
  /** The Next build folder to serve (NEXT_DIST_DIR); default `.next`. */
  distDir?: string;
  logLevel?: string;
  env?: Record<string, string>;
  output?: "prefix" | "quiet";
}

export interface WebProcess {
  child: Child;
  port: number;
  url: string;
  stop: () => Promise<void>;
}

/** The web console as `next start` of the last build; resolves once its JWKS answers. */
export async function startWeb(options: WebOptions): Promise<WebProcess> {
  const port = options.port || (await freePort());
  await requireFreePort(port, "WEB_PORT");
  const child = startChild("web", process.execPath, [nextBin, "start", "-H", "127.0.0.1", "-p", String(port)], {
    cwd: webDir,
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      APP_SECRET: options.appSecret,
      WEB_URL: options.publicUrl ?? `http://127.0.0.1:${port}`,
      GATEWAY_URL: options.gatewayUrl,
      WEB_PORT: String(port),
      NEXT_TELEMETRY_DISABLED: "1",
      ...(options.distDir ? { NEXT_DIST_DIR: options.distDir } : {}),
      ...(options.logLevel ? { LOG_LEVEL: options.logLevel } : {}),
      ...options.env,
    },
    output: options.output,
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/api/auth/jwks`, child, 120_000);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { child, port, url: `http://127.0.0.1:${port}`, stop: () => child.stop() };
}

export interface StackOptions {
  databaseUrl: string;
  appSecret: string;
  /** 0 or omitted: free ports. */
  gatewayPort?: number;
  webPort?: number;
  /** Public URLs (what browsers and tokens see); default the loopback URLs. */
  webUrl?: string;
  gatewayUrl?: string;
  gatewayId?: string;
  /** Start the simulator and point the gateway at it. */
  simulator?: SimulatorOptions | false;
  /** The WhatsApp WebSocket when no simulator is started (default: WhatsApp itself). */
  waWsUrl?: string;
  web?: Pick<WebOptions, "distDir" | "logLevel" | "env">;
  gateway?: Pick<GatewayOptions, "logLevel" | "env" | "nodeArgs">;
  output?: "prefix" | "quiet";
  /** Gateways in all (default 1): the others get ids `gw-local-2`… and free ports, over the same database. */
  gateways?: number;
}

export interface Stack {
  webUrl: string;
  gatewayUrl: string;
  /** Loopback URLs the processes answer on (the public ones may differ). */
  local: { webUrl: string; gatewayUrl: string };
  simulator: SimulatorProcess | null;
  /** Processes whose exit ends the stack. */
  children: Child[];
  /** Gateways beyond the first (`--gateways N`): one may die (that is the point of several); the stack goes on. */
  extraGateways: (GatewayProcess & { id: string })[];
  stop: () => Promise<void>;
}

/**
 * Simulator (optional), web console, then gateway; resolves once each answers. When one fails to start,
 * the others are stopped before the error is thrown.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const webPort = options.webPort || (await freePort());
  const gatewayPort = options.gatewayPort || (await freePort());
  const webUrl = options.webUrl ?? `http://127.0.0.1:${webPort}`;
  const gatewayUrl = options.gatewayUrl ?? `http://127.0.0.1:${gatewayPort}`;
  const stops: (() => Promise<void>)[] = [];
  const children: Child[] = [];
  const stop = async () => {
    // All at once: each child has its own grace period, and the whole stack stays within it.
    await Promise.all(stops.splice(0).map((fn) => fn().catch((error: unknown) => console.error("stop failed:", error))));
  };
  try {
    await requireFreePort(webPort, "WEB_PORT");
    await requireFreePort(gatewayPort, "GATEWAY_PORT");
    let simulator: SimulatorProcess | null = null;
    if (options.simulator) {
      simulator = await startSimulator({ output: options.output, ...options.simulator });
      stops.push(simulator.stop);
      children.push(simulator.child);
    }
    const webStarting = startWeb({
      databaseUrl: options.databaseUrl,
      appSecret: options.appSecret,
      publicUrl: webUrl,
      gatewayUrl,
      port: webPort,
      output: options.output,
      ...options.web,
    });
    const gatewayStarting = startGateway({
      databaseUrl: options.databaseUrl,
      appSecret: options.appSecret,
      webUrl,
      jwksUrl: `http://127.0.0.1:${webPort}/api/auth/jwks`,
      publicUrl: gatewayUrl,
      port: gatewayPort,
      gatewayId: options.gatewayId,
      waWsUrl: simulator?.wsUrl ?? options.waWsUrl,
      output: options.output,
      ...options.gateway,
    });
    const started = await Promise.allSettled([webStarting, gatewayStarting]);
    for (const result of started) {
      if (result.status === "fulfilled") {
        stops.push(result.value.stop);
        children.push(result.value.child);
      }
    }
    const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    const extraGateways: (GatewayProcess & { id: string })[] = [];
    for (let i = 2; i <= (options.gateways ?? 1); i += 1) {
      const id = `gw-local-${i}`;
      const port = await freePort();
      const extra = await startGateway({
        databaseUrl: options.databaseUrl,
        appSecret: options.appSecret,
        webUrl,
        jwksUrl: `http://127.0.0.1:${webPort}/api/auth/jwks`,
        port,
        gatewayId: id,
        waWsUrl: simulator?.wsUrl ?? options.waWsUrl,
        output: options.output,
        name: `gateway-${i}`,
        ...options.gateway,
      });
      stops.push(extra.stop);
      extraGateways.push({ ...extra, id });
    }
    return {
      webUrl,
      gatewayUrl,
      local: { webUrl: `http://127.0.0.1:${webPort}`, gatewayUrl: `http://127.0.0.1:${gatewayPort}` },
      simulator,
      children,
      extraGateways,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export class PortInUseError extends Error {}

/** Throws PortInUseError (naming the variable that moves it) when `port` is taken. */
export async function requireFreePort(port: number, variable: string): Promise<void> {
  if (!(await portIsFree(port))) {
    throw new PortInUseError(`port ${port} on 127.0.0.1 is already in use; stop what holds it or set ${variable} to another port`);
  }
}
