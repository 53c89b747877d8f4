// The contract's facts, written once: statuses, permissions, roles, error codes, input limits and their rules.
// Dependency-free on purpose: the tables (here), the zod schemas (@wa/api) and the browser (@wa/api/contract)
// all derive from it, so adding a status or a permission is one line here (plus a migration if a column needs it).

/** A WhatsApp session's lifecycle, in the order a session usually goes through it. */
export const sessionStatuses = ["starting", "scan_qr_code", "working", "failed", "stopped", "logged_out"] as const;
export type SessionStatus = (typeof sessionStatuses)[number];

/** Capabilities within an organization, with what each allows; an api-key carries a fixed set as its permissions. */
export const capabilityDescriptions = {
  read: "read sessions and data",
  send: "send messages, presence",
  manage: "create, start, stop, delete sessions",
  events: "subscribe to live events",
} as const;
export type Capability = keyof typeof capabilityDescriptions;
export const capabilities = Object.keys(capabilityDescriptions) as [Capability, ...Capability[]];
export const apiKeyPermissions = capabilities;
export type ApiKeyPermission = Capability;

export const orgRoles = ["owner", "admin", "member"] as const;
export type OrgRole = (typeof orgRoles)[number];

export const platformRoles = ["super_admin"] as const;
export type PlatformRole = (typeof platformRoles)[number];

/** What each organization role may do: owners and admins everything; members only what is listed (a new
 * capability is theirs only once added here). */
export const roleCapabilities: Record<OrgRole, readonly Capability[]> = {
  owner: capabilities,
  admin: capabilities,
  member: ["read", "send", "events"],
};

export const gatewayStatuses = ["online", "draining", "offline"] as const;
export type GatewayStatus = (typeof gatewayStatuses)[number];
/** A gateway silent (no heartbeat) this long is gone: its sessions are taken over and it is shown `offline`. */
export const gatewayStaleAfterMs = 8_000;

/** Every error code of the contract and the HTTP status it answers with. */
export const errorCodes = {
  validation_error: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  /** Added: the path exists, the method does not (the `Allow` header lists those that do). */
  method_not_allowed: 405,
  conflict: 409,
  /** Added to the contract's list: a body over the size limit (1 MiB). */
  payload_too_large: 413,
  /** Added: a URL (or a path segment) longer than the server reads. */
  uri_too_long: 414,
  rate_limited: 429,
  /** Added: request headers larger than the server reads. */
  headers_too_large: 431,
  internal: 500,
  not_implemented: 501,
  gateway_unavailable: 503,
} as const;
export type ErrorCode = keyof typeof errorCodes;

export const isErrorCode = (value: unknown): value is ErrorCode => typeof value === "string" && Object.hasOwn(errorCodes, value);

/** Input limits. Page sizes above `max` are clamped, not refused. */
export const limits = {
  page: { min: 1, max: 200, default: 50 },
  cursorLength: 256,
  searchLength: 200,
  idLength: 64,
  gatewayIdLength: 128,
  labelLength: 200,
  apiKeyNameLength: 100,
  ratePerMin: { min: 1, max: 10_000 },
  ratePerHour: { min: 1, max: 1_000_000 },
} as const;

/** A new session's settings when the caller leaves them out. */
export const sessionSettingsDefaults = { autoRead: false, presenceTyping: false, ratePerMin: 20, ratePerHour: 600 } as const;

/** A phone number on the wire: digits only, E.164 without `+`. */
export const phoneNumberPattern = /^\d{6,15}$/;
export const phoneNumberRule = "digits only, E.164 without +";

/** The rule tying a session's two rate limits: an hour can never allow fewer messages than a minute does. */
export const rateLimitsOrdered = (limit: { ratePerMin: number; ratePerHour: number }) => limit.ratePerHour >= limit.ratePerMin;
export const rateLimitsRule = "ratePerHour must be at least ratePerMin";

