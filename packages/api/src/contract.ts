// Light entry point (`@wa/api/contract`): the contract's facts — statuses, permissions, roles, error codes and
// statuses, limits and rules — with no dependency at all, for the console's browser code. The zod schemas made
// from them are `@wa/api/schemas` (zod only); neither loads the router or the database.
export * from "@wa/db/contract";
