// A database handle that counts the statements started through it: for tests that a path asks the database no
// more than it should (every query helper starts with one of these builder methods).
import type { Database } from "@wa/db";

const STARTERS = new Set(["select", "selectDistinct", "insert", "update", "delete", "execute", "transaction", "query"]);

export function countingDatabase(db: Database): { db: Database; statements: () => number } {
  let n = 0;
  const proxy = new Proxy(db, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop === "string" && STARTERS.has(prop)) {
        n++;
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      }
      return value;
    },
  });
  return { db: proxy, statements: () => n };
}
