// A gateway's brief memory of which live gateway holds a session it forwards calls for, so a burst of calls about
// one session costs one database lookup, not one each. Only a hint, never the truth (PostgreSQL is): a call sent
// on with a stale hint reaches a gateway that still answers it correctly (its ports follow the session) and says
// it does not hold the session, which drops the hint; a hinted gateway that refuses the connection is looked up
// again at once (http/forwarding.ts). A restart simply starts with no hints.
import type { SessionRoute } from "@wa/db/queries";

/** How long a hint is used: the most a moved session's calls take an extra hop (or a dead holder's wait longer). */
export const HOLDER_HINT_MS = 1_000;
const MAX_HINTS = 10_000;

export class HolderHints {
  private readonly routes = new Map<string, { route: SessionRoute; at: number }>();

  constructor(private readonly options: { ttlMs?: number; now?: () => number } = {}) {}

  private get now(): number {
    return this.options.now ? this.options.now() : performance.now();
  }

  /** The route remembered for the session, while fresh. */
  get(sessionId: string): SessionRoute | undefined {
    const hint = this.routes.get(sessionId);
    if (!hint) return undefined;
    if (this.now - hint.at <= (this.options.ttlMs ?? HOLDER_HINT_MS)) return hint.route;
    this.routes.delete(sessionId);
    return undefined;
  }

  /** Remembers a route a call was just forwarded by (its holder answered as the holder). */
  remember(route: SessionRoute): void {
    if (this.routes.size >= MAX_HINTS) this.routes.clear();
    this.routes.set(route.sessionId, { route, at: this.now });
  }

  forget(sessionId: string): void {
    this.routes.delete(sessionId);
  }
}
