// Gateways, WhatsApp sessions, their Baileys auth state, and what each session's device knows (contacts, groups).
import { boolean, foreignKey, index, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { createdAt, timestampMs, ulidId, updatedAt } from "./columns.ts";
import { gatewayStatuses, sessionSettingsDefaults, sessionStatuses } from "../contract.ts";
import { organizations, users } from "./identity.ts";

export const gateways = pgTable("gateways", {
  id: text().primaryKey(),
  baseUrl: text().notNull(),
  status: text({ enum: gatewayStatuses }).notNull(),
  startedAt: timestampMs().notNull().defaultNow(),
  heartbeatAt: timestampMs().notNull().defaultNow(),
});
export type Gateway = typeof gateways.$inferSelect;

export const waSessions = pgTable(
  "wa_sessions",
  {
    id: ulidId(),
    organizationId: text()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    gatewayId: text().notNull(),
    label: text(),
    phoneNumber: text(),
    waJid: text(),
    waLid: text(),
    status: text({ enum: sessionStatuses }).notNull().default("stopped"),
    /** Why the session is in its status (failure reason, QR attempts ended); null when nothing to say. */
    statusReason: text(),
    isAdminSession: boolean().notNull().default(false),
    autoRead: boolean().notNull().default(sessionSettingsDefaults.autoRead),
    presenceTyping: boolean().notNull().default(sessionSettingsDefaults.presenceTyping),
    ratePerMin: integer().notNull().default(sessionSettingsDefaults.ratePerMin),
    ratePerHour: integer().notNull().default(sessionSettingsDefaults.ratePerHour),
    createdByUserId: text().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    lastConnectedAt: timestampMs(),
  },
  (t) => [
    // admin list across every organization: newest first = a backward scan, keyset on (created_at, id).
    // Ascending on purpose: ORDER BY … DESC is NULLS FIRST, which a backward scan of an ASC index matches.
    index("wa_sessions_created_idx").on(t.createdAt, t.id),
    // organization list and the admin organization filter
    index("wa_sessions_org_created_idx").on(t.organizationId, t.createdAt, t.id),
    // admin status filter
    index("wa_sessions_status_created_idx").on(t.status, t.createdAt, t.id),
    // admin gateway filter, and boot restore of one gateway's sessions
    index("wa_sessions_gateway_created_idx").on(t.gatewayId, t.createdAt, t.id),
    // search by phone number, JID, LID (exact or prefix)
    index("wa_sessions_phone_idx").on(t.phoneNumber.op("text_pattern_ops")),
    index("wa_sessions_jid_idx").on(t.waJid.op("text_pattern_ops")),
    index("wa_sessions_lid_idx").on(t.waLid.op("text_pattern_ops")),
    // search by label, a case-insensitive substring (ILIKE '%…%'): trigrams (extension pg_trgm, migration 0003)
    index("wa_sessions_label_trgm_idx").using("gin", t.label.op("gin_trgm_ops")),
  ],
);
export type WaSessionRow = typeof waSessions.$inferSelect;
export type NewWaSessionRow = typeof waSessions.$inferInsert;

/**
 * Baileys `AuthenticationCreds`, serialized with Baileys' BufferJSON, then sealed (AES-256-GCM) under a key derived
 * from APP_SECRET that `sealKeyId` names; `sealKeyId` null marks a row written before encryption (plain JSON), sealed at the
 * gateway's next start. Secret: never selected outside the auth store.
 */
export const waAuthCreds = pgTable("wa_auth_creds", {
  sessionId: text()
    .primaryKey()
    .references(() => waSessions.id, { onDelete: "cascade" }),
  creds: text().notNull(),
  sealKeyId: text(),
  updatedAt: updatedAt(),
});

/** Baileys signal keys (pre-keys, sessions, sender keys, app-state keys…), one row per (type, id). Secret. */
export const waAuthKeys = pgTable(
  "wa_auth_keys",
  {
    sessionId: text()
      .notNull()
      .references(() => waSessions.id, { onDelete: "cascade" }),
    type: text().notNull(),
    keyId: text().notNull(),
    /** Sealed like `wa_auth_creds.creds` under the key `sealKeyId` names (null: plain JSON from before encryption). */
    value: text().notNull(),
    sealKeyId: text(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.sessionId, t.type, t.keyId] }),
    // rows still sealed under an older key (or none), found at start to be sealed again
    index("wa_auth_keys_seal_key_idx").on(t.sealKeyId),
  ],
);

/**
 * A contact the session's device knows. `jid` is the id Baileys gives the contact (phone-number or LID form);
 * `phoneJid` and `lidJid` keep both forms once a mapping is known.
 */
export const contacts = pgTable(
  "contacts",
  {
    sessionId: text()
      .notNull()
      .references(() => waSessions.id, { onDelete: "cascade" }),
    jid: text().notNull(),
    phoneJid: text(),
    lidJid: text(),
    name: text(),
    notify: text(),
    verifiedName: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.sessionId, t.jid] }),
    // LID↔phone-number lookups within a session
    index("contacts_lid_idx").on(t.sessionId, t.lidJid),
    index("contacts_phone_idx").on(t.sessionId, t.phoneJid),
  ],
);
export type ContactRow = typeof contacts.$inferSelect;

export const groups = pgTable(
  "groups",
  {
    sessionId: text()
      .notNull()
      .references(() => waSessions.id, { onDelete: "cascade" }),
    jid: text().notNull(),
    subject: text(),
    description: text(),
    ownerJid: text(),
    creation: timestampMs(),
    size: integer(),
    announce: boolean(),
    restrict: boolean(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.jid] })],
);
export type GroupRow = typeof groups.$inferSelect;

export const groupMemberRoles = ["member", "admin", "superadmin"] as const;

export const groupMembers = pgTable(
  "group_members",
  {
    sessionId: text().notNull(),
    groupJid: text().notNull(),
    memberJid: text().notNull(),
    phoneJid: text(),
    lidJid: text(),
    role: text({ enum: groupMemberRoles }).notNull().default("member"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.sessionId, t.groupJid, t.memberJid] }),
    foreignKey({ columns: [t.sessionId, t.groupJid], foreignColumns: [groups.sessionId, groups.jid] }).onDelete("cascade"),
    // a contact's groups within a session
    index("group_members_member_idx").on(t.sessionId, t.memberJid),
  ],
);
export type GroupMemberRow = typeof groupMembers.$inferSelect;
