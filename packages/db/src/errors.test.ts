import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { organizations } from "./schema/index.ts";
import { safeError } from "./errors.ts";
import { createTestDatabase, type TestDatabase } from "./testing.ts";

describe("safeError", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.close());

  it("keeps what failed but none of the query's values", async () => {
    const secret = "sha256-of-a-secret-0123456789abcdef";
    await t.db.insert(organizations).values({ id: secret, name: "x" });
    const error = await t.db
      .insert(organizations)
      .values({ id: secret, name: "y" })
      .then(() => null, (e: unknown) => e);
    expect(String((error as Error).message)).toContain(secret); // what drizzle would have logged
    const safe = safeError(error);
    expect(safe.code).toBe("23505");
    expect(safe.message).toMatch(/duplicate key/);
    expect(JSON.stringify(safe)).not.toContain(secret);
  });

  it("describes non-database errors and non-errors", () => {
    expect(safeError(new TypeError("boom"))).toMatchObject({ type: "TypeError", message: "boom" });
    expect(safeError("text")).toEqual({ type: "string", message: "text" });
  });
});
