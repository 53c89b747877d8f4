"use client";
// The console's table over column definitions: skeleton rows on first load, dimmed while the next page loads, a
// designed empty state, rows stacking into "label: value" cards on narrow screens (see .table-stack).
import { Fragment, type HTMLAttributes, type ReactNode, type TdHTMLAttributes } from "react";

/** Attributes a row or cell may carry beside the standard ones (test hooks, data the tests read). */
type DataAttributes = { [name: `data-${string}`]: string | number | undefined };

export interface Column<T> {
  header: string;
  /** An actions column: its header is for screen readers only, its cell unlabelled and right-aligned. */
  actions?: boolean;
  /** Shown before the value when the row stacks (narrow screens); defaults to the header. */
  label?: string | ((row: T) => string);
  width?: string;
  className?: string;
  /** Further attributes of a row's cell (a title, a test id). */
  cellProps?: (row: T) => TdHTMLAttributes<HTMLTableCellElement> & DataAttributes;
  cell: (row: T) => ReactNode;
}

export interface DataTableProps<T> {
  rows: T[] | undefined;
  columns: Column<T>[];
  rowKey: (row: T) => string;
  /** The row's own attributes; defaults to `data-row-key`. */
  rowProps?: (row: T) => HTMLAttributes<HTMLTableRowElement> & DataAttributes;
  /** A full-width row under a row (an expanded detail), or null; its <tr> has the class `detailClassName`. */
  rowDetail?: (row: T) => ReactNode;
  detailClassName?: string;
  /** First load: skeleton rows. */
  loading: boolean;
  /** A refetch with rows already shown: the table dims instead of jumping. */
  fetching: boolean;
  /** How many skeleton rows stand in for the first page. */
  skeletonRows: number;
  caption: string;
  empty: ReactNode;
  emptyTestId?: string;
  testId: string;
  /** Sets aria-rowcount to the rows shown. */
  countRows?: boolean;
  /** Under the table, inside its scroll box (a failed row action's message). */
  children?: ReactNode;
}

function cellClass<T>(column: Column<T>, first: boolean): string | undefined {
  if (first) return `cell-title ${column.className ?? ""}`;
  if (column.actions) return "cell-actions";
  return column.className;
}

function cellLabel<T>(column: Column<T>, row: T, first: boolean): string | undefined {
  if (first || column.actions) return undefined;
  if (typeof column.label === "function") return column.label(row);
  return column.label ?? column.header;
}

export function DataTable<T>(props: DataTableProps<T>) {
  const { columns } = props;
  return (
    <div className="table-wrap">
      <table
        className="table table-stack"
        aria-busy={props.loading || props.fetching}
        aria-rowcount={props.countRows ? props.rows?.length : undefined}
        data-testid={props.testId}
      >
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
                {c.actions ? <span className="visually-hidden">{c.header}</span> : c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody style={props.fetching ? { opacity: 0.6 } : undefined}>
          {props.loading && !props.rows
            ? Array.from({ length: props.skeletonRows }, (_, i) => (
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
                <div className="empty" data-testid={props.emptyTestId ?? "empty-state"}>
                  {props.empty}
                </div>
              </td>
            </tr>
          ) : null}
          {props.rows?.map((row) => {
            const key = props.rowKey(row);
            const detail = props.rowDetail?.(row);
            return (
              <Fragment key={key}>
                <tr {...(props.rowProps ? props.rowProps(row) : { "data-row-key": key })}>
                  {columns.map((c, i) => (
                    <td
                      key={c.header}
                      className={cellClass(c, i === 0)}
                      data-label={cellLabel(c, row, i === 0)}
                      style={c.actions ? { textAlign: "right" } : undefined}
                      {...c.cellProps?.(row)}
                    >
                      {c.cell(row)}
                    </td>
                  ))}
                </tr>
                {detail ? (
                  <tr className={props.detailClassName}>
                    <td colSpan={columns.length}>{detail}</td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
      {props.children}
    </div>
  );
}
