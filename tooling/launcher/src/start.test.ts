// `npm start` through its real entry (npm → sh → node): one owner per data folder, and stopping the top
// process (or its parent dying) stops everything it started.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { freePort, portIsFree, until } from "./processes.ts";
import { repoRoot } from "./paths.ts";

interface Run {
  npm: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function npmStart(dataDir: string, ports: { gateway: number; web: number }, extraEnv: Record<string, string> = {}): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, GATEWAY_PORT: String(ports.gateway), WEB_PORT: String(ports.web) };
  delete env.DATABASE_URL;
  Object.assign(env, extraEnv);
  delete env.APP_SECRET;
  const npm = spawn("npm", ["start"], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  npm.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
  npm.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => npm.on("exit", (code) => resolve(code)));
  return { npm, output: () => text, exited };
}

const lockPorts = (dataDir: string) =>
  (JSON.parse(readFileSync(path.join(dataDir, "owner.lock"), "utf8")) as { pid: number; ports: Record<string, number> });

async function allFree(ports: number[]): Promise<boolean> {
  for (const port of ports) if (!(await portIsFree(port))) return false;
  return true;
}

const up = (run: Run) => until(async () => run.output().includes("WhatsApp gateway is up"), "the banner", 600_000, 500);

describe("npm start", () => {
  it("a second start on the same folder exits within seconds naming the first; SIGTERM to npm's pid frees every port within 10 s", { timeout: 900_000 }, async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "wa-start-"));
    const first = npmStart(dataDir, { gateway: await freePort(), web: await freePort() });
    try {
      await up(first);
      const { pid, ports } = lockPorts(dataDir);
      expect(Object.keys(ports).sort()).toEqual(["database", "gateway", "web"]);

      const second = npmStart(dataDir, { gateway: await freePort(), web: await freePort() });
      const code = await Promise.race([second.exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 60_000))]);
      expect(code).toBe(1);
      expect(second.output()).toContain(`already running (pid ${pid}, ports database ${ports.database}`);
      expect(second.output()).not.toContain("is up");
      // The first is untouched.
      expect((await fetch(`http://127.0.0.1:${ports.gateway}/readyz`)).status).toBe(200);

      const killedAt = Date.now();
      first.npm.kill("SIGTERM");
      await until(() => allFree(Object.values(ports)), "every port to be free", 10_000, 100);
      expect(Date.now() - killedAt).toBeLessThan(10_000);
    } finally {
      first.npm.kill("SIGKILL");
    }
  });

  it("SIGKILL of npm (the launcher's parent dying) stops everything within 10 s, and the next start opens the same data", { timeout: 900_000 }, async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "wa-start-"));
    const first = npmStart(dataDir, { gateway: await freePort(), web: await freePort() });
    await up(first);
    const { ports } = lockPorts(dataDir);
    first.npm.kill("SIGKILL");
    await until(() => allFree(Object.values(ports)), "every port to be free", 10_000, 100);

    const again = npmStart(dataDir, { gateway: await freePort(), web: await freePort() });
    try {
      await up(again);
      // The same generated password: the same accounts, kept in the folder.
      expect(again.output()).toContain(first.output().match(/super admin {2}admin@example\.com \/ (\S+)/)?.[1] ?? "no password");
      again.npm.kill("SIGHUP");
      const { ports: againPorts } = lockPorts(dataDir);
      await until(() => allFree(Object.values(againPorts)), "every port to be free after SIGHUP", 10_000, 100);
    } finally {
      again.npm.kill("SIGKILL");
    }
  });

  it("start-up errors are one line that says what to change", { timeout: 120_000 }, async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "wa-start-"));
    const badUrl = npmStart(dataDir, { gateway: await freePort(), web: await freePort() }, { DATABASE_URL: "not-a-url" });
    expect(await badUrl.exited).toBe(1);
    expect(badUrl.output()).toContain("DATABASE_URL is not a URL; expected postgres://user:password@host:5432/database");
    expect(badUrl.output()).not.toMatch(/Invalid URL|\n\s+at /);

    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", () => r()));
    const port = (taken.address() as { port: number }).port;
    const busy = npmStart(dataDir, { gateway: port, web: await freePort() });
    expect(await busy.exited).toBe(1);
    expect(busy.output()).toContain(`port ${port} on 127.0.0.1 is already in use; stop what holds it or set GATEWAY_PORT to another port`);
    expect(busy.output()).not.toContain("is up");
    taken.close();
  });
});
