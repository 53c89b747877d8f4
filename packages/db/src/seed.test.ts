import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "./passwords.ts";
import { findUserCredentials } from "./queries/identity.ts";
import { countRows, seed } from "./seed.ts";
import { createTestDatabase, type TestDatabase } from "./testing.ts";

describe("seed", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.close());

  it("is idempotent: a second run creates nothing and keeps counts", async () => {
    const options = { superAdminEmail: "Admin@Example.com", sessions: 500, orgs: 7 };
    const first = await seed(t.db, options);
    const counts = await countRows(t.db);
    expect(counts).toEqual({ users: 5, organizations: 3 + 7, memberships: 5, sessions: 500 });
    expect(first.syntheticSessions).toBe(500);
    const second = await seed(t.db, options);
    expect(second.createdUsers).toBe(0);
    expect(second.generatedPasswords).toEqual([]);
    expect(await countRows(t.db)).toEqual(counts);
  });

  it("stores only scrypt hashes that verify the generated passwords", async () => {
    const t2 = await createTestDatabase();
    try {
      const result = await seed(t2.db, { superAdminEmail: "root@example.com", demoPassword: "demo-pass-123" });
      const adminPassword = result.generatedPasswords.find((p) => p.email === "root@example.com")?.password;
      expect(adminPassword).toBeTruthy();
      const admin = await findUserCredentials(t2.db, "root@example.com");
      expect(admin?.platformRole).toBe("super_admin");
      expect(admin?.passwordHash.startsWith("scrypt$")).toBe(true);
      expect(admin?.passwordHash).not.toContain(adminPassword);
      expect(await verifyPassword(adminPassword ?? "", admin?.passwordHash ?? "")).toBe(true);
      expect(await verifyPassword("wrong", admin?.passwordHash ?? "")).toBe(false);
      const owner = await findUserCredentials(t2.db, "owner@acme.test");
      expect(await verifyPassword("demo-pass-123", owner?.passwordHash ?? "")).toBe(true);
      const raw = await t2.sql`select * from users`;
      expect(JSON.stringify(raw)).not.toContain("demo-pass-123");
    } finally {
      await t2.close();
    }
  });
});
