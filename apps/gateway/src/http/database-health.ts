// Whether the database answers, known ahead of any call: while it is away, API calls are refused at once with a
// 503 instead of each waiting for a connection attempt; it is probed again often, so it recovers within a second.
// The probe has a connection of its own: through the shared pool it would queue behind calls that are themselves
// waiting for the database, and a stopped server would look "slow" for the whole timeout instead of "refused".
import { createDbClient, migrationsApplied, type DbClient } from "@wa/db";

export type DatabaseState = "reachable" | "unreachable" | "unmigrated";

export interface DatabaseHealthOptions {
  /** Probe interval while the database answers (default 2 s). */
  upIntervalMs?: number;
  /** Probe interval while it does not (default 250 ms), so recovery is seen quickly. */
  downIntervalMs?: number;
  /**
   * A probe that takes longer counts as unreachable (default 5 s). A refused or dropped connection counts at once;
   * the timeout is only for a database that went silent, and must outlast the embedded database's queue (one
   * backend runs every connection's statements in turn), where a probe waits behind a history sync's writes.
   */
  probeTimeoutMs?: number;
}

function withTimeout<T>(promise: PromiseLike<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}

export class DatabaseHealth {
  private reachable = true;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly upIntervalMs: number;
  private readonly downIntervalMs: number;
  private readonly probeTimeoutMs: number;

  /** Probes `url` on one connection of its own, closed by `stop()`. */
  static forUrl(url: string, options: DatabaseHealthOptions = {}): DatabaseHealth {
    let health: DatabaseHealth | null = null;
    // The probe's idle connection is closed by the server as it shuts down: probe at once rather than at the next
    // interval, so calls are refused from then on instead of failing one by one for up to `upIntervalMs`.
    const probeClient = createDbClient(url, { max: 1, applicationName: "wa-health", onConnectionClosed: () => health?.connectionClosed() });
    health = new DatabaseHealth(probeClient, options, () => probeClient.close());
    return health;
  }

  constructor(
    private readonly db: Pick<DbClient, "sql">,
    options: DatabaseHealthOptions = {},
    private readonly release: () => Promise<void> = async () => {},
  ) {
    this.upIntervalMs = options.upIntervalMs ?? 2_000;
    this.downIntervalMs = options.downIntervalMs ?? 250;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 5_000;
  }

  /** False from the moment a probe failed until one reaches the database again. */
  get isReachable(): boolean {
    return this.reachable;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.release().catch(() => undefined);
  }

  /**
   * The probe's connection closed: while the database counted as reachable, probe now (a closed connection is how a
   * shutdown shows first). While it is unreachable the down interval goes on: every failed attempt closes one too.
   */
  connectionClosed(): void {
    if (this.reachable && this.timer) this.schedule(0); // a timer: started, not stopped, no probe under way
  }

  /** One round trip within the probe timeout. */
  async probe(): Promise<boolean> {
    try {
      await withTimeout(this.db.sql`select 1`, this.probeTimeoutMs);
      this.reachable = true;
    } catch {
      this.reachable = false;
    }
    return this.reachable;
  }

  /** For /readyz: a fresh probe, then the migrations; a failure while checking them is "unreachable", not "unmigrated". */
  async state(): Promise<DatabaseState> {
    if (!(await this.probe())) return "unreachable";
    const migrated = await withTimeout(migrationsApplied(this.db), this.probeTimeoutMs).catch(() => false);
    if (migrated) return "reachable";
    // migrationsApplied reads a failed query as "not applied": tell the two apart with another round trip.
    return (await this.probe()) ? "unmigrated" : "unreachable";
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.probe().then((up) => this.schedule(up ? this.upIntervalMs : this.downIntervalMs));
    }, delayMs);
    this.timer.unref();
  }
}
