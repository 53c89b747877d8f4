"use client";
// The sessions table shared by the admin and organization views: fixed geometry, skeleton rows, designed empty state;
// on narrow screens each row stacks into a card (labels from data-label, see .table-stack).
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useRef, type ReactNode } from "react";
import { formatPhone } from "@/lib/format.ts";
import type { WASession } from "@/lib/trpc.tsx";
import { RelativeTime } from "./RelativeTime.tsx";
import { StatusBadge } from "./StatusBadge.tsx";

interface Props {
  rows: WASession[] | undefined;
  pageSize: number;
  /** First load: skeleton rows. */
  loading: boolean;
  /** A refetch with rows already shown: the table dims instead of jumping. */
  fetching: boolean;
  showOrganization: boolean;
  showGateway: boolean;
  organizationName?: (id: string) => string | undefined;
  hrefFor: (session: WASession) => string;
  empty: ReactNode;
  caption: string;
}

export function SessionsTable(props: Props) {
  const router = useRouter();
  const columns = 5 + (props.showOrganization ? 1 : 0) + (props.showGateway ? 1 : 0);
  const skeletonRows = Math.min(props.pageSize, 12);
  return (
    <div className="table-wrap">
      <table className="table table-stack" aria-busy={props.loading || props.fetching} aria-rowcount={props.rows?.length} data-testid="sessions-table">
        <caption className="visually-hidden">{props.caption}</caption>
        <colgroup>
          <col style={{ width: "22%" }} />
          <col style={{ width: "15%" }} />
          <col style={{ width: "13%" }} />
          {props.showOrganization ? <col style={{ width: "16%" }} /> : null}
          {props.showGateway ? <col style={{ width: "11%" }} /> : null}
          <col style={{ width: "12%" }} />
          <col style={{ width: "11%" }} />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Label</th>
            <th scope="col">Phone number</th>
            <th scope="col">Status</th>
            {props.showOrganization ? <th scope="col">Organization</th> : null}
            {props.showGateway ? <th scope="col">Gateway</th> : null}
            <th scope="col">Last connected</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {props.loading && !props.rows
            ? Array.from({ length: skeletonRows }, (_, i) => (
                <tr key={`sk-${i}`} aria-hidden="true" data-testid="skeleton-row">
                  {Array.from({ length: columns }, (_, j) => (
                    <td key={j}>
                      <span className="skeleton" style={{ width: `${45 + ((i * 7 + j * 13) % 45)}%` }} />
                    </td>
                  ))}
                </tr>
              ))
            : null}
          {props.rows && props.rows.length === 0 ? (
            <tr>
              <td colSpan={columns} style={{ height: "auto", whiteSpace: "normal" }}>
                <div className="empty" data-testid="empty-state">
                  {props.empty}
                </div>
              </td>
            </tr>
          ) : null}
          {props.rows?.map((s) => {
            const href = props.hrefFor(s);
            return (
              <tr
                key={s.id}
                className="clickable"
                data-session-id={s.id}
                onClick={(e) => {
                  if ((e.target as HTMLElement).closest("a")) return;
                  router.push(href);
                }}
              >
                <td className="cell-title" title={s.label ?? s.id}>
                  <Link href={href} prefetch={false}>{s.label ?? <span className="muted">Untitled</span>}</Link>
                </td>
                <td className="mono" data-label="Phone number">{formatPhone(s.phoneNumber)}</td>
                <td data-label="Status">
                  <StatusBadge status={s.status} reason={s.statusReason} />
                </td>
                {props.showOrganization ? (
                  <td data-label="Organization" title={s.organizationId}>{props.organizationName?.(s.organizationId) ?? <span className="muted mono">{s.organizationId}</span>}</td>
                ) : null}
                {props.showGateway ? <td className="mono" data-label="Gateway">{s.gatewayId}</td> : null}
                <td data-label="Last connected">
                  <RelativeTime ms={s.lastConnectedAt} empty="Never" />
                </td>
                <td data-label="Created">
                  <RelativeTime ms={s.createdAt} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

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
          {[25, 50, 100].map((n) => (
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
