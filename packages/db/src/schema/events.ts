// The event log: every event of an organization, written in the transaction of the change it reports.
import { index, integer, jsonb, pgTable, text } from "drizzle-orm/pg-core";
import { createdAt } from "./columns.ts";
import { eventSchemaVersion, eventTypes } from "../contract.ts";
import { organizations } from "./identity.ts";

export const events = pgTable(
  "events",
  {
    /** ULID; increases per organization in the order the events happened. */
    id: text().primaryKey(),
    organizationId: text()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** Not a foreign key: events outlive a deleted session for their retention. */
    sessionId: text(),
    type: text({ enum: eventTypes }).notNull(),
    schema: integer().notNull().default(eventSchemaVersion),
    data: jsonb().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    // replay of one organization from an id
    index("events_org_id_idx").on(t.organizationId, t.id),
    // retention pruning
    index("events_created_idx").on(t.createdAt),
  ],
);
export type EventRow = typeof events.$inferSelect;

/**
 * One row per organization that has written an event: the last id handed out. `appendEvent` locks this row (held
 * until its transaction ends), so an organization's event-writing transactions take ids in the order they commit.
 */
export const eventSequences = pgTable("event_sequences", {
  organizationId: text()
    .primaryKey()
    .references(() => organizations.id, { onDelete: "cascade" }),
  lastId: text().notNull(),
});
