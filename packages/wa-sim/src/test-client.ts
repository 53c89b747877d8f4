// Test/demo helper: a real Baileys client with in-memory auth state, pointed at a simulator.
import makeWASocket, {
  BufferJSON,
  initAuthCreds,
  type AuthenticationCreds,
  type BaileysEventMap,
  type ConnectionState,
  type SignalDataTypeMap,
  type SignalKeyStore,
  type WASocket,
  type UserFacingSocketConfig,
} from "@whiskeysockets/baileys";
import pino from "pino";
import type { ScenarioOptions } from "./scenario.ts";
export { muteLibsignalNoise } from "./quiet.ts";

/** Auth state kept in memory; `snapshot()` / `fromSnapshot` let a test "restart" a client with stored creds. */
export interface MemoryAuth {
  creds: AuthenticationCreds;
  keys: SignalKeyStore;
  /** Number of one-time prekeys this client generated (uploads). */
  preKeyWrites(): number;
  snapshot(): string;
  /** Deletes stored Signal sessions whose address contains `match` (simulates lost auth state). */
  dropSessions(match: string): number;
}

export function memoryAuth(serialized?: string): MemoryAuth {
  const parsed = serialized ? (JSON.parse(serialized, BufferJSON.reviver) as { creds: AuthenticationCreds; keys: [string, unknown][] }) : null;
  const creds = parsed?.creds ?? initAuthCreds();
  const data = new Map<string, unknown>(parsed?.keys ?? []);
  let preKeyWrites = 0;
  const keys: SignalKeyStore = {
    get: <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
      const out: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const id of ids) {
        const v = data.get(`${type}:${id}`);
        if (v !== undefined) out[id] = v as SignalDataTypeMap[T];
      }
      return out;
    },
    set: (set) => {
      for (const [type, entries] of Object.entries(set)) {
        for (const [id, value] of Object.entries(entries ?? {})) {
          if (value === null || value === undefined) data.delete(`${type}:${id}`);
          else {
            if (type === "pre-key" && !data.has(`${type}:${id}`)) preKeyWrites++;
            data.set(`${type}:${id}`, value);
          }
        }
      }
    },
  };
  return {
    creds,
    keys,
    preKeyWrites: () => preKeyWrites,
    snapshot: () => JSON.stringify({ creds, keys: [...data.entries()] }, BufferJSON.replacer),
    dropSessions: (match) => {
      let n = 0;
      for (const k of [...data.keys()]) {
        if (k.startsWith("session:") && k.includes(match)) {
          data.delete(k);
          n++;
        }
      }
      return n;
    },
  };
}

const silent = pino({ level: "silent" });

/** Opens a Baileys socket against the simulator, wiring creds.update into the memory auth state. */
export function connectClient(url: string, auth: MemoryAuth, extra: Partial<UserFacingSocketConfig> = {}): WASocket {
  const sock = makeWASocket({
    waWebSocketUrl: url,
    auth: { creds: auth.creds, keys: auth.keys },
    logger: silent,
    markOnlineOnConnect: false,
    ...extra,
  });
  sock.ev.on("creds.update", (u) => {
    Object.assign(auth.creds, u);
  });
  return sock;
}

type Ev = WASocket["ev"];
type EventMap = BaileysEventMap;

/** Resolves with the first event of a kind that satisfies a predicate, or rejects after a timeout. */
export function waitForEvent<K extends keyof EventMap>(ev: Ev, event: K, pred: (v: EventMap[K]) => boolean = () => true, timeoutMs = 15_000): Promise<EventMap[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ev.off(event, handler);
      reject(new Error(`timed out waiting for ${String(event)}`));
    }, timeoutMs);
    const handler = (v: EventMap[K]) => {
      if (!pred(v)) return;
      clearTimeout(timer);
      ev.off(event, handler);
      resolve(v);
    };
    ev.on(event, handler);
  });
}

