// The event log: append (inside the caller's transaction, so the event commits with its change).
import type { Executor } from "../client.ts";
import type { EventType } from "../contract.ts";
import { newId } from "../ids.ts";
import { events } from "../schema/index.ts";

export interface NewEvent {
  organizationId: string;
  sessionId: string | null;
  type: EventType;
  /** The event's `data` (contract shapes); JSON-serialisable. */
  data: unknown;
}

/** Appends one event; call it with the transaction that makes the change it reports. */
export async function appendEvent(tx: Executor, event: NewEvent): Promise<{ id: string }> {
  const id = newId();
  await tx.insert(events).values({ id, ...event, data: event.data as object });
  return { id };
}
