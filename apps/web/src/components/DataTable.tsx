"use client";
// A paged table like the sessions table (skeleton rows on first load, dimmed while the next page loads, a designed
// empty state, rows stacking into cards on narrow screens), over column definitions.
import type { ReactNode } from "react";

export interface Column<T> {
  header: string;
  /** Shown before the value when the row stacks (narrow screens); defaults to the header. */
  label?: string;
  width?: string;
  className?: string;
  cell: (row: T) => ReactNode;
}

export function DataTable<T>(props: {
  rows: T[] | undefined;
  columns: Column<T>[];
  rowKey: (row: T) => string;
  loading: boolean;
  fetching: boolean;
  pageSize: number;
  caption: string;
  empty: ReactNode;
  testId: string;
}) {
  const { columns } = props;
  return (
    <div className="table-wrap">
      <table className="table table-stack" aria-busy={props.loading || props.fetching} data-testid={props.testId}>
        <caption className="visually-hidden">{props.caption}</caption>
        <colgroup>
          {columns.map((c) => (
            <col key={c.header} style={c.width ? { width: c.width } : undefined} />
          ))}
        </colgroup>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c.header}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody style={props.fetching ? { opacity: 0.6 } : undefined}>
          {props.loading && !props.rows
            ? Array.from({ length: Math.min(props.pageSize, 8) }, (_, i) => (
                <tr key={`sk-${i}`} aria-hidden="true" data-testid="skeleton-row">
                  {columns.map((c, j) => (
                    <td key={c.header}>
                      <span className="skeleton" style={{ width: `${45 + ((i * 7 + j * 13) % 45)}%` }} />
                    </td>
                  ))}
                </tr>
              ))
            : null}
          {props.rows && props.rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} style={{ height: "auto", whiteSpace: "normal" }}>
                <div className="empty" data-testid="empty-state">
                  {props.empty}
                </div>
              </td>
            </tr>
          ) : null}
          {props.rows?.map((row) => (
            <tr key={props.rowKey(row)} data-row-key={props.rowKey(row)}>
              {columns.map((c, i) => (
                <td key={c.header} className={i === 0 ? `cell-title ${c.className ?? ""}` : c.className} data-label={i === 0 ? undefined : (c.label ?? c.header)}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
