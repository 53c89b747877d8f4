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
