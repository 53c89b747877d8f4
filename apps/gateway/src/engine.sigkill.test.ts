// SIGKILL while auth state is being written loses no pairing: the engine runs in a child process (tsx), is
// killed with -9 in the middle of a key transaction, and the restarted engine reconnects without a QR.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { getSession, countAuthKeys, hasAuthCreds } from "@wa/db/queries";
import { scanQr } from "@wa/wa-sim";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../test/harness.ts";

type Line = { tx?: boolean; status?: string; sessionId?: string; qr?: string | null; booted?: boolean };

let h: Harness;
const children: ChildProcess[] = [];


function runChild(sessionId: string, start: boolean) {
  const script = fileURLToPath(new URL("../test/child-engine.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    env: {
      ...process.env,
      DATABASE_URL: h.db.url,
      WA_WS_URL: h.sim.url,
      SIM_ROOT_KEY: Buffer.from(h.sim.rootPublicKey).toString("base64"),
      SESSION_ID: sessionId,
      ORGANIZATION_ID: h.organizationId,
      GATEWAY_ID: "gw-test-1",
      START: start ? "1" : "0",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  const lines: Line[] = [];
  const waiters: { test: (l: Line) => boolean; resolve: (l: Line) => void }[] = [];
  createInterface({ input: child.stdout }).on("line", (text) => {
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch {
      return;
    }
    lines.push(line);
    for (const w of waiters.splice(0)) {
      if (w.test(line)) w.resolve(line);
      else waiters.push(w);
    }
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return {
    child,
    lines,
    exited,
    next(test: (l: Line) => boolean, what: string, timeoutMs = 60_000) {
      return new Promise<Line>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`child: timed out waiting for ${what}`)), timeoutMs);
        waiters.push({
          test,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
  };
}

describe("SIGKILL during auth-state writes", () => {
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await h?.close();
  });

  it("loses no pairing: killed mid key transaction, the restarted engine reconnects without a QR", async () => {
    const session = await h.createSession("sigkill");
    // The database is only read by this process while no child runs: PGlite serves one connection at a time.
    const first = runChild(session.id, true);
    const qrLine = await first.next((l) => l.status === "scan_qr_code" && Boolean(l.qr), "QR");
    await scanQr(h.sim.httpUrl, qrLine.qr ?? "", { phoneNumber: "6281600000001" });
    // after pairing, the login uploads the prekeys: the first key transaction; kill it while it runs
    await first.next((l) => l.tx === true, "a key transaction after pairing");
    first.child.kill("SIGKILL");
    await first.exited;
    // the pairing (creds with `me`) was committed before the kill; the interrupted key transaction left no rows
    expect(await hasAuthCreds(h.db.db, session.id)).toBe(true);
    const keysAfterKill = await countAuthKeys(h.db.db, session.id);
    console.log(`[sigkill] keys stored after the first kill: ${keysAfterKill}`);

    // second life: killed again during its first key transaction (or once working, if it writes none first)
    const second = runChild(session.id, false);
    await second.next((l) => l.tx === true || l.status === "working", "second run writing keys or working");
    second.child.kill("SIGKILL");
    await second.exited;

    const third = runChild(session.id, false);
    await third.next((l) => l.status === "working" && l.sessionId === session.id, "working after two kills");
    expect(first.lines.some((l) => l.status === "scan_qr_code")).toBe(true);
    expect(second.lines.some((l) => l.status === "scan_qr_code")).toBe(false);
    expect(third.lines.some((l) => l.status === "scan_qr_code")).toBe(false);
    third.child.kill("SIGTERM");
    await third.exited;

    const row = await getSession(h.db.db, session.id);
    expect(row).toMatchObject({ status: "working", phoneNumber: "6281600000001" });
    expect(await hasAuthCreds(h.db.db, session.id)).toBe(true);
    expect(await countAuthKeys(h.db.db, session.id)).toBeGreaterThan(100);
  }, 180_000);
});
