"use client";
// URL state of the paged tables: page size, the cursor stack and the table's filters, so a view reloads and shares.
// Paging pushes a history entry (Back goes to the previous page); a filter or page size change replaces it.
import { usePathname, useSearchParams } from "next/navigation";
import { useCallback, useMemo } from "react";
import { parseCursorPage, writeCursorPage, type CursorPage, type ParamsReader } from "./table-params.ts";

/** A table's state in the URL, read with `parse`; `writeFilters` puts everything but the paging back. */
export function useUrlTableState<S extends CursorPage>(parse: (params: ParamsReader) => S, writeFilters: (state: S, sp: URLSearchParams) => void) {
  const params = useSearchParams();
  const pathname = usePathname();
  const state = useMemo(() => parse(params), [parse, params]);

  const go = useCallback(
    (next: S, mode: "push" | "replace") => {
      const sp = new URLSearchParams();
      writeFilters(next, sp);
      writeCursorPage(next, sp);
      const qs = sp.toString();
      const href = qs ? `${pathname}?${qs}` : pathname;
      // The native history API is integrated with Next's router (useSearchParams updates) and, unlike
      // router.push, does not re-render the server components: a page change costs only the data fetch.
      if (mode === "push") window.history.pushState(null, "", href);
      else window.history.replaceState(null, "", href);
    },
    [pathname, writeFilters],
  );

  /** A filter or the page size changed: back to page 1. */
  const restart = useCallback((next: S) => go({ ...next, cursors: [] }, "replace"), [go]);
  const nextPage = useCallback((cursor: string) => go({ ...state, cursors: [...state.cursors, cursor] }, "push"), [go, state]);
  const prevPage = useCallback(() => go({ ...state, cursors: state.cursors.slice(0, -1) }, "push"), [go, state]);
  return { state, restart, nextPage, prevPage };
}

export interface PageState<F extends string> extends CursorPage {
  filters: Record<F, string>;
}

/** The smaller paged tables (members, invitations, audit, organizations): paging and a few named text filters. */
export function usePageState<F extends string>(filterNames: readonly F[]) {
  const names = filterNames.join(",");
  const parse = useCallback(
    (params: ParamsReader): PageState<F> => ({
      ...parseCursorPage(params),
      filters: Object.fromEntries(names.split(",").filter(Boolean).map((n) => [n, params.get(n) ?? ""])) as Record<F, string>,
    }),
    [names],
  );
  const { state, restart, nextPage, prevPage } = useUrlTableState(parse, writeFilters);

  const setFilters = useCallback(
    (patch: Partial<Record<F, string>> & { size?: number }) => {
      const { size, ...filters } = patch;
      restart({ ...state, size: size ?? state.size, filters: { ...state.filters, ...filters } });
    },
    [restart, state],
  );
  return { state, setFilters, nextPage, prevPage };
}

function writeFilters(state: PageState<string>, sp: URLSearchParams) {
  for (const [name, value] of Object.entries(state.filters)) if (value) sp.set(name, value);
}

/** The page part of a list input: the page size and this page's cursor. */
export const pageOf = (state: CursorPage) => (state.cursor ? { limit: state.size, cursor: state.cursor } : { limit: state.size });
