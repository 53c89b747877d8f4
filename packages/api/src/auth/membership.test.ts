// The membership re-check behind every login-JWT call: as fresh as before, but a console's parallel calls share
// one lookup instead of each asking the database.
import { memberships, and, eq } from "@wa/db";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACME, countingDatabase, seedFixture, type Fixture } from "../testing/index.ts";
import { createMembershipCheck } from "./membership.ts";

describe("membership re-check", () => {
  let t: TestDatabase;
  let f: Fixture;

  beforeAll(async () => {
    t = await createTestDatabase();
    f = await seedFixture(t.db);
  });
  afterAll(() => t.close());

  it("[AUTH][JWT][MEMBERSHIP]: a console's parallel calls when the window ends cost one lookup, not one each", async () => {
    const { db, statements } = countingDatabase(t.db);
    let clock = Date.now();
    const check = createMembershipCheck(db, { maxAgeMs: 2_000, now: () => clock });
    const parallel = (n: number) => Promise.all(Array.from({ length: n }, () => check.current(f.acmeMember)));

    expect((await parallel(20)).every((c) => c.orgRole === "member")).toBe(true);
    expect(statements()).toBe(1);
    clock += 2_000;
    await parallel(20);
    expect(statements()).toBe(1);
    clock += 1;
    await parallel(20);
    expect(statements()).toBe(2);

    // A platform role is re-checked the same way: one profile lookup for the parallel calls of a super admin.
    const before = statements();
    const admins = await Promise.all(Array.from({ length: 20 }, () => check.current(f.superAdmin)));
    expect(admins.every((c) => c.platformRole === "super_admin")).toBe(true);
    expect(statements() - before).toBe(2); // the profile and the platform organization's membership, once each
  });

  it("[AUTH][JWT][MEMBERSHIP]: still as fresh: a removal refuses every call made after the window, parallel or not", async () => {
    let clock = Date.now();
    const check = createMembershipCheck(t.db, { maxAgeMs: 2_000, now: () => clock });
    const claims = f.acmeAdmin;
    expect((await check.current(claims)).orgRole).toBe("admin");
    const where = and(eq(memberships.userId, claims.userId), eq(memberships.organizationId, ACME));
    const [row] = await t.db.delete(memberships).where(where).returning();
    try {
      clock += 2_001;
      const answers = await Promise.allSettled(Array.from({ length: 10 }, () => check.current(claims)));
      expect(answers.map((a) => (a.status === "rejected" ? (a.reason as { code?: string }).code : "accepted"))).toEqual(
        Array.from({ length: 10 }, () => "unauthorized"),
      );
    } finally {
      if (row) await t.db.insert(memberships).values(row);
    }
  });

  it("[AUTH][JWT][MEMBERSHIP]: a failed lookup is not remembered: the next call asks again", async () => {
    let fail = true;
    const flaky = new Proxy(t.db, {
      get(target, prop, receiver) {
        if (prop === "select" && fail) {
          return () => {
            throw new Error("database away");
          };
        }
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const check = createMembershipCheck(flaky, { maxAgeMs: 60_000 });
    const failed = await Promise.allSettled(Array.from({ length: 5 }, () => check.current(f.acmeOwner)));
    expect(failed.every((a) => a.status === "rejected")).toBe(true);
    fail = false;
    expect((await check.current(f.acmeOwner)).orgRole).toBe("owner");
  });
});
