"use client";
// Sessions table state kept in the URL (page size, cursor stack, filters, search), so a view reloads and shares.
import { usePathname, useSearchParams } from "next/navigation";
import { useCallback, useMemo } from "react";

export const PAGE_SIZES = [25, 50, 100] as const;
export const SESSION_STATUSES = ["working", "scan_qr_code", "starting", "failed", "stopped", "logged_out"] as const;
export type SessionStatusValue = (typeof SESSION_STATUSES)[number];

export interface TableState {
  size: number;
  /** Cursors of the pages before this one, oldest first; the last one fetched this page. Empty on page 1. */
  cursors: string[];
  cursor: string | undefined;
  page: number;
  status: SessionStatusValue[];
  org: string;
  gw: string;
  q: string;
}

export function useTableState() {
  const params = useSearchParams();
  const pathname = usePathname();

  const state = useMemo<TableState>(() => {
    const sizeParam = Number(params.get("size"));
    const size = (PAGE_SIZES as readonly number[]).includes(sizeParam) ? sizeParam : 50;
    const cursors = params.getAll("c").filter((c) => c.length > 0 && c.length <= 256);
    const status = params
      .getAll("status")
      .filter((s): s is SessionStatusValue => (SESSION_STATUSES as readonly string[]).includes(s));
    return {
      size,
      cursors,
      cursor: cursors[cursors.length - 1],
      page: cursors.length + 1,
      status,
      org: params.get("org") ?? "",
      gw: params.get("gw") ?? "",
      q: params.get("q") ?? "",
    };
  }, [params]);

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
