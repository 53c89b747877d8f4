// An in-process gateway (real engine without WhatsApp, real HTTP server on loopback) and the identities that call it.
import { createTestIdentity, type TestIdentity } from "@wa/api/testing";
import { DEMO_ORGANIZATIONS, PLATFORM_ORGANIZATION, type DbClient } from "@wa/db";
import { findUserByEmail } from "@wa/db/queries";
import { createGatewayEngine } from "@wa/gateway/engine";
import { createServer } from "@wa/gateway/server";
import pino from "pino";
import { onCleanup } from "./processes.ts";

export const SUPER_ADMIN_EMAIL = "admin@example.com";
export const OWNER_EMAIL = "owner@acme.test";
export const BENCH_PASSWORD = "bench-password";

export interface BenchIdentity {
  identity: TestIdentity;
  /** The issuer the gateway must expect (its WEB_URL). */
  webUrl: string;
  /** A fresh super_admin JWT (tokens live 5 minutes: ask again for each phase). */
  superAdminToken: () => Promise<string>;
  /** A fresh JWT of Acme's owner. */
  ownerToken: () => Promise<string>;
  ownerOrganizationId: string;
}

/** A JWKS on loopback plus tokens for the seeded super admin and Acme's owner (the database must be seeded). */
export async function createBenchIdentity(db: DbClient): Promise<BenchIdentity> {
  const webUrl = "http://127.0.0.1:3999";
  const identity = await createTestIdentity({ issuer: webUrl });
  onCleanup(() => identity.close());
  const admin = await findUserByEmail(db.db, SUPER_ADMIN_EMAIL);
  const owner = await findUserByEmail(db.db, OWNER_EMAIL);
  if (!admin || !owner) throw new Error("the bench database is not seeded (super admin or owner@acme.test missing)");
  const acme = DEMO_ORGANIZATIONS[0].id;
  return {
    identity,
    webUrl,
    ownerOrganizationId: acme,
    superAdminToken: () =>
      identity.mint({
        sub: admin.id,
        org: PLATFORM_ORGANIZATION.id,
        orgRole: "owner",
        role: "super_admin",
        email: admin.email,
        name: admin.name,
      }),
    ownerToken: () => identity.mint({ sub: owner.id, org: acme, orgRole: "owner", email: owner.email, name: owner.name }),
  };
}

export interface InProcessGateway {
  url: string;
  stop: () => Promise<void>;
}

/**
 * createServer + the real engine with no WhatsApp URL, listening on 127.0.0.1. Logs go to /dev/null at the
 * production level (info), so the cost of writing one line per request is included but the terminal stays clean.
 */
export async function startInProcessGateway(db: DbClient, identity: BenchIdentity): Promise<InProcessGateway> {
  const logger = pino({ level: "info" }, pino.destination({ dest: "/dev/null", sync: false }));
  const engine = await createGatewayEngine({
    db,
    logger,
    config: { gatewayId: "gw-bench-1", appSecret: "bench-app-secret-bench-app-secret-bench", gatewayUrl: "http://127.0.0.1:0" },
  });
  await engine.boot();
  const server = await createServer({
    db,
    ports: engine,
    env: { port: 0, webUrl: identity.webUrl, jwksUrl: identity.identity.jwksUrl },
    logger,
  });
  const url = await server.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop();
    await engine.shutdown();
  };
  onCleanup(stop);
  return { url, stop };
}
