// The console reads every contract error code, including ones added after the first list (payload_too_large).
import { describe, expect, it } from "vitest";
import { errorCodes } from "@wa/api/contract";
import { errorCode } from "./errors.ts";

describe("errorCode", () => {
  it("passes every contract code through, maps tRPC's own codes, and treats anything else as internal", () => {
    for (const code of Object.keys(errorCodes)) expect(errorCode({ data: { code } })).toBe(code);
    expect(errorCode({ data: { code: "payload_too_large" } })).toBe("payload_too_large");
    expect(errorCode({ data: { code: "FORBIDDEN" } })).toBe("forbidden");
    expect(errorCode({ data: { code: "SOMETHING_ELSE" } })).toBe("internal");
    expect(errorCode({ message: "fetch failed" })).toBe("network");
  });
});
