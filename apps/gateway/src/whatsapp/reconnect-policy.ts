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

export function decideReconnect(
  close: CloseInfo,
  history: ReconnectHistory,
  now: number,
  options: ReconnectPolicyOptions = defaultReconnectPolicy,
  random: () => number = Math.random,
): { decision: ReconnectDecision; history: ReconnectHistory } {
  const code = close.statusCode;
  const label = `${close.message}${code === undefined ? "" : ` (${code})`}`;

  if (code === DisconnectCode.restartRequired) {
    // WhatsApp asks for a restart right after pairing (and occasionally later): saved creds, no delay.
    return { decision: { action: "reconnect", delayMs: 0, status: "starting", reason: label }, history };
  }
  if (code === DisconnectCode.loggedOut || code === DisconnectCode.forbidden || code === DisconnectCode.unauthorized419) {
    return {
      decision: { action: "stop", status: "logged_out", reason: `logged out by WhatsApp: ${label}`, wipeAuth: true },
      history,
    };
  }
  if (code === DisconnectCode.clientOutdated) {
    return {
      decision: { action: "stop", status: "failed", reason: `client version refused by WhatsApp: ${label}`, wipeAuth: false },
      history,
    };
  }
  if (code === DisconnectCode.multideviceMismatch) {
    return { decision: { action: "stop", status: "failed", reason: label, wipeAuth: false }, history };
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
        reason: "QR code not scanned: WhatsApp's pairing attempts ran out; start the session again for a new QR",
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
          reason: `connection replaced ${replacedAt.length} times within ${Math.round(options.replacedWindowMs / 1000)} s: another client uses this session`,
          wipeAuth: false,
        },
        history: next,
      };
    }
    // Never below the base step: reconnecting at once would just kick the other client (or be kicked) again.
    const delayMs =
      options.replacedBaseDelayMs +
      fullJitterDelay(replacedAt.length, options.replacedBaseDelayMs, options.maxDelayMs, random);
    return { decision: { action: "reconnect", delayMs, status: "starting", reason: label }, history: next };
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
          reason: `${serverErrors} stream errors within ${Math.round(options.serverErrorWindowMs / 1000)} s, last: ${label}`,
          wipeAuth: false,
        },
        history: next,
      };
    }
    const delayMs = fullJitterDelay(serverErrors, options.baseDelayMs, options.maxDelayMs, random);
    return { decision: { action: "reconnect", delayMs, status: "starting", reason: label }, history: next };
  }
  // Dropped socket, lost keep-alive (408), closed (428), unavailable (503), or no code at all.
  const drops = history.drops + 1;
  const next = { ...history, drops };
  if (drops > options.maxDrops) {
    return {
      decision: { action: "stop", status: "failed", reason: `gave up after ${drops - 1} reconnects, last: ${label}`, wipeAuth: false },
      history: next,
    };
  }
  const delayMs = fullJitterDelay(drops, options.baseDelayMs, options.maxDelayMs, random);
  return { decision: { action: "reconnect", delayMs, status: "starting", reason: label }, history: next };
}
