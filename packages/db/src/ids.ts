// ULIDs for every id: sortable by creation time, safe in URLs.
import { randomFillSync } from "node:crypto";
import { monotonicFactory } from "ulid";

/**
 * The same cryptographic bytes as ulid's default source, drawn from a pool refilled 4 KiB at a time: the default
 * makes one getRandomValues call per character (16 per id), which showed up as a few per cent of a busy gateway.
 */
const pool = Buffer.alloc(4096);
let offset = pool.length;
const pooledRandom = (): number => {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  return (pool[offset++] ?? 0) / 256;
};

const next = monotonicFactory(pooledRandom);
export const newId = (): string => next();
