// Column helpers shared by every table: ULID ids and millisecond-precision timestamps.
import { text, timestamp } from "drizzle-orm/pg-core";

/** Millisecond precision so an epoch-ms cursor compares exactly with the stored value. */
export const timestampMs = () => timestamp({ precision: 3, withTimezone: true, mode: "date" });

export const createdAt = () => timestampMs().notNull().defaultNow();
export const updatedAt = () => timestampMs().notNull().defaultNow();
export const ulidId = () => text().primaryKey();
