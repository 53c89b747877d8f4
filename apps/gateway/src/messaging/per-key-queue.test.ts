import { describe, expect, it } from "vitest";
import { PerKeyQueue } from "./per-key-queue.ts";

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe("PerKeyQueue", () => {
  it("runs one key's tasks one after another in call order, other keys alongside, past a failure", async () => {
    const queue = new PerKeyQueue();
    const log: string[] = [];
    const gate = deferred();
    const first = queue.run("a", async () => {
      log.push("a1 start");
      await gate.promise;
      log.push("a1 end");
      throw new Error("a1 failed");
    });
    const second = queue.run("a", async () => {
      log.push("a2");
      return 2;
    });
    const other = queue.run("b", async () => {
      log.push("b1");
      return "b";
    });
    await expect(other).resolves.toBe("b");
    expect(log).toEqual(["a1 start", "b1"]);
    gate.resolve();
    await expect(first).rejects.toThrow("a1 failed");
    await expect(second).resolves.toBe(2);
    expect(log).toEqual(["a1 start", "b1", "a1 end", "a2"]);
  });
});
