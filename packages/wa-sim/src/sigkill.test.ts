// SIGKILL of the simulator process: the next process on the same state directory takes over the stale lock and
// accepts the companion's stored creds.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connectClient, memoryAuth, pairNewClient, spawnSimulatorProcess, waitForEvent, type SimulatorProcess } from "./test-client.ts";

const dir = mkdtempSync(join(tmpdir(), "wa-sim-kill-"));
const stateDir = join(dir, "sim");
const procs: SimulatorProcess[] = [];
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
afterAll(async () => {
  for (const p of procs) if (alive(p.pid)) await p.stop();
  rmSync(dir, { recursive: true, force: true });
});

const until = async (cond: () => boolean, ms = 20_000) => {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return cond();
};


/** Linked companions in the state file with their uploaded prekeys (35 bytes each). */
function savedCompanions(): { deviceId: number; preKeyBytes: number }[] {
  try {
    const s = JSON.parse(readFileSync(join(stateDir, "state.json"), "utf8")) as {
      accounts: { companions: { deviceId: number; preKeys: { data: string } }[] }[];
    };
    return s.accounts.flatMap((a) => a.companions.map((c) => ({ deviceId: c.deviceId, preKeyBytes: Buffer.from(c.preKeys.data, "base64").length })));
  } catch {
    return [];
  }
}

describe("SIGKILL", () => {
  it("a killed simulator's state directory is reopened by the next process and the companion logs in", async () => {
    const first = await spawnSimulatorProcess(["--state-dir", stateDir]);
    procs.push(first);
    const client = await pairNewClient(first.url, first.httpUrl, { phoneNumber: "6281700000001" });
    // Written once the prekey upload is saved (debounced), without a clean stop.
    expect(await until(() => (savedCompanions()[0]?.preKeyBytes ?? 0) > 35 * 800)).toBe(true);
    const stored = client.auth.snapshot();
    void client.sock.end(undefined);
    process.kill(first.pid, "SIGKILL");
    expect(await until(() => !alive(first.pid))).toBe(true);

    const second = await spawnSimulatorProcess(["--state-dir", stateDir]);
    procs.push(second);
    const restored = memoryAuth(stored);
    const sock = connectClient(second.url, restored);
    let sawQr = false;
    sock.ev.on("connection.update", (u) => {
      if (u.qr) sawQr = true;
    });
    await waitForEvent(sock.ev, "connection.update", (u) => u.connection === "open", 30_000);
    expect(sawQr).toBe(false);
    expect(sock.user?.id).toBe("6281700000001:1@s.whatsapp.net");
    expect(restored.preKeyWrites()).toBe(0);
    void sock.end(undefined);
  });
});
