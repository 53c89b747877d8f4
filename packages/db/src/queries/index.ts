// Every query function of the database, by domain: the one import path for them (`@wa/db/queries`).
export * from "./api-keys.ts";
export * from "./auth-state.ts";
export * from "./directory.ts";
export * from "./gateways.ts";
export * from "./identity.ts";
export * from "./sessions.ts";
export * from "./signing-keys.ts";
export * from "./web-sessions.ts";
export * from "./audit.ts";
export * from "./events.ts";
export * from "./messages.ts";
export * from "./chats.ts";
export * from "./outbox.ts";
export * from "./rate-limits.ts";
export * from "./idempotency.ts";
export * from "./recipients.ts";
