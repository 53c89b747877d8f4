// Test helpers shared by the router tests and the gateway's HTTP tests.
export * from "./fake-ports.ts";
export * from "./identity.ts";
export * from "./principals.ts";
export * from "./callers.ts";
export * from "./state.ts";
export * from "./counting-db.ts";
