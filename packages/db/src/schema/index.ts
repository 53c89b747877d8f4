export * from "./identity.ts";
export * from "./whatsapp.ts";
export * from "./events.ts";
export * from "./audit.ts";
export * from "./messaging.ts";
