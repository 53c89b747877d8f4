import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../context.ts";
import {
  ACME,
  GLOBEX,
  callerFactory,
  captureState,
  createFakePorts,
  createTestApiKey,
  outcome,
  seedFixture,
  type FakePorts,
  type Fixture,
} from "../testing/index.ts";

describe("api-keys router", () => {
  let t: TestDatabase;
  let ports: FakePorts;
  let f: Fixture;
  let call: ReturnType<typeof callerFactory>;
  let fullKey: Principal;
  let existingKey: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    f = await seedFixture(t.db);
    ports = createFakePorts({ db: t.db });
    call = callerFactory(t.db, ports);
    fullKey = (await createTestApiKey(t.db, ACME, ["read", "send", "manage", "events"])).principal;
    existingKey = (await call(f.acmeOwner).apiKeys.create({ name: "existing", permissions: ["read"] })).apiKey.id;
  });
  afterAll(() => t.close());

  const procedures: Record<string, (c: ReturnType<typeof call>) => Promise<unknown>> = {
    "apiKeys.list": (c) => c.apiKeys.list({}),
    "apiKeys.create": (c) => c.apiKeys.create({ name: "refused", permissions: ["read", "manage"] }),
    "apiKeys.revoke": (c) => c.apiKeys.revoke({ id: existingKey }),
  };

  for (const [name, run] of Object.entries(procedures)) {
    it(`[API-KEYS][${name}]: 401 without credentials, 403 for a member and for every api-key, and nothing changes`, async () => {
      const before = await captureState(t.db, ports);
      expect(await outcome(run(call(null)))).toBe("unauthorized");
      expect(await outcome(run(call(f.acmeMember)))).toBe("forbidden");
      expect(await outcome(run(call(f.globexMember)))).toBe("forbidden");
      expect(await outcome(run(call(fullKey)))).toBe("forbidden");
      // No key written or revoked, no port called.
      expect(await captureState(t.db, ports)).toEqual(before);
    });
  }

  it("[API-KEYS]: owners and admins manage their own organization's keys; another organization's key is 404 and stays usable", async () => {
    const created = await call(f.acmeAdmin).apiKeys.create({ name: "by admin", permissions: ["read"] });
    expect(created.key).toMatch(/^wa_/);
    expect((await call(f.acmeOwner).apiKeys.list({})).data.map((k) => k.id)).toContain(created.apiKey.id);
    const before = await captureState(t.db, ports);
    expect(await outcome(call(f.globexOwner).apiKeys.revoke({ id: created.apiKey.id }))).toBe("not_found");
    expect(await captureState(t.db, ports)).toEqual(before);
    expect((await call(f.globexOwner).apiKeys.list({})).data.every((k) => k.organizationId === GLOBEX)).toBe(true);
    await call(f.acmeOwner).apiKeys.revoke({ id: created.apiKey.id });
    const revoked = (await call(f.acmeOwner).apiKeys.list({})).data.find((k) => k.id === created.apiKey.id);
    expect(revoked?.revokedAt).not.toBeNull();
  });
});
