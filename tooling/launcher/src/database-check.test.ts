// Each way DATABASE_URL can be wrong is said in one line naming the cause and where, never the password.
import { startEmbeddedDatabase } from "@wa/db/embedded";
import { describe, expect, it } from "vitest";
import { checkDatabaseUrl } from "./database-check.ts";
import { freePort } from "./processes.ts";

const SECRET = "s3cret-Pa55word";

async function failure(url: string): Promise<string> {
  try {
    await checkDatabaseUrl(url);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    expect(message).not.toContain(SECRET);
    expect(message.split("\n")).toHaveLength(1);
    return message;
  }
  throw new Error(`${url} was accepted`);
}

// A PostgreSQL server to be wrong about: the test server when DATABASE_URL is set, else an embedded one.
const serverUrl = process.env.DATABASE_URL;

describe("DATABASE_URL failures", () => {
  it("not a URL", async () => {
    expect(await failure("not-a-url")).toMatch(/^DATABASE_URL is not a URL; expected postgres:\/\/user:password@host:5432\/database/);
    expect(await failure("mysql://u@h/db")).toMatch(/must start with postgres:\/\//);
  });

  it("refused port", async () => {
    const port = await freePort();
    expect(await failure(`postgres://postgres:${SECRET}@127.0.0.1:${port}/wa`)).toBe(
      `DATABASE_URL: nothing accepts connections at 127.0.0.1:${port} (connection refused); is PostgreSQL running on that host and port?`,
    );
  });

  it("unknown host", async () => {
    expect(await failure(`postgres://postgres:${SECRET}@no-such-host.invalid:5432/wa`)).toMatch(
      /^DATABASE_URL: unknown host "no-such-host\.invalid"/,
    );
  });

  it.runIf(serverUrl)("missing database and unknown role", async () => {
    const url = new URL(serverUrl ?? "");
    url.pathname = "/wa_no_such_database";
    url.password = SECRET;
    expect(await failure(url.toString())).toMatch(
      new RegExp(`^DATABASE_URL: database "wa_no_such_database" does not exist on ${url.hostname}:${url.port || 5432}; create it`),
    );
    const role = new URL(serverUrl ?? "");
    role.username = "wa_no_such_role";
    role.password = SECRET;
    expect(await failure(role.toString())).toMatch(/^DATABASE_URL: (role "wa_no_such_role" may not connect|password authentication failed for role "wa_no_such_role")/);
  });

  it("wrong password", { timeout: 180_000 }, async () => {
    const embedded = await startEmbeddedDatabase();
    try {
      const url = new URL(embedded.url);
      url.password = SECRET;
      expect(await failure(url.toString())).toBe(
        `DATABASE_URL: password authentication failed for role "postgres" at 127.0.0.1:${embedded.port}/postgres; check the user and password`,
      );
      await expect(checkDatabaseUrl(embedded.url)).resolves.toBeUndefined();
    } finally {
      await embedded.stop();
    }
  });
});
