import { mkdtempSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { keepPassword, keptPasswords, randomSecret, readOrCreateSecretFile } from "@wa/db/embedded";

describe("secrets kept in the data folder", () => {
  it("creates the secret once, readable only by its owner, and returns the same value afterwards", () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), "wa-launcher-")), "nested");
    const first = readOrCreateSecretFile(dir, "app-secret", randomSecret(48));
    expect(first).toMatch(/^[\w-]{64}$/);
    expect(statSync(path.join(dir, "app-secret")).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const again = readOrCreateSecretFile(dir, "app-secret", () => "never used");
    expect(again).toBe(first);
    expect(readFileSync(path.join(dir, "app-secret"), "utf8").trim()).toBe(first);
  });

  it("keeps generated passwords per account in one 0600 file", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "wa-launcher-"));
    keepPassword(dir, "admin@example.com", "one");
    keepPassword(dir, "demo people (*.test)", "two");
    keepPassword(dir, "admin@example.com", "three");
    expect(keptPasswords(dir)).toEqual({ "admin@example.com": "three", "demo people (*.test)": "two" });
    expect(statSync(path.join(dir, "generated-passwords.json")).mode & 0o777).toBe(0o600);
  });
});
