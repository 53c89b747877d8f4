// What to do after a WhatsApp connection closes: a pure function of the disconnect reason and recent history.

export interface ReconnectPolicyOptions {
  /** First backoff step for dropped sockets and server errors. */
  baseDelayMs: number;
  /** Cap of any backoff delay. */
  maxDelayMs: number;
  /** 500-class stream errors within `serverErrorWindowMs` that make the session `failed` (auth state kept). */
  maxServerErrors: number;
  /**
   * Server errors are counted in a time window rather than reset by a successful open: a server that errors
   * shortly after every login is failing just as much as one that refuses the login.
   */
  serverErrorWindowMs: number;
  /** Dropped sockets in a row (no `open` in between) before `failed`; Infinity keeps trying. */
  maxDrops: number;
  /** Replacements (440) counted within this window. */
  replacedWindowMs: number;
  /** Replacements within the window that stop the session (`failed`). */
  maxReplacedInWindow: number;
  /** First backoff step after a replacement: slower, so two clients don't keep kicking each other. */
  replacedBaseDelayMs: number;
}

export const defaultReconnectPolicy: ReconnectPolicyOptions = {
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxServerErrors: 5,
  serverErrorWindowMs: 10 * 60_000,
  maxDrops: Number.POSITIVE_INFINITY,
  replacedWindowMs: 5 * 60_000,
  maxReplacedInWindow: 3,
  replacedBaseDelayMs: 5_000,
};

/** Recent failures: drops since the last successful `open`; server errors and replacements in their windows. */
export interface ReconnectHistory {
  drops: number;
  serverErrorsAt: number[];
  replacedAt: number[];
}

export const freshHistory = (): ReconnectHistory => ({ drops: 0, serverErrorsAt: [], replacedAt: [] });

/** A successful open resets the drop backoff; server errors and replacements stay counted in their windows. */
export const historyAfterOpen = (h: ReconnectHistory): ReconnectHistory => ({ ...h, drops: 0 });

export interface CloseInfo {
  /** Baileys' `lastDisconnect.error.output.statusCode`; undefined when the socket died without one. */
  statusCode: number | undefined;
  message: string;
  /** Whether the session has paired credentials. */
  paired: boolean;
  /** Whether this connection showed a QR (it was a registration, waiting for a scan). */
  qrShown?: boolean;
}

export type ReconnectDecision =
  | { action: "reconnect"; delayMs: number; status: "starting"; reason: string }
  | { action: "stop"; status: "failed" | "logged_out"; reason: string; wipeAuth: boolean };

export const DisconnectCode = {
  loggedOut: 401,
  forbidden: 403,
  clientOutdated: 405,
  timedOut: 408,
  multideviceMismatch: 411,
  unauthorized419: 419,
  connectionClosed: 428,
  replaced: 440,
  badSession: 500,
  unavailable: 503,
  restartRequired: 515,
} as const;

