// The process-wide identity provider: handlers wired to the app's database, env, key store and limiter.
import { env } from "../../env.ts";
import { db } from "../db.ts";
import { log } from "../log.ts";
import { createAuthHandlers, type AuthHandlers } from "./handlers.ts";
import { KeyStore } from "./keys.ts";
import { createSignInLimiter } from "./rate-limit.ts";

const holder = globalThis as typeof globalThis & { __waAuth?: { handlers: AuthHandlers; keys: KeyStore } };

export function auth(): AuthHandlers {
  if (!holder.__waAuth) {
    const keys = new KeyStore(db(), env().APP_SECRET);
    const handlers = createAuthHandlers({ db: db(), webUrl: env().WEB_URL, keys, limiter: createSignInLimiter(), log });
    holder.__waAuth = { handlers, keys };
  }
  return holder.__waAuth.handlers;
}
