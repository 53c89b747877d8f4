// Compile-time ties between the zod schemas and the types written elsewhere (the database's views, the ports):
// a field added, dropped or retyped on either side fails `tsc`. Nothing here runs.
import type { ApiKeyView, GatewayView, SessionPage, WaSession } from "@wa/db/queries";
import type { z } from "zod";
import type { GatewayPorts, SessionEvent } from "./ports.ts";
import type {
  apiKeySchema,
  backfillJobSchema,
  gatewayListOutput,
  sessionEventSchema,
  sessionPageSchema,
  sessionQrSchema,
  waSessionSchema,
} from "./schemas.ts";

/** True only when A and B are the same type (not merely assignable one way). */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;

type GatewayRow = z.output<typeof gatewayListOutput>["data"][number];

export type ContractChecks = [
  Assert<Equals<z.output<typeof waSessionSchema>, WaSession>>,
  Assert<Equals<z.output<typeof sessionPageSchema>, SessionPage>>,
  Assert<Equals<z.output<typeof apiKeySchema>, ApiKeyView>>,
  Assert<Equals<z.output<typeof sessionEventSchema>, SessionEvent>>,
  Assert<Equals<z.output<typeof sessionQrSchema>, Awaited<ReturnType<GatewayPorts["sessions"]["getQr"]>>>>,
  Assert<Equals<z.output<typeof backfillJobSchema>, Awaited<ReturnType<GatewayPorts["backfill"]["start"]>>>>,
  // This gateway may list itself before its row exists (no base URL or heartbeat yet), hence the nulls.
  Assert<Equals<GatewayRow, { [K in keyof GatewayView]: K extends "baseUrl" | "heartbeatAt" ? GatewayView[K] | null : GatewayView[K] }>>,
];
