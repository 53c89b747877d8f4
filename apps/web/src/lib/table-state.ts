"use client";
// Sessions table state kept in the URL (page size, cursor stack, filters, search), so a view reloads and shares.
import { useCallback } from "react";
import { useUrlTableState } from "./page-state.ts";
import { parseTableState, type TableState } from "./table-params.ts";

export { PAGE_SIZES, SESSION_STATUSES, type SessionStatusValue, type TableState } from "./table-params.ts";

function writeFilters(next: TableState, sp: URLSearchParams) {
  if (next.q) sp.set("q", next.q);
  for (const s of next.status) sp.append("status", s);
  if (next.org) sp.set("org", next.org);
  if (next.gw) sp.set("gw", next.gw);
}

export function useTableState() {
  const { state, restart, nextPage, prevPage } = useUrlTableState(parseTableState, writeFilters);
  /** Changing a filter or the page size starts again at page 1. */
  const setFilters = useCallback(
    (patch: Partial<Pick<TableState, "size" | "status" | "org" | "gw" | "q">>) => restart({ ...state, ...patch }),
    [restart, state],
  );
  return { state, setFilters, nextPage, prevPage };
}
