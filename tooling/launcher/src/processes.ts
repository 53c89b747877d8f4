// Child processes of the stack: started in their own process group (stopping one ends what it started too),
// their output either shown with a `[name]` prefix or kept quietly for error messages; plus the small waits.
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createServer } from "node:net";

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  exited: Promise<number | null>;
  /** The last lines of its output, for error messages. */
  tail: () => string;
  /** Everything it wrote to stdout (kept up to 1 MB). */
  stdout: () => string;
  /** Resolves when a line matching `pattern` appears in its output; rejects if it exits first or on timeout. */
  waitForLine: (pattern: RegExp, timeoutMs: number) => Promise<RegExpExecArray>;
  /** SIGTERM to its process group, SIGKILL after `graceMs`; resolves once it exited. */
  stop: (graceMs?: number) => Promise<void>;
}

export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** "prefix": every line echoed as `[name] line`; "quiet": kept for tail() only. Default "prefix". */
  output?: "prefix" | "quiet";
}

export const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

export function startChild(name: string, command: string, args: string[], options: ChildOptions = {}): Child {
  const child = spawn(command, args, {
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  let stdout = "";
  const watchers = new Set<() => void>();
  const echo = options.output !== "quiet";
  // A child that prefixes its own lines (the simulator does) is not prefixed twice.
  const prefix = (text: string) =>
    text
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => (line.startsWith(`[${name}]`) ? `${line}\n` : `[${name}] ${line}\n`))
      .join("");
  const keep = (chunk: Buffer, stream: NodeJS.WriteStream) => {
    const text = chunk.toString();
    output = (output + text).slice(-200_000);
    if (echo) stream.write(prefix(text));
    for (const watcher of watchers) watcher();
  };
  child.stdout?.on("data", (chunk: Buffer) => {
    if (stdout.length < 1_000_000) stdout += chunk.toString();
    keep(chunk, process.stdout);
  });
  child.stderr?.on("data", (chunk: Buffer) => keep(chunk, process.stderr));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      for (const watcher of watchers) watcher();
      resolve(code);
    }),
  );
  const tail = () => `--- ${name} (pid ${child.pid ?? "?"}) output, tail ---\n${output.slice(-4_000)}`;

  const stop = async (graceMs = 10_000) => {
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // the group is gone already
      }
    };
    signalGroup("SIGTERM");
    const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
    if (!hasExited(child)) await exited;
    clearTimeout(timer);
    // Whatever is left of the group (a grandchild that ignored SIGTERM) goes too.
    signalGroup("SIGKILL");
  };

  const waitForLine = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const from = output.length;
      const check = () => {
        const match = pattern.exec(output.slice(Math.max(0, from - 1_000)));
        if (match) {
          done();
          resolve(match);
        } else if (hasExited(child)) {
          done();
          reject(new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before ${pattern}\n${tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${name}: no ${pattern} within ${timeoutMs} ms\n${tail()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        watchers.delete(check);
      };
      watchers.add(check);
      check();
    });

  return { name, process: child, pid: child.pid ?? 0, exited, tail, stdout: () => stdout, waitForLine, stop };
}

export async function stopChildren(children: Child[], graceMs = 10_000): Promise<void> {
  await Promise.all(children.map((child) => child.stop(graceMs)));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `fn` until it returns a truthy value; throws after `timeoutMs` with the last error seen. */
export async function until<T>(
  fn: () => Promise<T | null | undefined | false>,
  what: string,
  timeoutMs: number,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when nothing listens on 127.0.0.1:`port`. */
export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** The pid and every descendant of it (Linux /proc; just the pid elsewhere). */
function processTree(root: number): Set<number> {
  const tree = new Set([root]);
  let parents: Map<number, number[]>;
  try {
    parents = new Map();
    for (const entry of readdirSync("/proc")) {
      const pid = Number(entry);
      if (!Number.isInteger(pid)) continue;
      try {
        const ppid = Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ")[1]);
        parents.set(ppid, [...(parents.get(ppid) ?? []), pid]);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    return tree;
  }
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of parents.get(pid) ?? []) {
      if (!tree.has(child)) {
        tree.add(child);
        queue.push(child);
      }
    }
  }
  return tree;
}

/**
 * Whether the listening socket on `port` belongs to `pid` or one of its descendants — so a readiness probe
 * never takes another program on the same port for the child it started. Without /proc it answers true.
 */
export function listensOn(pid: number, port: number): boolean {
  let table: string;
  try {
    table = readFileSync("/proc/net/tcp", "utf8") + readFileSync("/proc/net/tcp6", "utf8");
  } catch {
    return true;
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set(
    table
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols[1]?.endsWith(`:${hexPort}`) && cols[3] === "0A")
      .map((cols) => cols[9] ?? ""),
  );
  if (inodes.size === 0) return false;
  for (const member of processTree(pid)) {
    try {
      for (const fd of readdirSync(`/proc/${member}/fd`)) {
        const target = (() => {
          try {
            return readlinkSync(`/proc/${member}/fd/${fd}`);
          } catch {
            return "";
          }
        })();
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode && inodes.has(inode)) return true;
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return false;
}

/**
 * Resolves when `url` answers (by default any status below 500) AND the answer comes from `child` (it holds the listening
 * socket of the URL's port); rejects when the child exits first or after `timeoutMs`.
 */
export async function waitForHttp(
  url: string,
  child: Child,
  timeoutMs: number,
  accept: (status: number) => boolean = (status) => status < 500,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const port = Number(new URL(url).port);
  while (Date.now() < deadline) {
    if (hasExited(child.process)) throw new Error(`${child.name} exited before ${url} answered\n${child.tail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (accept(res.status) && listensOn(child.pid, port)) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s\n${child.tail()}`);
}
