// An in-memory stand-in for the gateway's session control and backfill, with the real event bus, for router and
// HTTP tests.
import type { Database, SessionStatus } from "@wa/db";
import { getSession, updateSessionState } from "@wa/db/queries";
import { conflict, notFound } from "../errors.ts";
import { SessionEventBus } from "../event-bus.ts";
import type { GatewayPorts, SessionEvent } from "../ports.ts";
import type { BackfillJob, SessionQr, WaSessionOutput } from "../schemas.ts";
import { createWebhookPort } from "../webhooks/port.ts";
import type { Resolver } from "../webhooks/url-guard.ts";

/** The APP_SECRET the fake ports seal webhook secrets with. */
export const FAKE_PORTS_APP_SECRET = "fake-ports-app-secret-fake-ports-app-secret";

export interface FakePorts extends GatewayPorts {
  /** Every port call, in order, e.g. `start:01H…`. */
  calls: string[];
  /** The real bus (its `subscriberCount` tells a test when a stream has subscribed). */
  events: SessionEventBus;
  /** Publishes a live event to subscribers. */
  publish(event: SessionEvent): void;
  /** Ends the running backfill job of a session. */
  finishBackfill(sessionId: string, outcome?: { error?: string }): void;
  setStatus(sessionId: string, status: SessionStatus): Promise<WaSessionOutput>;
}

let jobCounter = 0;

export function createFakePorts(options: {
  db: Database;
  gatewayId?: string;
  simulator?: boolean;
  /** WEBHOOK_ALLOW_PRIVATE (default false: the SSRF guard is on, as in production). */
  allowPrivateWebhooks?: boolean;
  /** DNS for the SSRF guard (default: the system's). */
  resolve?: Resolver;
}): FakePorts {
  const { db } = options;
  const calls: string[] = [];
  const jobs = new Map<string, BackfillJob>();
  // The gateway's own bus: subscribers see the same filtering, queueing and abort behaviour as in production.
  const events = new SessionEventBus();

  const setStatus = async (sessionId: string, status: SessionStatus) => {
    const session = await updateSessionState(db, sessionId, { status });
    if (!session) throw notFound("session");
    return session;
  };
  const statusOf = async (sessionId: string) => {
    const session = await getSession(db, sessionId);
    if (!session) throw notFound("session");
    return session.status;
  };

  const qrFor = (sessionId: string): SessionQr => ({
    qr: `2@fake-${sessionId}`,
    image: "data:image/png;base64,iVBORw0KGgo=",
    expiresAt: Date.now() + 20_000,
  });

  const ports: FakePorts = {
    gatewayId: options.gatewayId ?? "gw-test-1",
    calls,
    sessions: {
      async start(id) {
        calls.push(`start:${id}`);
        await setStatus(id, "starting");
      },
      async stop(id) {
        calls.push(`stop:${id}`);
        await setStatus(id, "stopped");
      },
      async restart(id) {
        calls.push(`restart:${id}`);
        await setStatus(id, "starting");
      },
      async logout(id) {
        calls.push(`logout:${id}`);
        await setStatus(id, "logged_out");
      },
      async remove(id) {
        calls.push(`remove:${id}`);
      },
      async getQr(id) {
        calls.push(`getQr:${id}`);
        if ((await statusOf(id)) !== "scan_qr_code") throw conflict("session is not waiting for a QR scan");
        return qrFor(id);
      },
      async requestPairingCode(id, phoneNumber) {
        calls.push(`pairingCode:${id}:${phoneNumber}`);
        if ((await statusOf(id)) !== "scan_qr_code") throw conflict("session is not waiting for pairing");
        return { code: "ABCD1234" };
      },
      ...(options.simulator
        ? {
            simulateScan: async (id: string) => {
              calls.push(`simulateScan:${id}`);
              await setStatus(id, "working");
              return { phoneNumber: "6281234567890" };
            },
          }
        : {}),
    },
    backfill: {
      async start(sessionId) {
        calls.push(`backfill:${sessionId}`);
        const session = await getSession(db, sessionId);
        if (!session) throw notFound("session");
        const current = jobs.get(session.id);
        if (current?.status === "running") throw conflict("a backfill is already running for this session");
        jobCounter += 1;
        const job: BackfillJob = {
          id: `job-${jobCounter}`,
          sessionId: session.id,
          organizationId: session.organizationId,
          status: "running",
          contacts: 0,
          groups: 0,
          groupMembers: 0,
          startedAt: Date.now(),
          finishedAt: null,
          error: null,
        };
        jobs.set(session.id, job);
        return { ...job };
      },
      async get(sessionId) {
        const job = jobs.get(sessionId);
        return job ? { ...job } : null;
      },
    },
    events,
    // The real port: real sealing, real URL guard.
    webhooks: createWebhookPort({
      appSecret: FAKE_PORTS_APP_SECRET,
      allowPrivate: options.allowPrivateWebhooks ?? false,
      ...(options.resolve ? { resolve: options.resolve } : {}),
    }),
    publish: (event) => events.publish(event),
    finishBackfill(sessionId, outcome = {}) {
      const job = jobs.get(sessionId);
      if (!job) return;
      jobs.set(sessionId, {
        ...job,
        status: outcome.error ? "failed" : "succeeded",
        error: outcome.error ?? null,
        finishedAt: Date.now(),
      });
    },
    setStatus,
  };
  return ports;
}
