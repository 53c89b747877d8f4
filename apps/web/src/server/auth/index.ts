// The process-wide identity provider: handlers wired to the app's database, env, key store and limiter.
import { env } from "../../env.ts";
import { db } from "../db.ts";
import { log } from "../log.ts";
import type { Viewer } from "../viewer.ts";
import { createAuthHandlers, signLoginToken, type AuthHandlers } from "./handlers.ts";
import { KeyStore } from "./keys.ts";
import { createSignInLimiter } from "./rate-limit.ts";

const holder = globalThis as typeof globalThis & { __waAuth?: { handlers: AuthHandlers; keys: KeyStore } };

function instance() {
  if (!holder.__waAuth) {
    const keys = new KeyStore(db(), env().APP_SECRET, {}, log);
    const handlers = createAuthHandlers({
      db: db(),
      webUrl: env().WEB_URL,
      keys,
      limiter: createSignInLimiter(),
      secret: env().APP_SECRET,
      trustedProxies: env().TRUSTED_PROXIES,
      log,
    });
    holder.__waAuth = { handlers, keys };
  }
  return holder.__waAuth;
}

export const auth = (): AuthHandlers => instance().handlers;

/** A login JWT for a signed-in viewer, minted while the page renders so the browser needs no token round trip. */
export function tokenForViewer(viewer: Viewer): Promise<{ token: string; expiresAt: number } | null> {
  const membership = viewer.activeOrganization;
  if (!membership) return Promise.resolve(null);
  const user = { ...viewer.user, platformRole: viewer.user.isSuperAdmin ? "super_admin" : null };
  return signLoginToken(instance().keys, env().WEB_URL, user, membership, viewer.sessionId, Date.now());
}
