export * from "./identity.ts";
export * from "./whatsapp.ts";
