// People, organizations and the credentials that identify them (web sessions, signing keys, api-keys).
import { index, jsonb, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { apiKeyPermissions, orgRoles, platformRoles } from "../contract.ts";
import { createdAt, timestampMs, ulidId, updatedAt } from "./columns.ts";

export const users = pgTable(
  "users",
  {
    id: ulidId(),
    /** Stored lower-cased; unique. */
    email: text().notNull(),
    name: text().notNull(),
    /** scrypt$N$r$p$salt$hash (see passwords.ts); never leaves the identity code. */
    passwordHash: text().notNull(),
    platformRole: text({ enum: platformRoles }),
    /** The organization the person last switched to: a new sign-in starts there (if still a member). */
    lastOrganizationId: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("users_email_key").on(t.email)],
);
export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;

export const organizations = pgTable("organizations", {
  id: ulidId(),
  name: text().notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});
export type Organization = typeof organizations.$inferSelect;

export const memberships = pgTable(
  "memberships",
  {
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    organizationId: text()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    role: text({ enum: orgRoles }).notNull(),
    createdAt: createdAt(),
    /** The last time the person used the console in this organization (never another's activity); null if never. */
    lastActiveAt: timestampMs(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.organizationId] }),
    // members of one organization
    index("memberships_organization_idx").on(t.organizationId),
  ],
);
export type Membership = typeof memberships.$inferSelect;

/** A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so a row can be revoked. */
export const webSessions = pgTable(
  "web_sessions",
  {
    id: ulidId(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text().notNull(),
    activeOrganizationId: text().references(() => organizations.id, { onDelete: "set null" }),
    userAgent: text(),
    createdAt: createdAt(),
    lastSeenAt: timestampMs().notNull().defaultNow(),
    expiresAt: timestampMs().notNull(),
    revokedAt: timestampMs(),
  },
  (t) => [uniqueIndex("web_sessions_token_hash_key").on(t.tokenHash), index("web_sessions_user_idx").on(t.userId)],
);
export type WebSession = typeof webSessions.$inferSelect;

/** JWT signing key pairs. The private JWK is encrypted with APP_SECRET (AES-256-GCM) before it is stored. */
export const signingKeys = pgTable(
  "signing_keys",
  {
    kid: text().primaryKey(),
    alg: text().notNull(),
    publicJwk: jsonb().$type<Record<string, unknown>>().notNull(),
    privateJwkEncrypted: text().notNull(),
    createdAt: createdAt(),
    /** When it stopped being the signing key; still published in the JWKS until expiresAt. */
    rotatedAt: timestampMs(),
    /** When it leaves the JWKS. */
    expiresAt: timestampMs(),
  },
  (t) => [index("signing_keys_created_idx").on(t.createdAt)],
);
export type SigningKey = typeof signingKeys.$inferSelect;

export const apiKeys = pgTable(
  "api_keys",
  {
    id: ulidId(),
    organizationId: text()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text().notNull(),
    /** First characters of the key, shown so people can tell keys apart. */
    prefix: text().notNull(),
    /** SHA-256 (hex) of the raw key; the raw key is shown once and never stored. */
    keyHash: text().notNull(),
    permissions: text({ enum: apiKeyPermissions }).array().notNull(),
    createdByUserId: text().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    lastUsedAt: timestampMs(),
    expiresAt: timestampMs(),
    revokedAt: timestampMs(),
  },
  (t) => [
    // authentication: lookup by hash on every api-key request
    uniqueIndex("api_keys_key_hash_key").on(t.keyHash),
    // the organization's key list, newest first
    index("api_keys_organization_idx").on(t.organizationId, t.createdAt),
  ],
);
export type ApiKey = typeof apiKeys.$inferSelect;

/**
 * An invitation to join an organization: a single-use link (only the SHA-256 of its token is stored) with an expiry.
 * Pending = not accepted, not revoked, not expired. Platform roles are never invited (only org roles exist here).
 */
export const invitations = pgTable(
  "invitations",
  {
    id: ulidId(),
    organizationId: text()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** Stored lower-cased: only the person with this email can accept. */
    email: text().notNull(),
    role: text({ enum: orgRoles }).notNull(),
    tokenHash: text().notNull(),
    invitedByUserId: text().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    expiresAt: timestampMs().notNull(),
    acceptedAt: timestampMs(),
    acceptedByUserId: text().references(() => users.id, { onDelete: "set null" }),
    revokedAt: timestampMs(),
  },
  (t) => [
    // accepting: lookup by the link's token hash
    uniqueIndex("invitations_token_hash_key").on(t.tokenHash),
    // the organization's invitations, newest first (keyset on id)
    index("invitations_organization_idx").on(t.organizationId, t.id),
  ],
);
export type Invitation = typeof invitations.$inferSelect;
