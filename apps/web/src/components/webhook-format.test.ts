import { describe, expect, it } from "vitest";
import { describeEvents, isEventChoice, summarizeEvent, urlProblem } from "./webhook-format.ts";

describe("urlProblem", () => {
  it("accepts http(s) URLs with a host and says what is wrong with the rest", () => {
    expect(urlProblem("https://example.com/hooks")).toBeNull();
    expect(urlProblem(" http://203.0.113.7:8080/x ")).toBeNull();
    expect(urlProblem("")).toMatch(/Enter the URL/);
    expect(urlProblem("ftp://example.com/")).toMatch(/http:\/\/ or https:\/\//);
    expect(urlProblem("example.com/hooks")).toMatch(/not a URL/);
  });
});

describe("event choices", () => {
  it("knows the contract's types and *, nothing else", () => {
    expect(isEventChoice("*")).toBe(true);
    expect(isEventChoice("message.received")).toBe(true);
    expect(isEventChoice("message.deleted")).toBe(false);
    expect(describeEvents(["*"])).toEqual(["All events"]);
    expect(describeEvents(["session.status", "backfill.finished"])).toEqual(["session.status", "backfill.finished"]);
  });
});

describe("summarizeEvent", () => {
  it("says what happened in one line for each event type", () => {
    expect(summarizeEvent("session.status", { status: "working", previous: "scan_qr_code", reason: null })).toBe("scan_qr_code → working");
    expect(summarizeEvent("session.status", { status: "failed", previous: "working", reason: "stream errored" })).toBe(
      "working → failed (stream errored)",
    );
    expect(summarizeEvent("message.received", { senderName: "Ana", body: "hello", type: "text" })).toBe("Ana: hello");
    expect(summarizeEvent("message.received", { chatJid: "123@s.whatsapp.net", body: null, type: "image" })).toBe("123@s.whatsapp.net: [image]");
    expect(summarizeEvent("message.received", { senderName: "Ana", body: "x".repeat(100) })).toBe(`Ana: ${"x".repeat(80)}…`);
    expect(summarizeEvent("message.updated", { id: "m1", waMessageId: "3EB0", status: "failed", error: "not on WhatsApp" })).toBe(
      "3EB0 is failed — not on WhatsApp",
    );
    expect(summarizeEvent("backfill.finished", { status: "succeeded", contacts: 10, groups: 2, error: null })).toBe(
      "succeeded: 10 contacts, 2 groups",
    );
    expect(summarizeEvent("session.status", null)).toBe("? → ?");
  });
});
