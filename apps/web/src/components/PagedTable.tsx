"use client";
// A list query shown as a table: the error notice while nothing loaded, else the DataTable (skeleton, empty state,
// rows); PagedTable adds the pager over the keyset cursor kept in the URL. A view declares its columns, its query
// and its actions.
import type { CursorPage } from "@/lib/table-params.ts";
import { DataTable, type DataTableProps } from "./DataTable.tsx";
import { ErrorNotice } from "./Notices.tsx";
import { Pager } from "./Pager.tsx";

/** What the tables read of a list query (TanStack Query's result over a `{ data, nextCursor }` page). */
export interface ListQuery<T> {
  data: { data: T[]; nextCursor?: string | null } | undefined;
  error: unknown;
  isPending: boolean;
  isPlaceholderData: boolean;
  refetch: () => Promise<unknown>;
}

/** Paging kept in the URL (usePageState, useTableState). */
export interface Paging {
  state: CursorPage;
  nextPage: (cursor: string) => void;
  prevPage: () => void;
  setFilters: (patch: { size: number }) => void;
}

type TableProps<T> = Omit<DataTableProps<T>, "rows" | "loading" | "fetching" | "skeletonRows"> & {
  list: ListQuery<T>;
  /** The heading of the error notice shown when the list could not load. */
  errorTitle: string;
};

export function ListTable<T>({ list, errorTitle, skeletonRows = 3, ...table }: TableProps<T> & { skeletonRows?: number }) {
  if (list.error && !list.data) {
    return (
      <div style={{ padding: 16 }}>
        <ErrorNotice error={list.error} onRetry={() => void list.refetch()} title={errorTitle} />
      </div>
    );
  }
  return <DataTable rows={list.data?.data} loading={list.isPending} fetching={list.isPlaceholderData} skeletonRows={skeletonRows} {...table} />;
}

export function PagedTable<T>({ paging, maxSkeletonRows = 8, ...table }: TableProps<T> & { paging: Paging; maxSkeletonRows?: number }) {
  const { state } = paging;
  const { list } = table;
  return (
    <>
      <ListTable {...table} skeletonRows={Math.min(state.size, maxSkeletonRows)} />
      <Pager
        page={state.page}
        rowsOnPage={list.data?.data.length ?? 0}
        pageSize={state.size}
        hasPrev={state.cursors.length > 0}
        nextCursor={list.isPlaceholderData ? null : list.data?.nextCursor}
        busy={list.isPlaceholderData}
        onPrev={paging.prevPage}
        onNext={paging.nextPage}
        onSize={(size) => paging.setFilters({ size })}
      />
    </>
  );
}
