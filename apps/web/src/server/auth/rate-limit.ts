// In-memory sliding-window counters of failed sign-ins, per account and per client address, and the addresses
// each account last signed in from (so an account's lockout spares its owner; see handlers.ts).
export interface FailureLimiterOptions {
  max: number;
  windowMs: number;
  /** Upper bound on tracked keys, so a flood of distinct keys cannot grow memory without limit. */
  maxKeys?: number;
}

export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly maxKeys: number;

  constructor(private readonly options: FailureLimiterOptions) {
    this.maxKeys = options.maxKeys ?? 50_000;
  }

  private recent(key: string, now: number): number[] {
    const list = this.failures.get(key);
    if (!list) return [];
    const fresh = list.filter((t) => now - t < this.options.windowMs);
    if (fresh.length === 0) this.failures.delete(key);
    else if (fresh.length !== list.length) this.failures.set(key, fresh);
    return fresh;
  }

  /** Milliseconds until another attempt is allowed; 0 when not limited. */
  retryAfterMs(key: string, now: number): number {
    const fresh = this.recent(key, now);
    if (fresh.length < this.options.max) return 0;
    const oldest = fresh[fresh.length - this.options.max] ?? now;
    return Math.max(1, oldest + this.options.windowMs - now);
  }

  recordFailure(key: string, now: number): void {
    const fresh = this.recent(key, now);
    fresh.push(now);
    this.failures.delete(key);
    this.failures.set(key, fresh.slice(-this.options.max));
    if (this.failures.size > this.maxKeys) {
      // Map iteration is insertion order: drop the least recently failed key.
      const first = this.failures.keys().next();
      if (!first.done) this.failures.delete(first.value);
    }
  }

  reset(key: string): void {
    this.failures.delete(key);
  }
}

/** The few addresses each account last signed in from successfully; bounded in accounts and per account. */
export class KnownAddresses {
  private readonly byAccount = new Map<string, string[]>();

  constructor(
    private readonly perAccount = 10,
    private readonly maxAccounts = 50_000,
  ) {}

  has(account: string, address: string): boolean {
    return this.byAccount.get(account)?.includes(address) ?? false;
  }

  remember(account: string, address: string): void {
    const list = (this.byAccount.get(account) ?? []).filter((a) => a !== address);
    list.push(address);
    this.byAccount.delete(account);
    this.byAccount.set(account, list.slice(-this.perAccount));
    if (this.byAccount.size > this.maxAccounts) {
      const first = this.byAccount.keys().next();
      if (!first.done) this.byAccount.delete(first.value);
    }
  }
}

export interface SignInLimiter {
  account: FailureLimiter;
  address: FailureLimiter;
  known: KnownAddresses;
}

export const createSignInLimiter = (): SignInLimiter => ({
  account: new FailureLimiter({ max: 5, windowMs: 15 * 60_000 }),
  address: new FailureLimiter({ max: 30, windowMs: 15 * 60_000 }),
  known: new KnownAddresses(),
});
