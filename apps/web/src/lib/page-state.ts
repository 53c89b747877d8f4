"use client";
// URL state of the smaller paged tables (members, invitations, audit, organizations): page size, the cursor stack
// and a few named text filters, so a view reloads and shares like the sessions table.
import { usePathname, useSearchParams } from "next/navigation";
import { useCallback, useMemo } from "react";
import { PAGE_SIZES } from "./table-params.ts";
import { limits } from "@wa/api/contract";

export interface PageState<F extends string> {
  size: number;
  cursors: string[];
  cursor: string | undefined;
  page: number;
  filters: Record<F, string>;
}

export function usePageState<F extends string>(filterNames: readonly F[]) {
  const params = useSearchParams();
  const pathname = usePathname();
  const names = filterNames.join(",");

  const state = useMemo<PageState<F>>(() => {
    const sizeParam = Number(params.get("size"));
    const size = (PAGE_SIZES as readonly number[]).includes(sizeParam) ? sizeParam : limits.page.default;
    const cursors = params.getAll("c").filter((c) => c.length > 0 && c.length <= limits.cursorLength);
    const filters = Object.fromEntries(names.split(",").filter(Boolean).map((n) => [n, params.get(n) ?? ""])) as Record<F, string>;
    return { size, cursors, cursor: cursors.at(-1), page: cursors.length + 1, filters };
  }, [params, names]);

  const go = useCallback(
    (next: PageState<F>, mode: "push" | "replace") => {
      const sp = new URLSearchParams();
      for (const [name, value] of Object.entries(next.filters) as [string, string][]) if (value) sp.set(name, value);
      if (next.size !== limits.page.default) sp.set("size", String(next.size));
      for (const c of next.cursors) sp.append("c", c);
      const qs = sp.toString();
      const href = qs ? `${pathname}?${qs}` : pathname;
      // As the sessions table: the history API updates useSearchParams without re-rendering server components.
      if (mode === "push") window.history.pushState(null, "", href);
      else window.history.replaceState(null, "", href);
    },
    [pathname],
  );

  /** A filter or the page size changed: back to page 1. */
  const setFilters = useCallback(
    (patch: Partial<Record<F, string>> & { size?: number }) => {
      const { size, ...filters } = patch;
      go({ ...state, size: size ?? state.size, filters: { ...state.filters, ...filters }, cursors: [] }, "replace");
    },
    [go, state],
  );
  const nextPage = useCallback((cursor: string) => go({ ...state, cursors: [...state.cursors, cursor] }, "push"), [go, state]);
  const prevPage = useCallback(() => go({ ...state, cursors: state.cursors.slice(0, -1) }, "push"), [go, state]);
  return { state, setFilters, nextPage, prevPage };
}

/** The page part of a list input: the page size and this page's cursor. */
export const pageOf = <F extends string>(state: PageState<F>) => (state.cursor ? { limit: state.size, cursor: state.cursor } : { limit: state.size });
