// Writes that must not be lost (status, creds, keys) are retried with backoff while the database is unreachable;
// any other failure (a bug, a constraint) is reported at once, since repeating it cannot help.
import { isDatabaseUnreachable } from "@wa/db";

export interface RetryWriteOptions {
  /** First wait (default 200 ms); doubles up to `maxDelayMs` (default 5 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called before each wait, e.g. to log once that writes are queued. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function retryWhileUnreachable<T>(work: () => Promise<T>, options: RetryWriteOptions = {}): Promise<T> {
  const base = options.baseDelayMs ?? 200;
  const cap = options.maxDelayMs ?? 5_000;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (!isDatabaseUnreachable(error)) throw error;
      const delayMs = Math.min(cap, base * 2 ** (attempt - 1));
      options.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs);
    }
  }
}
