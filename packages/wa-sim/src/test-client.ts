// Test/demo helper: a real Baileys client with in-memory auth state, pointed at a simulator.
import makeWASocket, {
  BufferJSON,
  initAuthCreds,
  type AuthenticationCreds,
  type SignalDataTypeMap,
  type SignalKeyStore,
  type WASocket,
  type UserFacingSocketConfig,
} from "@whiskeysockets/baileys";
import pino from "pino";

/** Auth state kept in memory; `snapshot()` / `fromSnapshot` let a test "restart" a client with stored creds. */
export interface MemoryAuth {
  creds: AuthenticationCreds;
  keys: SignalKeyStore;
  /** Number of one-time prekeys this client generated (uploads). */
  preKeyWrites(): number;
  snapshot(): string;
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

/** Hides libsignal's console.info session dumps ("Closing session" etc.), which are noise in tests and demos. */
export function muteLibsignalNoise(): void {
  const original = console.info.bind(console);
  console.info = (...args: unknown[]) => {
    const first = args[0];
    if (typeof first === "string" && /^(Closing session|Closing open session|Removing old closed session|Opening session|Session already closed|Migrating session)/.test(first)) return;
    original(...args);
  };
}
