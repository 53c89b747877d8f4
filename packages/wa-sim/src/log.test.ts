// CLI log output: every line carries the [sim] prefix, and no key material (from the state file or the client) appears.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { formatLine } from "./log.ts";
import { pairNewClient } from "./test-client.ts";

const dir = mkdtempSync(join(tmpdir(), "wa-sim-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const until = async (cond: () => boolean, ms = 20_000) => {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return cond();
};

/** Every base64 value of 32+ bytes in the saved state (keys, prekeys, session secrets). */
function secretsIn(stateJson: string): string[] {
  const out: string[] = [];
  JSON.parse(stateJson, (_k, v: unknown) => {
    if (typeof v === "string" && /^[A-Za-z0-9+/]{43,}={0,2}$/.test(v)) out.push(v);
    if (typeof v === "object" && v !== null && (v as { type?: unknown }).type === "Buffer") {
      const data = (v as { data?: unknown }).data;
      if (typeof data === "string" && Buffer.from(data, "base64").length >= 32) out.push(data);
    }
    return v;
  });
  return out;
}

describe("CLI log lines", () => {
  it("formats pino lines as `[sim] time LEVEL message key=value`", () => {
    const line = formatLine(JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 1, 12, 0, 0, 5), msg: "logged in", account: "628", device: 1, name: "wa-sim" }));
    expect(line).toBe("[sim] 12:00:00.005 INFO  logged in account=628 device=1");
  });

  it("the CLI prefixes every line with [sim] and never logs key material", async () => {
    const cli = fileURLToPath(new URL("./cli.ts", import.meta.url));
    const stateDir = join(dir, "sim");
    const child = spawn(process.execPath, ["--import", "tsx", cli, "--port", "0", "--state-dir", stateDir], {
      env: { ...process.env, WA_SIM_LOG_LEVEL: "debug" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    try {
      expect(await until(() => /ws:\/\/\S+\/ws\/chat/.test(out))).toBe(true);
      const url = /(ws:\/\/\S+\/ws\/chat)/.exec(out)?.[1] ?? "";
      const client = await pairNewClient(url, url.replace(/^ws/, "http").replace(/\/ws\/chat$/, ""));
      await until(() => !!client.auth.creds.me?.name);
      void client.sock.end(undefined);
      expect(await until(() => out.includes("history sync sent"))).toBe(true);
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    const lines = out.split("\n").filter((l) => l.length > 0);
    expect(lines.some((l) => l.includes("logged in"))).toBe(true);
    for (const l of lines) expect(l.startsWith("[sim] ")).toBe(true);
    const secrets = secretsIn(readFileSync(join(stateDir, "state.json"), "utf8"));
    expect(secrets.length).toBeGreaterThan(10);
    for (const s of secrets) expect(out.includes(s)).toBe(false);
  });
});
