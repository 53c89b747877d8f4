// Parsing of the sessions table's URL state and the list inputs made from it, shared by the server (first page
// rendered with the HTML) and the browser, so both build the very same query.
import { limits, sessionStatuses, type SessionStatus } from "@wa/api/contract";

/** The console's choices; each within the contract's page limit, the default among them. */
export const PAGE_SIZES = [25, limits.page.default, 100] as const;
export const SESSION_STATUSES = sessionStatuses;
export type SessionStatusValue = SessionStatus;

/** Where a server-paged table stands: its page size and keyset cursor stack. */
export interface CursorPage {
  size: number;
  /** Cursors of the pages before this one, oldest first; the last one fetched this page. Empty on page 1. */
  cursors: string[];
  cursor: string | undefined;
  page: number;
}

export interface TableState extends CursorPage {
  status: SessionStatusValue[];
  org: string;
  gw: string;
  q: string;
}

export interface ParamsReader {
  get(name: string): string | null;
  getAll(name: string): string[];
}

/** The page size (one of PAGE_SIZES, else the default) and the cursor stack (`c`, repeated) of any paged table. */
export function parseCursorPage(params: ParamsReader): CursorPage {
  const sizeParam = Number(params.get("size"));
  const size = (PAGE_SIZES as readonly number[]).includes(sizeParam) ? sizeParam : limits.page.default;
  const cursors = params.getAll("c").filter((c) => c.length > 0 && c.length <= limits.cursorLength);
  return { size, cursors, cursor: cursors.at(-1), page: cursors.length + 1 };
}

/** The page size and cursors, written after a table's filters (the inverse of parseCursorPage). */
export function writeCursorPage(page: Pick<CursorPage, "size" | "cursors">, sp: URLSearchParams): void {
  if (page.size !== limits.page.default) sp.set("size", String(page.size));
  for (const c of page.cursors) sp.append("c", c);
}

export function parseTableState(params: ParamsReader): TableState {
  const status = params
    .getAll("status")
    .filter((s): s is SessionStatusValue => (SESSION_STATUSES as readonly string[]).includes(s));
  return {
    ...parseCursorPage(params),
    status,
    org: params.get("org") ?? "",
    gw: params.get("gw") ?? "",
    q: params.get("q") ?? "",
  };
}

/** Next.js `searchParams` (server) as a reader. */
export function readerOf(searchParams: Record<string, string | string[] | undefined>): ParamsReader {
  const all = (name: string) => {
    const v = searchParams[name];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  };
  return { get: (name) => all(name)[0] ?? null, getAll: all };
}

export const adminListFilters = (s: TableState) => ({
  limit: s.size,
  ...(s.status.length > 0 ? { status: s.status } : {}),
  ...(s.org ? { organizationId: s.org } : {}),
  ...(s.gw ? { gatewayId: s.gw } : {}),
  ...(s.q ? { q: s.q } : {}),
});

export const orgListFilters = (s: TableState) => ({
  limit: s.size,
  ...(s.status.length > 0 ? { status: s.status } : {}),
  ...(s.q ? { q: s.q } : {}),
});

export const withCursor = <T extends object>(filters: T, cursor: string | undefined) =>
  cursor ? { ...filters, cursor } : filters;
