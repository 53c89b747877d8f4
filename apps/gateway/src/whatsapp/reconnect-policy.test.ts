// The reconnect policy per disconnect reason, as the test catalogue demands it.
import { describe, expect, it } from "vitest";
import {
  decideReconnect,
  defaultReconnectPolicy,
  freshHistory,
  fullJitterDelay,
  historyAfterOpen,
  type CloseInfo,
  type ReconnectHistory,
} from "./reconnect-policy.ts";

const close = (statusCode: number | undefined, extra: Partial<CloseInfo> = {}): CloseInfo => ({
  statusCode,
  message: "Stream Errored",
  paired: true,
  ...extra,
});
const opts = { ...defaultReconnectPolicy, baseDelayMs: 1_000, maxDelayMs: 60_000 };

describe("reconnect policy", () => {
  it("515 restart required: reconnect at once, history untouched", () => {
    const { decision, history } = decideReconnect(close(515), freshHistory(), 0, opts, () => 0.99);
    expect(decision).toMatchObject({ action: "reconnect", delayMs: 0, status: "starting" });
    expect(history).toEqual(freshHistory());
  });

  it.each([401, 403, 419])("%i logged out: stop, wipe auth, status logged_out", (code) => {
    const { decision } = decideReconnect(close(code), freshHistory(), 0, opts);
    expect(decision).toMatchObject({ action: "stop", status: "logged_out", wipeAuth: true });
  });

  it("405 client outdated: failed without retry, auth kept", () => {
    const { decision } = decideReconnect(close(405), freshHistory(), 0, opts);
    expect(decision).toMatchObject({ action: "stop", status: "failed", wipeAuth: false });
  });

  it("500 repeatedly: backoff with full jitter, auth kept, failed after N within the window even across opens", () => {
    let history: ReconnectHistory = freshHistory();
    const delays: number[] = [];
    for (let i = 1; i < opts.maxServerErrors; i++) {
      const r = decideReconnect(close(500), history, i * 1000, opts, () => 0.999);
      expect(r.decision.action).toBe("reconnect");
      if (r.decision.action === "reconnect") delays.push(r.decision.delayMs);
      history = historyAfterOpen(r.history);
    }
    // the ceiling doubles: 1 s, 2 s, 4 s, 8 s (random just below 1)
    expect(delays).toEqual([999, 1998, 3996, 7992]);
    const last = decideReconnect(close(500), history, 10_000, opts);
    expect(last.decision).toMatchObject({ action: "stop", status: "failed", wipeAuth: false });
    // outside the window the count starts over
    const later = decideReconnect(close(500), history, 10_000 + opts.serverErrorWindowMs, opts);
    expect(later.decision.action).toBe("reconnect");
  });

  it("full jitter draws uniformly below the capped exponential ceiling", () => {
    expect(fullJitterDelay(1, 1000, 60_000, () => 0)).toBe(0);
    expect(fullJitterDelay(3, 1000, 60_000, () => 0.5)).toBe(2000);
    expect(fullJitterDelay(20, 1000, 60_000, () => 0.5)).toBe(30_000);
  });

  it.each([undefined, 408, 428, 503])("dropped socket / keep-alive lost (%s): starting, growing backoff, reset on open", (code) => {
    let history = freshHistory();
    const ceilings: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = decideReconnect(close(code, { message: "Connection was lost" }), history, 0, opts, () => 0.999);
      expect(r.decision).toMatchObject({ action: "reconnect", status: "starting" });
      if (r.decision.action === "reconnect") ceilings.push(r.decision.delayMs);
      history = r.history;
    }
    expect(ceilings).toEqual([999, 1998, 3996, 7992]);
    const afterOpen = decideReconnect(close(code), historyAfterOpen(history), 0, opts, () => 0.999);
    expect(afterOpen.decision).toMatchObject({ delayMs: 999 });
  });

  it("440 replaced: backs off at least the replaced step, stops after repeated replacements in the window", () => {
    let history = freshHistory();
    const first = decideReconnect(close(440), history, 0, opts, () => 0);
    expect(first.decision).toMatchObject({ action: "reconnect", delayMs: opts.replacedBaseDelayMs });
    history = historyAfterOpen(first.history);
    const second = decideReconnect(close(440), history, 1_000, opts, () => 0);
    expect(second.decision.action).toBe("reconnect");
    history = historyAfterOpen(second.history);
    const third = decideReconnect(close(440), history, 2_000, opts, () => 0);
    expect(third.decision).toMatchObject({ action: "stop", status: "failed", wipeAuth: false });
    expect(third.decision.reason).toMatch(/replaced 3 times/);
    // replacements spread beyond the window do not add up
    const spread = decideReconnect(close(440), second.history, 2_000 + opts.replacedWindowMs, opts, () => 0);
    expect(spread.decision.action).toBe("reconnect");
  });

  it("QR never scanned: stops with a reason that says so, never loops", () => {
    const refsEnded = decideReconnect(
      close(408, { message: "QR refs attempts ended", paired: false }),
      freshHistory(),
      0,
      opts,
    );
    expect(refsEnded.decision).toMatchObject({ action: "stop", status: "failed", wipeAuth: false });
    expect(refsEnded.decision.reason).toMatch(/QR code not scanned/);
    const serverEnded = decideReconnect(
      close(428, { message: "Connection Terminated", paired: false, qrShown: true }),
      freshHistory(),
      0,
      opts,
    );
    expect(serverEnded.decision).toMatchObject({ action: "stop", status: "failed" });
    // a paired session that drops is just a drop
    const paired = decideReconnect(close(428, { qrShown: false }), freshHistory(), 0, opts);
    expect(paired.decision.action).toBe("reconnect");
  });

  it("a retry's reason says how long and the UTC time it is due, so it does not go stale in the console", () => {
    const now = Date.UTC(2026, 11, 1, 17, 4, 55, 250);
    const drop = decideReconnect(close(428, { message: "Connection Closed" }), { ...freshHistory(), drops: 4 }, now, opts, () => 0.5);
    expect(drop.decision).toMatchObject({ action: "reconnect", delayMs: 8_000 });
    expect(drop.decision.reason).toBe("connection to WhatsApp closed (Connection Closed); retrying in 8 s (at 17:05:03 UTC)");
    const restart = decideReconnect(close(515), freshHistory(), now, opts);
    expect(restart.decision.reason).toBe("WhatsApp asked for a restart (515); retrying now (at 17:04:55 UTC)");
  });
});
