import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../context.ts";
import { toContractError } from "../errors.ts";
import { waSessionSchema } from "../schemas.ts";
import {
  ACME,
  GLOBEX,
  captureState,
  callerFactory,
  createFakePorts,
  createRecordingLogger,
  createTestApiKey,
  outcome,
  seedFixture,
  type FakePorts,
  type Fixture,
} from "../testing/index.ts";

describe("sessions router", () => {
  let t: TestDatabase;
  let ports: FakePorts;
  let f: Fixture;
  let call: ReturnType<typeof callerFactory>;
  let readKey: Principal;
  let manageKey: Principal;
  let globexSession: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    f = await seedFixture(t.db);
    ports = createFakePorts({ db: t.db, gatewayId: "gw-test-1" });
    call = callerFactory(t.db, ports);
    readKey = (await createTestApiKey(t.db, ACME, ["read"])).principal;
    manageKey = (await createTestApiKey(t.db, ACME, ["read", "manage"])).principal;
    globexSession = (await call(f.globexOwner).sessions.create({ label: "globex line" })).id;
  });
  afterAll(() => t.close());

  it("[SESSIONS]: create writes the row on this gateway with the creator, stopped unless start: true", async () => {
    const owner = call(f.acmeOwner);
    const created = await owner.sessions.create({ label: "sales", ratePerMin: 5 });
    expect(waSessionSchema.strict().parse(created)).toEqual(created);
    expect(created).toMatchObject({
      organizationId: ACME,
      gatewayId: "gw-test-1",
      label: "sales",
      status: "stopped",
      phoneNumber: null,
      waJid: null,
      waLid: null,
      isAdminSession: false,
      autoRead: false,
      presenceTyping: false,
      ratePerMin: 5,
      ratePerHour: 600,
      createdByUserId: f.acmeOwner.userId,
      lastConnectedAt: null,
    });
    expect(Number.isInteger(created.createdAt)).toBe(true);

    const started = await owner.sessions.create({ start: true });
    expect(started.status).toBe("starting");
    expect(ports.calls).toContain(`start:${started.id}`);

    const byKey = await call(manageKey).sessions.create({});
    expect(byKey.createdByUserId).toBeNull();
  });

  it("[SESSIONS]: get, update, control, qr, pairing code and delete go through the ports", async () => {
    const owner = call(f.acmeOwner);
    const { id } = await owner.sessions.create({ label: "ops" });
    expect((await owner.sessions.get({ session: id })).label).toBe("ops");
    expect(await owner.sessions.update({ session: id, label: null, autoRead: true })).toMatchObject({ label: null, autoRead: true });
    expect((await owner.sessions.start({ session: id })).status).toBe("starting");
    expect(await outcome(owner.sessions.qr({ session: id }))).toBe("conflict");
    await ports.setStatus(id, "scan_qr_code");
    expect(await owner.sessions.qr({ session: id })).toMatchObject({ qr: `2@fake-${id}` });
    expect(await owner.sessions.pairingCode({ session: id, phoneNumber: "6281234567890" })).toEqual({ code: "ABCD1234" });
    expect(await outcome(owner.sessions.pairingCode({ session: id, phoneNumber: "+62 812" }))).toBe("validation_error");
    expect((await owner.sessions.stop({ session: id })).status).toBe("stopped");
    expect((await owner.sessions.restart({ session: id })).status).toBe("starting");
    expect((await owner.sessions.logout({ session: id })).status).toBe("logged_out");
    await owner.sessions.delete({ session: id });
    expect(ports.calls.slice(-1)).toEqual([`remove:${id}`]);
    expect(await outcome(owner.sessions.get({ session: id }))).toBe("not_found");
  });

  it("[SESSIONS]: simulateScan is 404 'simulator not configured' without a simulator, pairs with one", async () => {
    const owner = call(f.acmeOwner);
    const { id } = await owner.sessions.create({});
    const err = await owner.sessions.simulateScan({ session: id }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe("simulator not configured");
    expect(await owner.system.info({})).toEqual({ gatewayId: "gw-test-1", simulator: false });

    const simPorts = createFakePorts({ db: t.db, simulator: true });
    const simCaller = callerFactory(t.db, simPorts)(f.acmeOwner);
    expect(await simCaller.sessions.simulateScan({ session: id })).toEqual({ phoneNumber: "6281234567890" });
    expect((await simCaller.system.info({})).simulator).toBe(true);
  });

  it("[ISOLATION]: another organization's session is 404 for every session procedure, for JWTs and keys", async () => {
    const s = globexSession;
    const before = await captureState(t.db, ports);
    for (const principal of [f.acmeOwner, manageKey]) {
      const c = call(principal);
      const results = {
        get: await outcome(c.sessions.get({ session: s })),
        update: await outcome(c.sessions.update({ session: s, label: "x" })),
        delete: await outcome(c.sessions.delete({ session: s })),
        start: await outcome(c.sessions.start({ session: s })),
        stop: await outcome(c.sessions.stop({ session: s })),
        restart: await outcome(c.sessions.restart({ session: s })),
        logout: await outcome(c.sessions.logout({ session: s })),
        qr: await outcome(c.sessions.qr({ session: s })),
        pairingCode: await outcome(c.sessions.pairingCode({ session: s, phoneNumber: "6281234567890" })),
        simulateScan: await outcome(c.sessions.simulateScan({ session: s })),
      };
      expect(Object.values(results).every((r) => r === "not_found")).toBe(true);
    }
    // Nothing reached the ports for the foreign session, and no row changed.
    expect(ports.calls.filter((c) => c.includes(s))).toEqual([]);
    expect(await captureState(t.db, ports)).toEqual(before);
    // The foreign session answers exactly as an unknown id does.
    const foreign = await call(f.acmeOwner).sessions.get({ session: s }).catch((e: Error) => e.message);
    const unknown = await call(f.acmeOwner).sessions.get({ session: "01UNKNOWN" }).catch((e: Error) => e.message);
    expect(foreign).toBe(unknown);
    // Lists show only the caller's organization.
    const list = await call(f.acmeOwner).sessions.list({ limit: 200 });
    expect(list.data.length).toBeGreaterThan(0);
    expect(list.data.every((x) => x.organizationId === ACME)).toBe(true);
    expect((await call(f.globexOwner).sessions.list({})).data.map((x) => x.id)).toEqual([s]);
  });

  it("[ISOLATION]: an organization smuggled into a body is an unknown field (400)", async () => {
    const c = call(f.acmeOwner);
    const smuggled = { label: "x", organizationId: GLOBEX } as unknown as Parameters<typeof c.sessions.create>[0];
    expect(await outcome(c.sessions.create(smuggled))).toBe("validation_error");
    const listSmuggled = { organizationId: GLOBEX } as unknown as Parameters<typeof c.sessions.list>[0];
    expect(await outcome(c.sessions.list(listSmuggled))).toBe("validation_error");
  });

  it("[CAPABILITIES]: a read key and a member cannot manage (and change nothing trying); both can read", async () => {
    const [session] = (await call(f.acmeOwner).sessions.list({ limit: 1 })).data;
    const id = session?.id ?? "";
    const before = await captureState(t.db, ports);
    for (const principal of [readKey, f.acmeMember]) {
      const c = call(principal);
      expect(await outcome(c.sessions.get({ session: id }))).toBe("ok");
      expect(await outcome(c.sessions.list({}))).toBe("ok");
      const refused = {
        create: await outcome(c.sessions.create({ start: true })),
        update: await outcome(c.sessions.update({ session: id, label: "x" })),
        start: await outcome(c.sessions.start({ session: id })),
        stop: await outcome(c.sessions.stop({ session: id })),
        restart: await outcome(c.sessions.restart({ session: id })),
        logout: await outcome(c.sessions.logout({ session: id })),
        delete: await outcome(c.sessions.delete({ session: id })),
        qr: await outcome(c.sessions.qr({ session: id })),
        pairingCode: await outcome(c.sessions.pairingCode({ session: id, phoneNumber: "6281234567890" })),
        simulateScan: await outcome(c.sessions.simulateScan({ session: id })),
      };
      expect(Object.entries(refused).filter(([, r]) => r !== "forbidden")).toEqual([]);
    }
    // Without credentials: 401 for reads and writes alike.
    expect(await outcome(call(null).sessions.list({}))).toBe("unauthorized");
    expect(await outcome(call(null).sessions.create({}))).toBe("unauthorized");
    expect(await outcome(call(null).sessions.delete({ session: id }))).toBe("unauthorized");
    // No row written, no port called.
    expect(await captureState(t.db, ports)).toEqual(before);
    expect(await outcome(call(f.acmeAdmin).sessions.update({ session: id, label: "by admin" }))).toBe("ok");
  });

  it("[INPUT]: ratePerHour below ratePerMin is refused on create (left-out limits count as their defaults) and on update", async () => {
    const c = call(f.acmeOwner);
    const ruleBroken = async (promise: Promise<unknown>) => {
      const error = toContractError(await promise.then(() => null, (e: unknown) => e));
      expect(error.code).toBe("validation_error");
      expect(error.details).toEqual({ errors: [{ path: "ratePerHour", message: "ratePerHour must be at least ratePerMin" }] });
    };
    await ruleBroken(c.sessions.create({ ratePerMin: 50, ratePerHour: 40 }));
    await ruleBroken(c.sessions.create({ ratePerHour: 10 })); // default ratePerMin is 20
    await ruleBroken(c.sessions.create({ ratePerMin: 700 })); // default ratePerHour is 600
    expect(await c.sessions.create({ ratePerMin: 60, ratePerHour: 60 })).toMatchObject({ ratePerMin: 60, ratePerHour: 60 });

    const { id } = await c.sessions.create({ ratePerMin: 10, ratePerHour: 100 });
    await ruleBroken(c.sessions.update({ session: id, ratePerMin: 30, ratePerHour: 20 }));
    // One limit alone is checked against the stored other one.
    await ruleBroken(c.sessions.update({ session: id, ratePerHour: 5 }));
    await ruleBroken(c.sessions.update({ session: id, ratePerMin: 101 }));
    expect(await c.sessions.get({ session: id })).toMatchObject({ ratePerMin: 10, ratePerHour: 100 });
    expect(await c.sessions.update({ session: id, ratePerMin: 100 })).toMatchObject({ ratePerMin: 100, ratePerHour: 100 });
    // Another organization's session is still a 404, not a rule check against its values.
    expect(await outcome(c.sessions.update({ session: globexSession, ratePerHour: 1 }))).toBe("not_found");
  });

  it("[LOGS]: a call's log lines carry the caller and the session it names, bound once by middleware", async () => {
    const logger = createRecordingLogger();
    const logged = callerFactory(t.db, ports, logger);
    const { id } = await logged(f.acmeOwner).sessions.create({ label: "logged" });
    await logged(manageKey).sessions.delete({ session: id });
    const created = logger.lines.find((l) => l.msg === "session created");
    expect(created?.fields).toMatchObject({
      caller: { kind: "user", userId: f.acmeOwner.userId, organizationId: ACME },
      sessionId: id,
    });
    const deleted = logger.lines.find((l) => l.msg === "session deleted");
    expect(deleted?.fields).toEqual({
      caller: { kind: "api_key", apiKeyId: manageKey.kind === "api_key" ? manageKey.keyId : "", organizationId: ACME },
      sessionId: id,
    });
  });

  it("[INPUT]: limit is clamped at 200, 0 is refused, an invalid cursor and unknown fields are validation errors", async () => {
    const c = call(f.acmeOwner);
    expect(await outcome(c.sessions.list({ limit: 5000 }))).toBe("ok");
    expect(await outcome(c.sessions.list({ limit: 0 }))).toBe("validation_error");
    expect(await outcome(c.sessions.list({ cursor: "bm9wZQ" }))).toBe("validation_error");
    const bad = { ratePerMin: "fast" } as unknown as Parameters<typeof c.sessions.create>[0];
    expect(await outcome(c.sessions.create(bad))).toBe("validation_error");
    const unknownField = { session: "x", status: "working" } as unknown as Parameters<typeof c.sessions.update>[0];
    expect(await outcome(c.sessions.update(unknownField))).toBe("validation_error");
  });

  it("[EVENTS]: the subscription yields only the caller organization's events; needs the events capability", async () => {
    const own = await call(f.acmeOwner).sessions.create({ label: "live" });
    const foreign = await call(f.globexOwner).sessions.get({ session: globexSession });
    const iterable = await call(f.acmeMember).sessions.events({});
    const iterator = iterable[Symbol.asyncIterator]();
    const first = iterator.next();
    // The stream subscribes to the (real) bus on its first pull; publish once it has.
    const deadline = Date.now() + 5_000;
    while (ports.events.subscriberCount === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const event = (s: typeof own) => ({ sessionId: s.id, organizationId: s.organizationId, status: s.status, qr: null, session: s, at: Date.now() });
    ports.publish(event(foreign));
    ports.publish(event(own));
    const got = await first;
    expect(got.done).toBe(false);
    // A tracked() envelope: [id, data]; the id lets a reconnecting EventSource say where it left off.
    // (createCaller hands out the raw envelope array; tRPC clients see { id, data }.)
    const [trackedId, data] = got.value as unknown as [string, unknown];
    expect(trackedId).toContain(own.id);
    expect(data).toMatchObject({ sessionId: own.id, organizationId: ACME });
    await iterator.return?.();

    // A reconnecting client sends the last tracked id: accepted (the stream resumes live), not a validation_error.
    const resumed = (await call(f.acmeMember).sessions.events({ lastEventId: trackedId }))[Symbol.asyncIterator]();
    const afterResume = resumed.next();
    const resumeDeadline = Date.now() + 5_000;
    while (ports.events.subscriberCount === 0 && Date.now() < resumeDeadline) await new Promise((r) => setTimeout(r, 5));
    ports.publish(event(own));
    expect((await afterResume).done).toBe(false);
    await resumed.return?.();

    expect(await outcome(call(readKey).sessions.events({}))).toBe("forbidden");
    expect(await outcome(call(f.acmeOwner).sessions.events({ session: globexSession }))).toBe("not_found");
    // A refused subscription leaves no subscriber behind.
    expect(ports.events.subscriberCount).toBe(0);
  });
});
