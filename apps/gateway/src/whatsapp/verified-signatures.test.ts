// A verified signature is remembered (the login's certificate chain is checked once per process, not per login);
// a triple that did not verify is checked again every time, and a changed byte is a different triple.
import { Curve } from "@whiskeysockets/baileys";
import { describe, expect, it, vi } from "vitest";
import { rememberVerifiedSignatures } from "./verified-signatures.ts";

describe("rememberVerifiedSignatures", () => {
  it("checks each verified triple once, and every refused one each time", () => {
    const good = Buffer.alloc(64, 1);
    const bad = Buffer.alloc(64, 2);
    // Stands in for the curve arithmetic: only `good` verifies.
    const inner = vi.spyOn(Curve, "verify").mockImplementation((_key, _message, signature) => Buffer.from(signature).equals(good));
    rememberVerifiedSignatures();
    const key = Buffer.alloc(32, 7);
    const message = Buffer.from("certificate details");

    expect(Curve.verify(key, message, good)).toBe(true);
    expect(Curve.verify(key, message, good)).toBe(true);
    expect(Curve.verify(key, message, good)).toBe(true);
    expect(inner).toHaveBeenCalledTimes(1);

    expect(Curve.verify(key, message, bad)).toBe(false);
    expect(Curve.verify(key, message, bad)).toBe(false);
    expect(inner).toHaveBeenCalledTimes(3);

    // Same signature over other bytes, or for another key: checked, not remembered from the first.
    expect(Curve.verify(key, Buffer.from("other details"), good)).toBe(true);
    expect(Curve.verify(Buffer.alloc(32, 8), message, good)).toBe(true);
    expect(inner).toHaveBeenCalledTimes(5);
  });
});
