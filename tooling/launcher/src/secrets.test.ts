import { mkdtempSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { randomSecret, readOrCreateSecret } from "./secrets.ts";

describe("readOrCreateSecret", () => {
  it("creates the secret once, readable only by its owner, and returns the same value afterwards", () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), "wa-launcher-")), "nested");
    const first = readOrCreateSecret(dir, "app-secret", randomSecret(48));
    expect(first).toMatch(/^[\w-]{64}$/);
    expect(statSync(path.join(dir, "app-secret")).mode & 0o777).toBe(0o600);
    const again = readOrCreateSecret(dir, "app-secret", () => "never used");
    expect(again).toBe(first);
    expect(readFileSync(path.join(dir, "app-secret"), "utf8").trim()).toBe(first);
  });
});
