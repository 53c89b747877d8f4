// Follows api-key revocations from every process (PostgreSQL LISTEN on the channel revokeApiKey notifies) and
// keeps an ApiKeyCache honest: a notified key is forgotten; every (re)established listen starts from an empty
// cache, since notifications sent while the connection was down are lost.
import { randomUUID } from "node:crypto";
import { API_KEY_CHANGES_CHANNEL } from "@wa/db/queries";
import type { Logger } from "../logger.ts";
import type { ApiKeyCache } from "./api-key-cache.ts";

/** What is needed of the database client (postgres.js' `Sql`): LISTEN with re-listen callbacks, and NOTIFY. */
export interface NotificationClient {
  listen(channel: string, onNotify: (payload: string) => void, onListen?: () => void): Promise<{ unlisten(): Promise<unknown> }>;
  notify(channel: string, payload: string): Promise<unknown>;
}

export interface ApiKeyChangesFollower {
  stop(): Promise<void>;
}

/** Prefix of this process's own probe payloads (key ids are ULIDs, so they never collide). */
const PROBE_PREFIX = "probe:";

/**
 * LISTEN through the database's own client. The cache counts as followed only once a probe notification sent
 * through another connection came back: a server that does not deliver notifications between connections
 * (the embedded PGlite behind pglite-socket) leaves the cache on its one-second lifetime.
 */
export async function followApiKeyChanges(
  sql: NotificationClient,
  cache: ApiKeyCache,
  logger: Logger,
  probeIntervalMs = 10_000,
): Promise<ApiKeyChangesFollower> {
  let probe: string | null = null;
  let stopped = false;

  const onNotify = (payload: string) => {
    if (payload.startsWith(PROBE_PREFIX)) {
      if (payload === probe && !stopped) {
        probe = null;
        cache.setFollowed(true);
      }
      return;
    }
    cache.forgetKey(payload);
  };

  const sendProbe = () => {
    const token = `${PROBE_PREFIX}${randomUUID()}`;
    probe = token;
    sql.notify(API_KEY_CHANGES_CHANNEL, token).catch((error: unknown) => {
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, "api-key change probe failed");
    });
  };

  // postgres.js calls this after the first LISTEN and again after every automatic re-LISTEN on a new connection.
  const onListen = () => {
    if (stopped) return;
    cache.setFollowed(false);
    cache.flush();
    sendProbe();
  };

  const listening = await sql.listen(API_KEY_CHANGES_CHANNEL, onNotify, onListen);
  // A listen that silently stopped (a re-LISTEN that failed while the database was away) shows as an unanswered
  // probe: the cache falls back to its one-second lifetime until probes come back.
  const watchdog = setInterval(() => {
    if (probe !== null) cache.setFollowed(false);
    sendProbe();
  }, probeIntervalMs);
  watchdog.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(watchdog);
      cache.setFollowed(false);
      await listening.unlisten().catch(() => undefined);
    },
  };
}
