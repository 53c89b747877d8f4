// Everything the router's procedures can change, captured whole, so a test can assert a refused call changed nothing.
import { apiKeys, asc, waSessions, type Database } from "@wa/db";
import type { FakePorts } from "./fake-ports.ts";

export interface RouterState {
  sessions: (typeof waSessions.$inferSelect)[];
  apiKeys: (typeof apiKeys.$inferSelect)[];
  /** Every port call so far: a session started, stopped or removed, a backfill job started, a QR read… */
  portCalls: string[];
}

export async function captureState(db: Database, ports: FakePorts): Promise<RouterState> {
  return {
    sessions: await db.select().from(waSessions).orderBy(asc(waSessions.id)),
    apiKeys: await db.select().from(apiKeys).orderBy(asc(apiKeys.id)),
    portCalls: [...ports.calls],
  };
}
