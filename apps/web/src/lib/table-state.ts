"use client";
// Sessions table state kept in the URL (page size, cursor stack, filters, search), so a view reloads and shares.
import { usePathname, useSearchParams } from "next/navigation";
import { useCallback, useMemo } from "react";
import { parseTableState, type TableState } from "./table-params.ts";

export { PAGE_SIZES, SESSION_STATUSES, type SessionStatusValue, type TableState } from "./table-params.ts";

export function useTableState() {
  const params = useSearchParams();
  const pathname = usePathname();

  const state = useMemo<TableState>(() => parseTableState(params), [params]);

  const go = useCallback(
    (next: TableState, mode: "push" | "replace") => {
      const sp = new URLSearchParams();
      if (next.q) sp.set("q", next.q);
      for (const s of next.status) sp.append("status", s);
      if (next.org) sp.set("org", next.org);
      if (next.gw) sp.set("gw", next.gw);
      if (next.size !== 50) sp.set("size", String(next.size));
      for (const c of next.cursors) sp.append("c", c);
      const qs = sp.toString();
      const href = qs ? `${pathname}?${qs}` : pathname;
      // The native history API is integrated with Next's router (useSearchParams updates) and, unlike
      // router.push, does not re-render the server components: a page change costs only the data fetch.
      if (mode === "push") window.history.pushState(null, "", href);
      else window.history.replaceState(null, "", href);
    },
    [pathname],
  );

  /** Changing a filter or the page size starts again at page 1. */
  const setFilters = useCallback(
    (patch: Partial<Pick<TableState, "size" | "status" | "org" | "gw" | "q">>) => go({ ...state, ...patch, cursors: [] }, "replace"),
    [go, state],
  );
  const nextPage = useCallback((cursor: string) => go({ ...state, cursors: [...state.cursors, cursor] }, "push"), [go, state]);
  const prevPage = useCallback(() => go({ ...state, cursors: state.cursors.slice(0, -1) }, "push"), [go, state]);

  return { state, setFilters, nextPage, prevPage };
}
