// The message log's merge of pages and live messages, and how recipients and chats are read and shown.
import { describe, expect, it } from "vitest";
import { formatChat, mergeLog, typedRecipient } from "./messages.ts";

const m = (id: string, timestamp: number, updatedAt = timestamp, status = "sent") => ({ id, timestamp, updatedAt, status });

describe("mergeLog", () => {
  it("keeps each message once, in its latest version, newest first (ties by id)", () => {
    const pages = [[m("c", 30), m("b", 20)], [m("a", 10)]];
    const live = [m("b", 20, 25, "delivered"), m("d", 40), m("e", 40), m("b", 20, 22, "stale")];
    const log = mergeLog(pages, live, false);
    expect(log.map((x) => x.id)).toEqual(["e", "d", "c", "b", "a"]);
    expect(log.find((x) => x.id === "b")?.status).toBe("delivered");
  });

  it("a page read after a live update does not undo it", () => {
    const log = mergeLog([[m("a", 10, 10, "sent")]], [m("a", 10, 15, "read")], false);
    expect(log).toEqual([m("a", 10, 15, "read")]);
  });

  it("while older pages remain, holds back live messages older than the oldest shown", () => {
    const pages = [[m("c", 30), m("b", 20)]];
    expect(mergeLog(pages, [m("x", 5), m("d", 40)], true).map((x) => x.id)).toEqual(["d", "c", "b"]);
    expect(mergeLog(pages, [m("x", 5), m("d", 40)], false).map((x) => x.id)).toEqual(["d", "c", "b", "x"]);
  });
});

describe("typedRecipient", () => {
  it("takes digits with country code (6–15), dropping +, spaces, dashes and brackets; JIDs as typed", () => {
    expect(typedRecipient(" +62 (811) 000-0001 ")).toBe("628110000001");
    expect(typedRecipient("6281100000001@s.whatsapp.net")).toBe("6281100000001@s.whatsapp.net");
    expect(typedRecipient("12345")).toBeNull();
    expect(typedRecipient("1234567890123456")).toBeNull();
    expect(typedRecipient("alice")).toBeNull();
    expect(typedRecipient("")).toBeNull();
  });
});

describe("formatChat", () => {
  it("shows a phone-number JID as +digits (device suffix dropped), a group as such, a LID as is", () => {
    expect(formatChat("6281100000001@s.whatsapp.net")).toBe("+6281100000001");
    expect(formatChat("6281100000001:3@s.whatsapp.net")).toBe("+6281100000001");
    expect(formatChat("120363000000000001@g.us")).toBe("group 120363000000000001");
    expect(formatChat("205227043110953@lid")).toBe("205227043110953@lid");
  });
});
