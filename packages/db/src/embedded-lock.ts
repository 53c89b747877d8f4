// One owner per data folder: a lock file (`owner.lock`) that names the process holding the folder.
//
// Node has no flock, so the lock is a file created atomically with link(2) (fails if it exists) and carrying the
// owner's pid, its kernel start time and a per-run nonce. A lock whose pid is gone — or whose pid now belongs
// to another process (same pid, different start time) — is stale: it is removed under a short-lived recovery
// directory (mkdir is atomic too), so two starters recovering at once cannot delete each other's fresh lock.
import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";

export const LOCK_FILE = "owner.lock";
const RECOVERY_DIR = "owner.lock.recovering";
/** A recovery directory older than this was left by a process killed mid-recovery. */
const RECOVERY_STALE_MS = 10_000;

export interface LockInfo {
  pid: number;
  /** The owner's start time in clock ticks since boot (Linux), to tell a reused pid from the owner. */
  processStart: string | null;
  /** Unique per run: lets the owner recognise its own lock and its own answers. */
  nonce: string;
  startedAt: string;
  /** Ports and URLs the owner serves, filled in as they are known (e.g. `database`, `gateway`, `web`). */
  ports: Record<string, number>;
}

export class FolderBusyError extends Error {
  constructor(
    readonly folder: string,
    readonly holder: LockInfo,
  ) {
    const ports = Object.entries(holder.ports)
      .map(([name, port]) => `${name} ${port}`)
      .join(", ");
    super(`${folder} is already in use: already running (pid ${holder.pid}${ports ? `, ports ${ports}` : ""})`);
    this.name = "FolderBusyError";
  }
}

export interface FolderLock {
  folder: string;
  info: LockInfo;
  /** Records more ports in the lock file (atomically replaced, so readers never see half a file). */
  update: (ports: Record<string, number>) => void;
  /** Removes the lock file if it is still ours. */
  release: () => void;
}

function processStart(pid: number): string | null {
  try {
    // Field 22 (starttime); the command name (field 2) may contain spaces, so count from its closing ")".
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(info: LockInfo): boolean {
  try {
    process.kill(info.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const now = processStart(info.pid);
  return info.processStart === null || now === null || now === info.processStart;
}

function parse(text: string): LockInfo | null {
  try {
    const value = JSON.parse(text) as Partial<LockInfo>;
    if (typeof value.pid !== "number" || typeof value.nonce !== "string") return null;
    return {
      pid: value.pid,
      processStart: value.processStart ?? null,
      nonce: value.nonce,
      startedAt: value.startedAt ?? "",
      ports: value.ports ?? {},
    };
  } catch {
    return null;
  }
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

function readLockFile(file: string): LockInfo | null {
  const text = readText(file);
  return text === null ? null : parse(text);
}

/** The live owner of `folder`, or null when nobody holds it (no lock file, or a stale one). */
export function readFolderLock(folder: string): LockInfo | null {
  const info = readLockFile(path.join(folder, LOCK_FILE));
  return info && isAlive(info) ? info : null;
}

function writeAtomically(file: string, info: LockInfo, replace: boolean): void {
  const temp = `${file}.${process.pid}.${info.nonce}`;
  writeFileSync(temp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  try {
    if (replace) renameSync(temp, file);
    else linkSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Removes the lock file if it still reads `staleText`; false when another recovery is under way. */
function removeStale(folder: string, staleText: string): boolean {
  const recovery = path.join(folder, RECOVERY_DIR);
  try {
    mkdirSync(recovery);
  } catch {
    try {
      if (Date.now() - statSync(recovery).mtimeMs > RECOVERY_STALE_MS) rmSync(recovery, { recursive: true, force: true });
    } catch {
      // removed meanwhile
    }
    return false;
  }
  try {
    const file = path.join(folder, LOCK_FILE);
    if (readText(file) === staleText) unlinkSync(file);
    return true;
  } finally {
    rmSync(recovery, { recursive: true, force: true });
  }
}

/**
 * Takes the folder for this process or throws FolderBusyError naming the live owner. A stale lock (killed
 * owner) is recovered. The lock is released on `release()` and, as a last resort, when this process exits.
 */
export function acquireFolderLock(folder: string): FolderLock {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const file = path.join(folder, LOCK_FILE);
  const info: LockInfo = {
    pid: process.pid,
    processStart: processStart(process.pid),
    nonce: randomBytes(12).toString("base64url"),
    startedAt: new Date().toISOString(),
    ports: {},
  };
  for (let attempt = 0; ; attempt++) {
    try {
      writeAtomically(file, info, false);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const text = readText(file);
    if (text === null) continue; // released meanwhile
    const holder = parse(text);
    if (holder && isAlive(holder)) throw new FolderBusyError(folder, holder);
    // Unparseable (not written by us) is treated as stale too: no owner can be checked.
    if (attempt > 50) throw new Error(`${folder}: could not take ${LOCK_FILE} (another start is recovering it)`);
    if (!removeStale(folder, text)) {
      const until = Date.now() + 100;
      while (Date.now() < until) {
        // brief spin: another process holds the recovery directory for a few microseconds
      }
    }
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off("exit", release);
    if (readLockFile(file)?.nonce === info.nonce) rmSync(file, { force: true });
  };
  process.on("exit", release);
  return {
    folder,
    info,
    update: (ports) => {
      Object.assign(info.ports, ports);
      writeAtomically(file, info, true);
    },
    release,
  };
}
