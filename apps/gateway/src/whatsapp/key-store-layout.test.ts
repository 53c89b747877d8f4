// Reading Baileys' `lid-mapping` keys back as JID pairs: forward entries only, malformed values skipped.
import { describe, expect, it } from "vitest";
import { decodeLidMappingKeys } from "./key-store-layout.ts";

describe("key-store layout", () => {
  it("decodes forward lid-mapping keys and skips reverse and malformed ones", () => {
    expect(
      decodeLidMappingKeys([
        { keyId: "6281234567890", value: '"101234567890123"' },
        { keyId: "101234567890123_reverse", value: '"6281234567890"' },
        { keyId: "6281234567891", value: "not json" },
        { keyId: "6281234567892", value: '{"x":1}' },
      ]),
    ).toEqual([{ phoneJid: "6281234567890@s.whatsapp.net", lidJid: "101234567890123@lid" }]);
  });
});
