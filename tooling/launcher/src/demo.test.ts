// `npm run demo` three times in a row on one data folder: every run brings the same demo sessions back to
// `working` with the same numbers (the simulator keeps its phones in <data>/demo/sim), and `npm start`'s own data
// folder is never touched.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, portIsFree, until } from "./processes.ts";
import { repoRoot } from "./paths.ts";

async function demoRun(dataDir: string): Promise<Map<string, string>> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    GATEWAY_PORT: String(await freePort()),
    WEB_PORT: String(await freePort()),
    WA_SIM_PORT: String(await freePort()),
  };
  delete env.DATABASE_URL;
  delete env.APP_SECRET;
  const npm = spawn("npm", ["run", "demo"], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  npm.stdout.on("data", (c: Buffer) => (out += c.toString()));
  npm.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => npm.on("exit", () => resolve()));
  try {
    await until(async () => out.includes("Ctrl-C") || npm.exitCode !== null, "the demo banner", 600_000, 500);
    expect(out).toContain("WhatsApp gateway is up (demo");
    const sessions = new Map<string, string>();
    for (const match of out.matchAll(/^ {2}(Acme support|Acme sales|Globex helpdesk)\s+(\S+)\s+\+(\d+)/gm)) {
      expect(match[2], `${match[1]} status`).toBe("working");
      sessions.set(match[1] ?? "", match[3] ?? "");
    }
    expect(sessions.size).toBe(3);
    expect(out).toMatch(/^\[sim\] /m);
    const ports = (JSON.parse(readFileSync(path.join(dataDir, "demo", "owner.lock"), "utf8")) as { ports: Record<string, number> }).ports;
    npm.kill("SIGINT");
    await until(async () => (await Promise.all(Object.values(ports).map(portIsFree))).every(Boolean), "the demo's ports to be free", 10_000, 100);
    return sessions;
  } finally {
    npm.kill("SIGKILL");
    await exited;
  }
}

describe("npm run demo", () => {
  it("three runs in a row bring back the same sessions, working, with the same numbers", { timeout: 1_800_000 }, async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "wa-demo-"));
    const first = await demoRun(dataDir);
    expect(existsSync(path.join(dataDir, "demo", "sim"))).toBe(true);
    expect(existsSync(path.join(dataDir, "pg"))).toBe(false);
    expect(await demoRun(dataDir)).toEqual(first);
    expect(await demoRun(dataDir)).toEqual(first);
  });
});
