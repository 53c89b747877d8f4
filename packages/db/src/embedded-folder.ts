// A private data folder: readable by its owner only, with the secrets kept in it (one file each, 0600).
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Sets every directory under `folder` to 0700 and every file to 0600. PGlite's file system layer creates its
 * files 0666 whatever the umask, so this runs on start and on stop; in between, the folder's own 0700 keeps
 * other users out of everything inside it.
 */
export function makePrivate(folder: string): void {
  if (!existsSync(folder)) return;
  chmodSync(folder, 0o700);
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) makePrivate(full);
    else if (entry.isFile()) chmodSync(full, 0o600);
  }
}

/** Reads `folder/name`, creating it (0600) with `make()` the first time. */
export function readOrCreateSecretFile(folder: string, name: string, make: () => string): string {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const file = path.join(folder, name);
  if (existsSync(file)) {
    const value = readFileSync(file, "utf8").trim();
    if (value) return value;
  }
  const value = make();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return value;
}

export const randomSecret = (bytes: number) => () => randomBytes(bytes).toString("base64url");

/** The file holding the embedded database's password, inside its data folder. */
export const DATABASE_PASSWORD_FILE = "pg-password";

export const embeddedDatabaseUrl = (port: number, password: string) =>
  // Named prepared statements would pile up in the single shared backend; unnamed ones cost nothing here.
  `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres?sslmode=disable&prepare=false`;

/** Passwords the launcher or `admin:password` generated, kept in the folder so a later start can show them. */
export const KEPT_PASSWORDS_FILE = "generated-passwords.json";

export function keptPasswords(folder: string): Record<string, string> {
  try {
    const value = JSON.parse(readFileSync(path.join(folder, KEPT_PASSWORDS_FILE), "utf8")) as unknown;
    return typeof value === "object" && value !== null ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** Records (or replaces) the generated password of `account` (an email, or "demo people (*.test)"). */
export function keepPassword(folder: string, account: string, password: string): void {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const file = path.join(folder, KEPT_PASSWORDS_FILE);
  const next = { ...keptPasswords(folder), [account]: password };
  writeFileSync(`${file}.tmp`, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}
