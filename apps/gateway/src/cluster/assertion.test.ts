// The forwarding assertion: what it binds (credentials, Idempotency-Key, the client's address) and what it refuses.
import { describe, expect, it } from "vitest";
import { ReplayGuard, signForward, verifyForward, type ForwardedCall } from "./assertion.ts";

const SECRET = "cluster-secret-cluster-secret-cluster-secret";
const call: ForwardedCall = {
  method: "POST",
  url: "/api/v1/sessions/s1/messages",
  body: '{"to":"628123","text":"hi"}',
  headers: { authorization: "Bearer wa_key_one", "idempotency-key": "key-1" },
};
const verify = (header: string, received: ForwardedCall, replay = new ReplayGuard()) =>
  verifyForward(header, { secret: SECRET, self: "gw-2", call: received, replay });

describe("forwarding assertion", () => {
  it("vouches for the client's address; the holder reads it back", () => {
    const verdict = verify(signForward(SECRET, call, "gw-1", "gw-2", Date.now(), "192.0.2.7"), call);
    expect(verdict).toEqual({ ok: true, from: "gw-1", clientIp: "192.0.2.7" });
    const v6 = verify(signForward(SECRET, call, "gw-1", "gw-2", Date.now(), "2001:db8::1"), call);
    expect(v6).toMatchObject({ ok: true, clientIp: "2001:db8::1" });
  });

  it("refuses a forward whose client address was changed", () => {
    const header = signForward(SECRET, call, "gw-1", "gw-2", Date.now(), "192.0.2.7");
    const fields = header.split(";");
    fields[5] = encodeURIComponent("203.0.113.9");
    expect(verify(fields.join(";"), call)).toEqual({ ok: false, reason: "bad signature" });
  });

  it("refuses a forward whose Idempotency-Key was swapped, added or dropped", () => {
    const header = signForward(SECRET, call, "gw-1", "gw-2");
    expect(verify(header, { ...call, headers: { ...call.headers, "idempotency-key": "key-2" } })).toEqual({ ok: false, reason: "bad signature" });
    expect(verify(header, { ...call, headers: { authorization: "Bearer wa_key_one" } })).toEqual({ ok: false, reason: "bad signature" });
    const without = signForward(SECRET, { ...call, headers: { authorization: "Bearer wa_key_one" } }, "gw-1", "gw-2");
    expect(verify(without, call)).toEqual({ ok: false, reason: "bad signature" });
  });

  it("refuses a forward whose credentials were swapped (Authorization or x-api-key)", () => {
    const header = signForward(SECRET, call, "gw-1", "gw-2");
    expect(verify(header, { ...call, headers: { ...call.headers, authorization: "Bearer wa_key_two" } })).toEqual({ ok: false, reason: "bad signature" });
    expect(verify(header, { ...call, headers: { ...call.headers, "x-api-key": "wa_key_two" } })).toEqual({ ok: false, reason: "bad signature" });
  });

  it("ignores headers it does not bind; refuses a replay, a forgery and another target", () => {
    const replay = new ReplayGuard();
    const header = signForward(SECRET, call, "gw-1", "gw-2");
    expect(verify(header, { ...call, headers: { ...call.headers, "user-agent": "x" } as ForwardedCall["headers"] }, replay)).toMatchObject({ ok: true });
    expect(verify(header, call, replay)).toEqual({ ok: false, reason: "assertion replayed" });
    expect(verify(signForward("another-secret-another-secret-another", call, "gw-1", "gw-2"), call)).toEqual({ ok: false, reason: "bad signature" });
    expect(verify(signForward(SECRET, call, "gw-1", "gw-3"), call)).toEqual({ ok: false, reason: "assertion for another gateway" });
    expect(verify(signForward(SECRET, call, "gw-1", "gw-2", Date.now() - 60_000), call)).toEqual({ ok: false, reason: "assertion expired" });
  });
});
