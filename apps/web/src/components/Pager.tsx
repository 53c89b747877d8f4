"use client";
// The foot of a server-paged table: rows per page, where this page stands, and previous / next by keyset cursor.
import { useRef } from "react";
import { PAGE_SIZES } from "@/lib/table-params.ts";

export function Pager(props: {
  page: number;
  rowsOnPage: number;
  pageSize: number;
  hasPrev: boolean;
  nextCursor: string | null | undefined;
  busy: boolean;
  onPrev: () => void;
  onNext: (cursor: string) => void;
  onSize: (size: number) => void;
}) {
  const first = (props.page - 1) * props.pageSize + 1;
  const last = first + props.rowsOnPage - 1;
  const nav = useRef<HTMLElement>(null);
  // The pager sits under the rows: a new page starts at its top, not where the old one ended.
  const backToTop = () => {
    const table = nav.current?.closest("section") ?? nav.current?.parentElement;
    if (table && table.getBoundingClientRect().top < 0) table.scrollIntoView({ block: "start" });
  };
  return (
    <nav className="table-foot" aria-label="Pagination" ref={nav}>
      <div className="row">
        <label htmlFor="page-size">Rows per page</label>
        <select id="page-size" className="select" value={props.pageSize} onChange={(e) => props.onSize(Number(e.target.value))}>
          {PAGE_SIZES.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </div>
      <div className="row">
        <span aria-live="polite" data-testid="page-info">
          {props.rowsOnPage > 0 ? `Page ${props.page} · rows ${first}–${last}` : `Page ${props.page}`}
        </span>
        <button
          type="button"
          className="btn btn-sm"
          onClick={() => {
            backToTop();
            props.onPrev();
          }}
          disabled={!props.hasPrev || props.busy}
        >
          ← Previous
        </button>
        <button
          type="button"
          className="btn btn-sm"
          onClick={() => {
            if (!props.nextCursor) return;
            backToTop();
            props.onNext(props.nextCursor);
          }}
          disabled={!props.nextCursor || props.busy}
        >
          Next →
        </button>
      </div>
    </nav>
  );
}
