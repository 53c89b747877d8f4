import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { FolderBusyError, openFolderDatabase, startEmbeddedDatabase, type EmbeddedDatabase } from "./embedded.ts";
import { LOCK_FILE } from "./embedded-lock.ts";

function modes(folder: string): { dirs: Set<number>; files: Set<number> } {
  const dirs = new Set<number>([statSync(folder).mode & 0o777]);
  const files = new Set<number>();
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    const mode = statSync(path.join(entry.parentPath, entry.name)).mode & 0o777;
    (entry.isDirectory() ? dirs : files).add(mode);
  }
  return { dirs, files };
}

describe.sequential("the embedded database's data folder", () => {
  const folder = path.join(mkdtempSync(path.join(os.tmpdir(), "wa-embedded-")), "data");
  let embedded: EmbeddedDatabase | undefined;
  afterAll(async () => {
    await embedded?.stop();
  });

  it("is private, owned by one process and password protected", { timeout: 240_000 }, async () => {
    // An older start left files readable by everyone.
    chmodSync(path.dirname(folder), 0o755);
    writeFileSync(path.join(path.dirname(folder), "placeholder"), "");
    mkdirSync(folder, { mode: 0o777 });
    chmodSync(folder, 0o777);
    writeFileSync(path.join(folder, "app-secret"), "old\n", { mode: 0o666 });
    chmodSync(path.join(folder, "app-secret"), 0o666);

    embedded = await startEmbeddedDatabase({ dataDir: folder });
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(folder, "app-secret")).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(folder, "pg-password")).mode & 0o777).toBe(0o600);

    // A second owner is refused before it opens anything.
    await expect(startEmbeddedDatabase({ dataDir: folder })).rejects.toThrow(FolderBusyError);
    await expect(startEmbeddedDatabase({ dataDir: folder })).rejects.toThrow(
      `already running (pid ${process.pid}, ports database ${embedded.port})`,
    );

    const sql = postgres(embedded.url, { max: 1, onnotice: () => {} });
    await sql`create table kept (id int primary key)`;
    await sql`insert into kept values (1), (2)`;
    await sql.end();

    for (const wrong of ["wrong", ""]) {
      const url = new URL(embedded.url);
      url.password = wrong;
      const other = postgres(url.toString(), { max: 1, onnotice: () => {}, connect_timeout: 10 });
      await expect(other`select 1`).rejects.toMatchObject({ code: "28P01" });
      await other.end();
    }

    // A one-off command reaches the running database through the lock file's port and the folder's password.
    const reached = await openFolderDatabase(folder);
    expect(reached.mode).toBe("running");
    const viaLock = postgres(reached.url, { max: 1, onnotice: () => {} });
    expect((await viaLock`select count(*)::int as n from kept`)[0]?.n).toBe(2);
    await viaLock.end();
    await reached.close();

    await embedded.stop();
    embedded = undefined;
    expect(existsSync(path.join(folder, LOCK_FILE))).toBe(false);
    const after = modes(folder);
    expect([...after.dirs]).toEqual([0o700]);
    expect([...after.files]).toEqual([0o600]);
  });

  it("a one-off command opens the folder itself when nobody holds it", { timeout: 240_000 }, async () => {
    const opened = await openFolderDatabase(folder);
    expect(opened.mode).toBe("opened");
    const sql = postgres(opened.url, { max: 1, onnotice: () => {} });
    expect((await sql`select count(*)::int as n from kept`)[0]?.n).toBe(2);
    await sql.end();
    await opened.close();
    expect(existsSync(path.join(folder, LOCK_FILE))).toBe(false);
  });
});
