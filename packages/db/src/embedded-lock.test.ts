import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { acquireFolderLock, FolderBusyError, LOCK_FILE, readFolderLock } from "./embedded-lock.ts";

const tempFolder = () => mkdtempSync(path.join(os.tmpdir(), "wa-lock-"));
const lockModule = fileURLToPath(new URL("./embedded-lock.ts", import.meta.url));

/** A node process that takes the lock of `folder`, prints "locked" and waits (or exits at once with `exit`). */
function lockingChild(folder: string, exit = false) {
  const script = `const { acquireFolderLock } = await import(${JSON.stringify(lockModule)});
    try { acquireFolderLock(${JSON.stringify(folder)}).update({ web: 1234 }); console.log("locked"); }
    catch (e) { console.log("busy " + e.message); }
    ${exit ? "process.exit(0)" : "setInterval(() => {}, 1000)"};`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const firstLine = new Promise<string>((resolve) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n")) resolve(out.trim());
    });
    child.on("exit", () => resolve(out.trim()));
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return { child, firstLine, exited };
}

describe("one owner per data folder", () => {
  it("a second owner is refused with the holder's pid and ports, and the folder is free again after release", () => {
    const folder = tempFolder();
    const lock = acquireFolderLock(folder);
    lock.update({ database: 5555, gateway: 8081 });
    expect(() => acquireFolderLock(folder)).toThrow(FolderBusyError);
    expect(() => acquireFolderLock(folder)).toThrow(`already running (pid ${process.pid}, ports database 5555, gateway 8081)`);
    expect(readFolderLock(folder)?.ports).toEqual({ database: 5555, gateway: 8081 });
    lock.release();
    expect(existsSync(path.join(folder, LOCK_FILE))).toBe(false);
    acquireFolderLock(folder).release();
  });

  it("a lock held by another live process refuses; after that process is SIGKILLed the lock is recovered", async () => {
    const folder = tempFolder();
    const holder = lockingChild(folder);
    expect(await holder.firstLine).toBe("locked");
    const second = lockingChild(folder, true);
    expect(await second.firstLine).toMatch(new RegExp(`^busy .*already running \\(pid ${holder.child.pid}, ports web 1234\\)`));
    holder.child.kill("SIGKILL");
    await holder.exited;
    // The lock file is still there (nothing ran at the kill), and it is stale.
    expect(existsSync(path.join(folder, LOCK_FILE))).toBe(true);
    expect(readFolderLock(folder)).toBeNull();
    const lock = acquireFolderLock(folder);
    expect(readFolderLock(folder)?.pid).toBe(process.pid);
    lock.release();
  });

  it("a lock whose pid now belongs to another process (pid reused) is stale", () => {
    const folder = tempFolder();
    writeFileSync(
      path.join(folder, LOCK_FILE),
      JSON.stringify({ pid: process.pid, processStart: "1", nonce: "old", startedAt: "", ports: {} }),
    );
    const lock = acquireFolderLock(folder);
    expect(JSON.parse(readFileSync(path.join(folder, LOCK_FILE), "utf8")).nonce).toBe(lock.info.nonce);
    lock.release();
  });

  it("several processes recovering one stale lock at once: exactly one gets it", async () => {
    const folder = tempFolder();
    writeFileSync(
      path.join(folder, LOCK_FILE),
      JSON.stringify({ pid: 2 ** 22 + 17, processStart: null, nonce: "dead", startedAt: "", ports: {} }),
    );
    const racers = Array.from({ length: 5 }, () => lockingChild(folder));
    const lines = await Promise.all(racers.map((r) => r.firstLine));
    expect(lines.filter((l) => l === "locked")).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith("busy "))).toHaveLength(4);
    for (const racer of racers) racer.child.kill("SIGKILL");
    await Promise.all(racers.map((r) => r.exited));
  });
});