/** Exponential backoff with full jitter: uniform in [0, min(cap, base·2^(attempt-1))]. */
export function fullJitterDelay(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** "in 8 s", "in 0.4 s", "now": how long until the next attempt, for a person reading the status. */
export function retryIn(delayMs: number): string {
  if (delayMs <= 0) return "now";
  const seconds = delayMs / 1000;
  return `in ${seconds < 10 ? Number(seconds.toFixed(1)) : Math.round(seconds)} s`;
}

/** "17:05:03 UTC": the wall-clock time of an attempt, so a reason read minutes later still says when it was due. */
export function utcClock(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(11, 19)} UTC`;
}

/** "retrying in 8 s (at 17:05:03 UTC)": both how long and, since the console may show it much later, when. */
export function retryingAt(delayMs: number, now: number): string {
  return `retrying ${retryIn(delayMs)} (at ${utcClock(now + Math.max(0, delayMs))})`;
}

/**
 * The cause of a close in words: network errors (DNS, refused, timeouts) name the host problem Baileys reports
 * inside "WebSocket Error (…)"; everything else keeps WhatsApp's message and code.
 */
export function describeClose(close: CloseInfo): string {
  const code = close.statusCode;
  const network = /^WebSocket Error \((.*)\)$/s.exec(close.message);
  if (network) return `cannot reach WhatsApp (${network[1] ?? "network error"})`;
  if (code === DisconnectCode.timedOut) return `connection to WhatsApp timed out (${close.message})`;
  if (code === DisconnectCode.connectionClosed) return `connection to WhatsApp closed (${close.message})`;
  if (code === DisconnectCode.unavailable) return "WhatsApp is unavailable (503)";
  return `${close.message}${code === undefined ? "" : ` (${code})`}`;
}

export function decideReconnect(
  close: CloseInfo,
  history: ReconnectHistory,
  now: number,
  options: ReconnectPolicyOptions = defaultReconnectPolicy,
  random: () => number = Math.random,
): { decision: ReconnectDecision; history: ReconnectHistory } {
  const code = close.statusCode;
  const label = describeClose(close);
  const retry = (delayMs: number, why: string, next: ReconnectHistory) => ({
    decision: { action: "reconnect" as const, delayMs, status: "starting" as const, reason: `${why}; ${retryingAt(delayMs, now)}` },
    history: next,
  });

  if (code === DisconnectCode.restartRequired) {
    // WhatsApp asks for a restart right after pairing (and occasionally later): saved creds, no delay.
    return retry(0, "WhatsApp asked for a restart (515)", history);
  }
  if (code === DisconnectCode.loggedOut || code === DisconnectCode.forbidden || code === DisconnectCode.unauthorized419) {
    return {
      decision: {
        action: "stop",
        status: "logged_out",
        reason: `logged out from the phone (${code}): the device was unlinked; start the session and scan a new QR`,
        wipeAuth: true,
      },
      history,
    };
  }
  if (code === DisconnectCode.clientOutdated) {
    return {
      decision: {
        action: "stop",
        status: "failed",
        reason: "WhatsApp says this client is outdated (405): update the gateway, then start the session again",
        wipeAuth: false,
      },
      history,
    };
  }
  if (code === DisconnectCode.multideviceMismatch) {
    return { decision: { action: "stop", status: "failed", reason: `multi-device mismatch: ${label}`, wipeAuth: false }, history };
  }
  const qrExhausted =
    (code === DisconnectCode.timedOut && /QR refs attempts ended/i.test(close.message)) ||
    // The server may end an unscanned registration itself once its refs are used up.
    (close.qrShown === true && (code === DisconnectCode.timedOut || code === DisconnectCode.connectionClosed));
  if (!close.paired && qrExhausted) {
    return {
      decision: {
        action: "stop",
        status: "failed",
        reason: "QR code not scanned in time: WhatsApp's pairing attempts ran out; start the session again for a new QR",
        wipeAuth: false,
      },
      history,
    };
  }
  if (code === DisconnectCode.replaced) {
    const replacedAt = [...history.replacedAt.filter((t) => now - t < options.replacedWindowMs), now];
    const next = { ...history, replacedAt };
    if (replacedAt.length >= options.maxReplacedInWindow) {
      return {
        decision: {
          action: "stop",
          status: "failed",
          reason: `connection replaced ${replacedAt.length} times within ${Math.round(options.replacedWindowMs / 1000)} s: another client uses this session; close it, then start the session again`,
          wipeAuth: false,
        },
        history: next,
      };
    }
    // Never below the base step: reconnecting at once would just kick the other client (or be kicked) again.
    const delayMs =
      options.replacedBaseDelayMs +
      fullJitterDelay(replacedAt.length, options.replacedBaseDelayMs, options.maxDelayMs, random);
    return retry(delayMs, "replaced by another connection (440)", next);
  }
  if (code === DisconnectCode.badSession || (code !== undefined && code >= 500 && code !== DisconnectCode.unavailable)) {
    const serverErrorsAt = [...history.serverErrorsAt.filter((t) => now - t < options.serverErrorWindowMs), now];
    const serverErrors = serverErrorsAt.length;
    const next = { ...history, serverErrorsAt };
    if (serverErrors >= options.maxServerErrors) {
      return {
        decision: {
          action: "stop",
          status: "failed",
          reason: `${serverErrors} stream errors within ${Math.round(options.serverErrorWindowMs / 1000)} s, last: ${label}; start the session again`,
          wipeAuth: false,
        },
        history: next,
      };
    }
    const delayMs = fullJitterDelay(serverErrors, options.baseDelayMs, options.maxDelayMs, random);
    return retry(delayMs, `WhatsApp stream error: ${label}`, next);
  }
  // Dropped socket, lost keep-alive (408), closed (428), unavailable (503), network errors, or no code at all.
  const drops = history.drops + 1;
  const next = { ...history, drops };
  if (drops > options.maxDrops) {
    return {
      decision: {
        action: "stop",
        status: "failed",
        reason: `gave up after ${drops - 1} reconnects, last: ${label}; start the session again`,
        wipeAuth: false,
      },
      history: next,
    };
  }
  const delayMs = fullJitterDelay(drops, options.baseDelayMs, options.maxDelayMs, random);
  return retry(delayMs, label, next);
}
