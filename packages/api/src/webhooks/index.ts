// Webhook helpers shared by the router and the gateway's dispatcher.
export * from "./port.ts";
export * from "./secret-cipher.ts";
export * from "./url-guard.ts";
