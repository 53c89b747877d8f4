import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort, listensOn, startChild, stopChildren, waitForHttp } from "./processes.ts";

describe("child processes", () => {
  it("waitForHttp fails fast when the child exits before answering", async () => {
    const child = startChild("dies", process.execPath, ["-e", "process.exit(3)"], { output: "quiet" });
    await expect(waitForHttp("http://127.0.0.1:9/", child, 10_000)).rejects.toThrow(/exited before/);
    expect(await child.exited).toBe(3);
  });

  it("stopChildren also ends what a child started (its whole process group)", async () => {
    const script = `const c = require("node:child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
      console.log(c.pid); setInterval(() => {}, 1000);`;
    const child = startChild("parent", process.execPath, ["-e", script], { output: "quiet" });
    const grandchildPid = await new Promise<number>((resolve) =>
      child.process.stdout?.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
    );
    await stopChildren([child], 5_000);
    await new Promise((r) => setTimeout(r, 200));
    // Gone, or a zombie waiting to be reaped by whatever init this container has.
    const alive = (() => {
      try {
        return readFileSync(`/proc/${grandchildPid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
      } catch {
        return false;
      }
    })();
    expect(alive).toBe(false);
  });

  it("waitForHttp resolves once the child itself answers, and stopChildren ends the children", async () => {
    const port = await freePort();
    const script = `require("node:http").createServer((_, res) => res.end("ok")).listen(${port}, "127.0.0.1")`;
    const child = startChild("server", process.execPath, ["-e", script], { output: "quiet" });
    await waitForHttp(`http://127.0.0.1:${port}/`, child, 20_000);
    await stopChildren([child], 5_000);
    expect(child.process.exitCode !== null || child.process.signalCode !== null).toBe(true);
  });

  it("waitForHttp never takes another process answering on the port for its child", async () => {
    // Another instance already answers on the port; our child would fail to bind it.
    const server = createServer((_, res) => res.end("ok"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const child = startChild("sleeper", process.execPath, ["-e", "setInterval(() => {}, 1000)"], { output: "quiet" });
    await expect(waitForHttp(url, child, 3_000)).rejects.toThrow(/did not answer/);
    expect(listensOn(process.pid, (server.address() as AddressInfo).port)).toBe(true);
    await stopChildren([child], 5_000);
    server.close();
  });
});
