// Display texts for webhooks, deliveries and events (the values themselves come from the contract).
import { eventTypes, type EventType } from "@wa/api/contract";

export const ALL_EVENTS = "*";
/** What a webhook subscribes to: event types, or "*" alone for all of them. */
export type EventChoice = EventType | typeof ALL_EVENTS;
export const isEventChoice = (value: string): value is EventChoice =>
  value === ALL_EVENTS || (eventTypes as readonly string[]).includes(value);

export const eventTypeHelp: Record<EventType, string> = {
  "session.status": "a session connected, disconnected, needs a scan, logged out…",
  "message.received": "a message arrived on a session",
  "message.updated": "a sent message was queued, sent, delivered, read or failed",
  "backfill.finished": "a contacts and groups backfill ended",
};

export const pickableEventTypes: readonly EventType[] = eventTypes;

export const deliveryStatusLabels: Record<string, string> = {
  pending: "Pending",
  delivered: "Delivered",
  failed: "Failed, will retry",
  dead: "Dead",
};

/** A webhook's `events` as the console says it. */
export const describeEvents = (events: readonly string[]): string[] => (events.includes(ALL_EVENTS) ? ["All events"] : [...events]);

/** A URL the gateway may accept: http(s) with a host. The gateway decides the rest (private addresses…). */
export function urlProblem(value: string): string | null {
  if (value.trim() === "") return "Enter the URL that receives the events.";
  try {
    const url = new URL(value.trim());
    if (url.protocol !== "http:" && url.protocol !== "https:") return "Use an http:// or https:// URL.";
    if (!url.hostname) return "The URL needs a host.";
    return null;
  } catch {
    return "This is not a URL (e.g. https://example.com/hooks/whatsapp).";
  }
}

type Data = Record<string, unknown>;
const text = (value: unknown): string | null => (typeof value === "string" && value ? value : null);

/** One line that says what happened, from the contract's event shapes. */
export function summarizeEvent(type: string, raw: unknown): string {
  const data = (raw && typeof raw === "object" ? raw : {}) as Data;
  switch (type) {
    case "session.status":
      return `${text(data.previous) ?? "?"} → ${text(data.status) ?? "?"}${text(data.reason) ? ` (${text(data.reason)})` : ""}`;
    case "message.received": {
      const from = text(data.senderName) ?? text(data.senderJid) ?? text(data.chatJid) ?? "someone";
      const body = text(data.body);
      return `${from}: ${body ? (body.length > 80 ? `${body.slice(0, 80)}…` : body) : `[${text(data.type) ?? "message"}]`}`;
    }
    case "message.updated":
      return `${text(data.waMessageId) ?? text(data.id) ?? "message"} is ${text(data.status) ?? "?"}${text(data.error) ? ` — ${text(data.error)}` : ""}`;
    case "backfill.finished":
      return `${text(data.status) ?? "finished"}: ${String(data.contacts ?? 0)} contacts, ${String(data.groups ?? 0)} groups${text(data.error) ? ` — ${text(data.error)}` : ""}`;
    default:
      return type;
  }
}
