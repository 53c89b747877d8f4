import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { startChild, stopChildren, waitForHttp } from "./processes.ts";

describe("child processes", () => {
  it("waitForHttp fails fast when the child exits before answering", async () => {
    const child = startChild("dies", process.execPath, ["-e", "process.exit(3)"], process.env, process.cwd());
    await expect(waitForHttp("http://127.0.0.1:9/", child, 10_000)).rejects.toThrow(/exited before/);
    expect(await child.exited).toBe(3);
  });

  it("waitForHttp resolves once the URL answers, and stopChildren ends the children", async () => {
    const server = createServer((_, res) => res.end("ok"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const child = startChild("sleeper", process.execPath, ["-e", "setInterval(() => {}, 1000)"], process.env, process.cwd());
    await waitForHttp(url, child, 10_000);
    await stopChildren([child], 5_000);
    expect(child.process.killed || child.process.exitCode !== null).toBe(true);
    server.close();
  });
});
