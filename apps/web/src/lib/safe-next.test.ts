// The sign-in return path stays on this site.
import { describe, expect, it } from "vitest";
import { safeNext } from "./safe-next.ts";

describe("safeNext", () => {
  it("keeps same-site paths and refuses anything that leaves the site", () => {
    expect(safeNext("/admin/sessions?status=failed&c=abc")).toBe("/admin/sessions?status=failed&c=abc");
    for (const bad of ["//evil.example", "/\\evil.example", "/\t/evil.example", "https://evil.example", "evil", "", undefined, null]) {
      expect(safeNext(bad)).toBe("/sessions");
    }
  });
});
