// Secrets the embedded default generates once and keeps under ./.data (mode 0600), so restarts reuse them.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export function readOrCreateSecret(dir: string, name: string, make: () => string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  if (existsSync(file)) {
    const value = readFileSync(file, "utf8").trim();
    if (value) return value;
  }
  const value = make();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

export const randomSecret = (bytes: number) => () => randomBytes(bytes).toString("base64url");
