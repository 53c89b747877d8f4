// The account commands reach the database wherever it is: DATABASE_URL, the embedded database of a folder held by a
// running `npm start` (through its port), or the folder opened by the command itself.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDbClient, runMigrations, seed } from "@wa/db";
import { startEmbeddedDatabase } from "@wa/db/embedded";
import { verifyPassword } from "@wa/db/passwords";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";

const webDir = fileURLToPath(new URL("../../", import.meta.url));

function run(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!env.DATABASE_URL) delete childEnv.DATABASE_URL;
  const child = spawn(process.execPath, ["--import", "tsx", path.join(webDir, "src", "cli", script), ...args], {
    cwd: webDir,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, out })));
}

const printed = (out: string, email: string) => new RegExp(`new password for ${email}: (\\S+)`).exec(out)?.[1];

async function hashOf(url: string, email: string): Promise<string> {
  const client = createDbClient(url, { max: 1 });
  try {
    const [row] = await client.sql<{ password_hash: string }[]>`select password_hash from users where email = ${email}`;
    return row?.password_hash ?? "";
  } finally {
    await client.close();
  }
}

describe("npm run admin:password with DATABASE_URL", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await seed(db.db, { superAdminEmail: "root@example.com", superAdminPassword: "old-password-1", demoPassword: "demo-password-1" });
  });
  afterAll(async () => {
    await db.close();
  });

  it("sets a new generated password (scrypt, as the web app checks it), prints it once and keeps it 0600", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "wa-pw-"));
    const { code, out } = await run("admin-password.ts", ["Root@Example.com"], { DATABASE_URL: db.url, DATA_DIR: dataDir });
    expect(code).toBe(0);
    const password = printed(out, "root@example.com");
    expect(password).toMatch(/^[\w-]{16}$/);
    expect(out.split(password ?? "").length - 1).toBe(1);
    const hash = await hashOf(db.url, "root@example.com");
    expect(await verifyPassword(password ?? "", hash)).toBe(true);
    expect(await verifyPassword("old-password-1", hash)).toBe(false);
    const kept = path.join(dataDir, "generated-passwords.json");
    expect(JSON.parse(readFileSync(kept, "utf8"))).toEqual({ "root@example.com": password });
    expect(statSync(kept).mode & 0o777).toBe(0o600);
  });

  it("an unknown email changes nothing and says so", async () => {
    const before = await hashOf(db.url, "root@example.com");
    const { code, out } = await run("admin-password.ts", ["nobody@example.com"], { DATABASE_URL: db.url, DATA_DIR: mkdtempSync(path.join(os.tmpdir(), "wa-pw-")) });
    expect(code).toBe(1);
    expect(out).toContain("no account with email nobody@example.com");
    expect(await hashOf(db.url, "root@example.com")).toBe(before);
  });
});

describe("account commands on the embedded database of a folder", () => {
  const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), "wa-pw-")), "data");

  it("reach it through the running owner's port, and open it themselves when nobody runs", { timeout: 300_000 }, async () => {
    // `npm start` holding the folder.
    const running = await startEmbeddedDatabase({ dataDir });
    try {
      await runMigrations(running.url);
      const client = createDbClient(running.url, { max: 1 });
      await seed(client.db, { superAdminEmail: "admin@example.com", superAdminPassword: "old-password-2", demoPassword: "demo-password-2" });
      await client.close();

      const reset = await run("admin-password.ts", ["admin@example.com"], { DATA_DIR: dataDir });
      expect(reset.code).toBe(0);
      expect(reset.out).toContain("through the running npm start");
      const password = printed(reset.out, "admin@example.com") ?? "";
      expect(await verifyPassword(password, await hashOf(running.url, "admin@example.com"))).toBe(true);

      const grant = await run("admin-grant.ts", ["owner@acme.test"], { DATA_DIR: dataDir });
      expect(grant.code).toBe(0);
      const check = createDbClient(running.url, { max: 1 });
      expect((await check.sql`select platform_role from users where email = 'owner@acme.test'`)[0]?.platform_role).toBe("super_admin");
      await check.close();
    } finally {
      await running.stop();
    }

    // Nobody holds the folder now: the command opens it (taking the lock) and leaves it closed.
    const offline = await run("admin-password.ts", ["owner@acme.test"], { DATA_DIR: dataDir });
    expect(offline.code).toBe(0);
    expect(offline.out).not.toContain("through the running npm start");
    const password = printed(offline.out, "owner@acme.test") ?? "";
    const reopened = await startEmbeddedDatabase({ dataDir });
    try {
      expect(await verifyPassword(password, await hashOf(reopened.url, "owner@acme.test"))).toBe(true);
    } finally {
      await reopened.stop();
    }
  });
});