/**
 * Text no input may carry: NUL (PostgreSQL text cannot store it) or a lone UTF-16 surrogate (not Unicode; cannot be
 * encoded as UTF-8). Every string that reaches the database is checked against it.
 */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
export const unstorableText = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
export const unstorableTextRule = "must not contain NUL bytes or unpaired surrogates";

/** Event types of the event log, webhooks and the event stream (contract "Events"). */
export const eventTypes = ["session.status", "message.received", "message.updated", "backfill.finished"] as const;
export type EventType = (typeof eventTypes)[number];
/** Version of the event envelope (`schema` field). */
export const eventSchemaVersion = 1;

/** A webhook delivery's status (contract "Events"): `failed` is retried at `nextAttemptAt`; `dead` gave up. */
export const webhookDeliveryStatuses = ["pending", "delivered", "failed", "dead"] as const;
export type WebhookDeliveryStatus = (typeof webhookDeliveryStatuses)[number];

/** Webhook delivery rules (contract "Events"): a 2xx within the timeout is delivered, else retried with backoff. */
export const webhookDelivery = {
  timeoutMs: 10_000,
  firstBackoffMs: 2_000,
  maxBackoffMs: 3_600_000,
  maxAttempts: 15,
  /** After a rotation the previous secret keeps signing (beside the new one) this long. */
  previousSecretOverlapMs: 24 * 3_600_000,
  secretPrefix: "whsec_",
  /** A webhook's `events` may be this instead of a list of types. */
  allEvents: "*",
} as const;

/** Events are kept at least this long (EVENT_RETENTION_DAYS may only lengthen it). */
export const minEventRetentionDays = 7;

/** Audit actions (contract "Audit log"); more may be added, never renamed. */
export const auditActions = [
  "session.created",
  "session.deleted",
  "session.logged_out",
  "session.settings_changed",
  "session.started",
  "session.stopped",
  "session.restarted",
  "session.pairing_code_requested",
  "session.simulated_scan",
  "api_key.created",
  "api_key.revoked",
  "member.invited",
  "member.role_changed",
  "member.removed",
  "member.joined",
  "invitation.revoked",
  "backfill.started",
  "webhook.created",
  "webhook.updated",
  "webhook.deleted",
  "super_admin.granted",
  "super_admin.revoked",
] as const;
export type AuditAction = (typeof auditActions)[number];
export const auditActorKinds = ["user", "api_key"] as const;
export type AuditActorKind = (typeof auditActorKinds)[number];

/** Messages (contract "Messages"): the kinds a WAMessage may be, its directions and its outbound statuses. */
export const messageTypes = ["text", "image", "video", "audio", "document", "sticker", "location", "contact", "poll", "reaction", "system"] as const;
export type MessageType = (typeof messageTypes)[number];
/** The send types the gateway can send today; the others answer 501 `not_implemented`. */
export const sendableMessageTypes = ["text"] as const satisfies readonly MessageType[];
export const messageDirections = ["in", "out"] as const;
export type MessageDirection = (typeof messageDirections)[number];
/** Outbound status, in the order receipts move it; `failed` ends it (with the reason in `error`). */
export const messageStatuses = ["pending", "sent", "delivered", "read", "played", "failed"] as const;
export type MessageStatus = (typeof messageStatuses)[number];
export const chatTypes = ["dm", "group", "newsletter"] as const;
export type ChatType = (typeof chatTypes)[number];
export const chatPresenceStates = ["composing", "recording", "paused"] as const;
export type ChatPresenceState = (typeof chatPresenceStates)[number];
/** Message input limits: the text of one message, an Idempotency-Key, a JID. */
export const messageLimits = { textLength: 65_536, idempotencyKeyLength: 255, jidLength: 128, mentions: 256 } as const;
/** How long an Idempotency-Key is remembered. */
export const idempotencyKeyTtlMs = 24 * 60 * 60 * 1000;
/** The sliding windows `ratePerMin` and `ratePerHour` count sends over. */
export const rateWindowsMs = { perMin: 60_000, perHour: 3_600_000 } as const;
