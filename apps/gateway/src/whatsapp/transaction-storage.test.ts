// Baileys gives every socket's key store a transaction context in an AsyncLocalStorage. Before Node 24 each
// instance costs a property write on every promise the process creates, forever (instances are never released), so
// one per socket made every await in the gateway cost O(sockets ever opened). The patch (patches/@whiskeysockets+
// baileys+…) shares one instance; these tests hold that, and that stores still never see each other's transactions.
import { executionAsyncResource } from "node:async_hooks";
import { addTransactionCapability, type SignalDataTypeMap, type SignalKeyStore } from "@whiskeysockets/baileys";
import pino from "pino";
import { describe, expect, it } from "vitest";

const logger = pino({ level: "silent" });

function memoryStore(): SignalKeyStore & { writes: number } {
  const data: Record<string, Record<string, unknown>> = {};
  const store = {
    writes: 0,
    get: <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) =>
      Promise.resolve(
        Object.fromEntries(ids.filter((id) => data[type]?.[id] !== undefined).map((id) => [id, data[type]?.[id]])) as {
          [id: string]: SignalDataTypeMap[T];
        },
      ),
    set: (values: Record<string, Record<string, unknown> | undefined>) => {
      store.writes += 1;
      for (const [type, byId] of Object.entries(values)) Object.assign((data[type] ??= {}), byId);
      return Promise.resolve();
    },
  };
  return store as unknown as SignalKeyStore & { writes: number };
}

const withTransactions = (store: SignalKeyStore) =>
  addTransactionCapability(store, logger, { maxCommitRetries: 1, delayBetweenTriesMs: 1 });

/** Symbol-keyed properties async-context tracking put on the current async resource (one per live storage). */
async function contextSymbols(): Promise<number> {
  await Promise.resolve();
  return Object.getOwnPropertySymbols(executionAsyncResource()).length;
}

describe("Baileys key-store transactions (patched: one AsyncLocalStorage per process)", () => {
  it("opening many key stores adds no per-promise context tracking", async () => {
    const first = withTransactions(memoryStore());
    await first.transaction(() => Promise.resolve(), "warm-up");
    const before = await contextSymbols();
    for (let i = 0; i < 25; i++) {
      const keys = withTransactions(memoryStore());
      await keys.transaction(async () => {
        await keys.set({ session: { [`s${i}`]: new Uint8Array([i]) } });
      }, `k${i}`);
    }
    expect(await contextSymbols()).toBe(before);
  });

  it("a transaction is seen by its own store only, nests, and commits once", async () => {
    const aStore = memoryStore();
    const a = withTransactions(aStore);
    const b = withTransactions(memoryStore());
    const seen: string[] = [];
    await a.transaction(async () => {
      seen.push(`a:${a.isInTransaction()} b:${b.isInTransaction()}`);
      await a.set({ session: { x: new Uint8Array([1]) } });
      // inside a's transaction the write is cached, not yet stored
      expect(aStore.writes).toBe(0);
      expect(await a.get("session", ["x"])).toEqual({ x: new Uint8Array([1]) });
      await b.transaction(async () => {
        seen.push(`a:${a.isInTransaction()} b:${b.isInTransaction()}`);
        await Promise.resolve();
      }, "b");
      await a.transaction(async () => {
        seen.push(`nested a:${a.isInTransaction()}`);
        await a.set({ session: { y: new Uint8Array([2]) } });
      }, "a");
    }, "a");
    expect(seen).toEqual(["a:true b:false", "a:true b:true", "nested a:true"]);
    expect(aStore.writes).toBe(1);
    expect(await a.get("session", ["x", "y"])).toEqual({ x: new Uint8Array([1]), y: new Uint8Array([2]) });
    expect(a.isInTransaction()).toBe(false);
  });
});
