// Placement under concurrency: creates that arrive at once must each see the sessions placed before them, or a
// burst lands on one gateway (every create reading the same loads).
import { newId, schema } from "@wa/db";
import { createSession, registerGateway } from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { placeInTransaction } from "./placement.ts";

let database: TestDatabase;
let organizationId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  organizationId = newId();
  await database.db.insert(schema.organizations).values({ id: organizationId, name: "Placement" });
  await registerGateway(database.db, { id: "gw-a", baseUrl: "http://127.0.0.1:1" });
  await registerGateway(database.db, { id: "gw-b", baseUrl: "http://127.0.0.1:2" });
});

afterAll(async () => {
  await database?.close();
});

describe("placement", () => {
  it("a placement waits for the one in flight and counts its new session", async () => {
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstPlaced!: () => void;
    const firstHasPlaced = new Promise<void>((resolve) => (firstPlaced = resolve));
    const first = database.db.transaction(async (tx) => {
      const gatewayId = await placeInTransaction(tx, "gw-a", 60_000);
      await createSession(tx, { organizationId, gatewayId, label: "first" });
      firstPlaced();
      await firstHolds; // still uncommitted while the second placement runs
      return gatewayId;
    });
    await firstHasPlaced;
    const second = database.db.transaction(async (tx) => {
      const gatewayId = await placeInTransaction(tx, "gw-a", 60_000);
      await createSession(tx, { organizationId, gatewayId, label: "second" });
      return gatewayId;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    releaseFirst();
    expect(await first).toBe("gw-a"); // a tie stays local
    expect(await second).toBe("gw-b"); // it saw the first one's session, committed before it read the loads
  });
});
