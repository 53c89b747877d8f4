// Several real gateway processes (`npm run gateway`'s entry, apps/gateway/src/index.ts) over one database and one
// simulator, for the cluster tests and the cluster benchmark: start, kill, pause, call over REST.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { generateApiKey } from "@wa/api";
import { newId, schema, type DbClient } from "@wa/db";
import { createApiKey } from "@wa/db/queries";
import type { Simulator } from "@wa/wa-sim";
import { freePort, sleep, until } from "./harness.ts";

export const CLUSTER_TEST_SECRET = "cluster-secret-cluster-secret-cluster-secret";

export interface GatewayProcess {
  id: string;
  port: number;
  url: string;
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

export interface ClusterOptions {
  db: DbClient & { url: string };
  sim: Simulator;
  appSecret: string;
  logLevel?: string;
  /** The database as the gateways reach it (e.g. through a proxy a test can silence); `db.url` when unset. */
  gatewayDatabaseUrl?: string;
  /** More variables for every gateway (e.g. WEBHOOK_ALLOW_PRIVATE, AUTH_JWKS_URL). */
  env?: Record<string, string>;
}

export class GatewayCluster {
  readonly gateways = new Map<string, GatewayProcess>();
  organizationId = "";
  apiKey = "";

  constructor(private readonly opts: ClusterOptions) {}

  /** An organization and an api-key (read, send, manage) to call the gateways with. */
  async seed(): Promise<void> {
    this.organizationId = newId();
    await this.opts.db.db.insert(schema.organizations).values({ id: this.organizationId, name: "Cluster tests" });
    const key = generateApiKey();
    await createApiKey(this.opts.db.db, {
      organizationId: this.organizationId,
      name: "cluster",
      prefix: key.prefix,
      keyHash: key.hash,
      permissions: ["read", "send", "manage", "events"],
      createdByUserId: null,
      expiresAt: null,
    });
    this.apiKey = key.raw;
  }

  async start(id: string, port?: number): Promise<GatewayProcess> {
    const running = this.gateways.get(id);
    // A second process under one id would be left running when the test ends (stopAll knows the latest only).
    if (running && running.child.exitCode === null && running.child.signalCode === null) throw new Error(`gateway ${id} is still running`);
    const p = port ?? (await freePort());
    const url = `http://127.0.0.1:${p}`;
    const script = fileURLToPath(new URL("../src/index.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      env: {
        ...process.env,
        NODE_ENV: "test",
        DATABASE_URL: this.opts.gatewayDatabaseUrl ?? this.opts.db.url,
        GATEWAY_ID: id,
        GATEWAY_PORT: String(p),
        GATEWAY_URL: url,
        APP_SECRET: this.opts.appSecret,
        CLUSTER_SECRET: CLUSTER_TEST_SECRET,
        WA_WS_URL: this.opts.sim.url,
        WA_SIM_ROOT_KEY: Buffer.from(this.opts.sim.rootPublicKey).toString("base64"),
        LOG_LEVEL: this.opts.logLevel ?? "warn",
        ...this.opts.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output: string[] = [];
    const keep = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.length > 400) output.shift();
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const gw: GatewayProcess = { id, port: p, url, child, output, exited };
    this.gateways.set(id, gw);
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`gateway ${id} exited: ${output.join("").slice(-2000)}`);
        return (await fetch(`${url}/readyz`).catch(() => null))?.ok ?? false;
      },
      `gateway ${id} ready`,
      // tsx compiles the gateway at every start: slow on a busy machine (the launcher allows as long).
      120_000,
      200,
    );
    return gw;
  }

  get(id: string): GatewayProcess {
    const gw = this.gateways.get(id);
    if (!gw) throw new Error(`no gateway ${id}`);
    return gw;
  }

  async kill(id: string, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const gw = this.get(id);
    gw.child.kill(signal);
    if (signal === "SIGKILL" || signal === "SIGTERM") await gw.exited;
  }

  /** REST call through one gateway with the api-key. */
  async call(id: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${this.get(id).url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${this.apiKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, body: json as Record<string, unknown>, headers: res.headers };
  }

  /** Creates and starts a session through `via`, scans its QR with a simulated phone, waits for `working`. */
  async createPaired(via: string, phoneNumber: string): Promise<string> {
    const id = await this.create(via, phoneNumber);
    await this.pair(via, id, phoneNumber);
    return id;
  }

  /** Creates and starts a session through `via` (placed by that gateway); returns its id. */
  async create(via: string, label: string): Promise<string> {
    const created = await this.call(via, "POST", "/sessions", { label, start: true });
    if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
    return String(created.body.id);
  }

  /**
   * Scans the session's QR (read through `via`) with a simulated phone and waits for `working`. A scan the simulator
   * refuses because that QR's connection has just gone (it rotates or reconnects under load) is retried with the
   * next QR, as a person would scan again.
   */
  async pair(via: string, id: string, phoneNumber: string): Promise<void> {
    const { scanQr } = await import("@wa/wa-sim");
    for (let attempt = 1; ; attempt += 1) {
      const qr = await until(
        async () => {
          const r = await this.call(via, "GET", `/sessions/${id}/qr`);
          return r.status === 200 ? String(r.body.qr) : null;
        },
        `QR of ${id}`,
        60_000,
        200,
      );
      try {
        await scanQr(this.opts.sim.httpUrl, qr, { phoneNumber });
        break;
      } catch (error) {
        if (attempt >= 3 || !/conflict|not_found/.test(String(error))) throw error;
        await sleep(500);
      }
    }
    await this.waitWorking(via, id);
  }

  async waitWorking(via: string, id: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    return until(
      async () => {
        const r = await this.call(via, "GET", `/sessions/${id}`);
        return r.status === 200 && r.body.status === "working" ? r.body : null;
      },
      `session ${id} working`,
      timeoutMs,
      200,
    );
  }

  /**
   * The simulator's view of an account: live sockets, linked devices, and sockets it closed with 440 `replaced`
   * (the same device connected twice).
   */
  async account(phoneNumber: string): Promise<{ connected: number; devices: number; replaced: number; lastDisconnectedAt: number | null }> {
    const res = await fetch(`${this.opts.sim.httpUrl}/sim/accounts/${phoneNumber}`);
    if (!res.ok) throw new Error(`account ${phoneNumber}: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { connected: number; devices: number; replaced: number; lastDisconnectedAt: number | null };
    return { connected: body.connected, devices: body.devices, replaced: body.replaced, lastDisconnectedAt: body.lastDisconnectedAt };
  }

  /** The account's linked devices as the simulator knows them (a new pairing adds one with a new id and pairedAt). */
  async linkedDevices(phoneNumber: string): Promise<{ deviceId: number; pairedAt: number }[]> {
    const res = await fetch(`${this.opts.sim.httpUrl}/sim/accounts/${phoneNumber}/devices`);
    if (!res.ok) throw new Error(`devices of ${phoneNumber}: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { data: { deviceId: number; pairedAt: number }[] };
    return body.data.map((d) => ({ deviceId: d.deviceId, pairedAt: d.pairedAt })).sort((a, b) => a.deviceId - b.deviceId);
  }

  async stopAll(): Promise<void> {
    for (const gw of this.gateways.values()) {
      if (gw.child.exitCode !== null || gw.child.signalCode !== null) continue;
      gw.child.kill("SIGCONT");
      gw.child.kill("SIGKILL");
      await gw.exited;
    }
    await sleep(0);
  }
}