/** Status code Baileys reports in a close update. */
export const closeCode = (u: Partial<ConnectionState>): number | undefined =>
  (u.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode;

export interface PairedClient {
  sock: WASocket;
  auth: MemoryAuth;
  phoneNumber: string;
  /** Milliseconds from the first QR to `open` after the 515 restart. */
  pairToOpenMs: number;
  /** Events seen on the first (registration) socket. */
  registration: { sawMe: boolean; closeCode: number | undefined };
}

/**
 * Full pairing flow with a real Baileys client: QR → scan → creds.update{me} → close 515 → reconnect → open.
 * `onSocket` sees every socket before it connects (to attach listeners that must not miss early events).
 */
export async function pairNewClient(
  url: string,
  httpUrl: string,
  opts: { phoneNumber?: string; scenario?: ScenarioOptions; extra?: Partial<UserFacingSocketConfig>; onSocket?: (s: WASocket) => void; timeoutMs?: number } = {},
): Promise<PairedClient> {
  const { scanQr } = await import("./index.ts");
  const auth = memoryAuth();
  const first = connectClient(url, auth, opts.extra);
  opts.onSocket?.(first);
  const registration = { sawMe: false, closeCode: undefined as number | undefined };
  first.ev.on("creds.update", (u) => {
    if (u.me) registration.sawMe = true;
  });
  const qrUpdate = await waitForEvent(first.ev, "connection.update", (u) => !!u.qr, opts.timeoutMs);
  const qrAt = Date.now();
  const closed = waitForEvent(first.ev, "connection.update", (u) => u.connection === "close", opts.timeoutMs);
  const scan = await scanQr(httpUrl, qrUpdate.qr ?? "", { phoneNumber: opts.phoneNumber, scenario: opts.scenario });
  registration.closeCode = closeCode(await closed);
  const sock = connectClient(url, auth, opts.extra);
  opts.onSocket?.(sock);
  await waitForEvent(sock.ev, "connection.update", (u) => u.connection === "open", opts.timeoutMs);
  return { sock, auth, phoneNumber: scan.phoneNumber, pairToOpenMs: Date.now() - qrAt, registration };
}

export interface SimulatorProcess {
  url: string;
  httpUrl: string;
  pid: number;
  /** Resident set size of the simulator process in KiB (Linux /proc). */
  rssKb(): number;
  /** Heap in use after a full garbage collection, in bytes (GET /sim/health?gc=1). */
  heapUsedAfterGc(): Promise<number>;
  /** User + system CPU time of the simulator process in ms (Linux /proc). */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** Runs the CLI simulator in a child process (its own core), for load tests and measurements. */
export async function spawnSimulatorProcess(args: string[] = []): Promise<SimulatorProcess> {
  const { spawn } = await import("node:child_process");
  const { readFileSync } = await import("node:fs");
  const { fileURLToPath } = await import("node:url");
  const cli = fileURLToPath(new URL("./cli.ts", import.meta.url));
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", cli, "--port", "0", ...args], {
    env: { ...process.env, WA_SIM_LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const pid = child.pid ?? 0;
  const url = await new Promise<string>((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error("simulator process did not start"));
    }, 20_000);
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      const m = /(ws:\/\/[^\s"]+\/ws\/chat)/.exec(buf);
      if (m?.[1]) {
        clearTimeout(timer);
        child.stdout.removeAllListeners("data");
        child.stdout.resume();
        resolve(m[1]);
      }
    });
    child.once("exit", (code) => reject(new Error(`simulator process exited (${code})`)));
  });
  const httpUrl = url.replace(/^ws/, "http").replace(/\/ws\/chat$/, "");
  return {
    url,
    httpUrl,
    heapUsedAfterGc: async () => ((await (await fetch(`${httpUrl}/sim/health?gc=1`)).json()) as { heapUsedBytes: number }).heapUsedBytes,
    pid,
    rssKb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0),
    cpuMs: () => {
      const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** Polls `cond` every 50 ms until it holds or `ms` pass; its last answer. */
export async function until(cond: () => boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return cond();
}
