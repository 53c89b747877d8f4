// The browser's login JWT: fetched from /api/auth/token, cached until a minute before expiry, refetched on demand.
const REFRESH_MARGIN_MS = 60_000;

export class NotSignedInError extends Error {
  constructor() {
    super("not signed in");
    this.name = "NotSignedInError";
  }
}

interface Cached {
  token: string;
  expiresAt: number;
}

class TokenSource {
  private cached: Cached | undefined;
  private inflight: Promise<string> | undefined;

  /** A token valid for at least another minute. */
  get(): Promise<string> {
    const cached = this.cached;
    if (cached && cached.expiresAt - REFRESH_MARGIN_MS > Date.now()) return Promise.resolve(cached.token);
    this.inflight ??= this.fetch().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** Adopts a token minted for this page by the server, unless a fresher one is cached. */
  prime(token: Cached): void {
    if (!this.cached || this.cached.expiresAt < token.expiresAt) this.cached = token;
  }

  /** Forget the cached token (the gateway answered 401): the next get() fetches a fresh one. */
  invalidate(): void {
    this.cached = undefined;
  }

  /** Makes another of the person's organizations the active one (persisted server-side) and caches its token. */
  async switchOrganization(organizationId: string): Promise<void> {
    this.cached = undefined;
    await this.fetch(organizationId);
  }

  private async fetch(organizationId?: string): Promise<string> {
    const url = organizationId ? `/api/auth/token?org=${encodeURIComponent(organizationId)}` : "/api/auth/token";
    const res = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    if (res.status === 401) {
      this.cached = undefined;
      if (typeof window !== "undefined") {
        const next = window.location.pathname + window.location.search;
        window.location.assign(`/sign-in?next=${encodeURIComponent(next)}`);
      }
      throw new NotSignedInError();
    }
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
      throw new Error(body?.error?.message ?? `token request failed (${res.status})`);
    }
    const body = (await res.json()) as Cached;
    this.cached = body;
    return body.token;
  }
}

export const tokens = new TokenSource();
