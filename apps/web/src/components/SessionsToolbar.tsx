"use client";
// Filters above a sessions table: debounced search, a multi-select of statuses, and optional org/gateway selects.
import { useEffect, useRef, useState } from "react";
import { statusLabels } from "@/lib/format.ts";
import { SESSION_STATUSES, type SessionStatusValue } from "@/lib/table-state.ts";

const SEARCH_DEBOUNCE_MS = 300;

interface Props {
  q: string;
  status: SessionStatusValue[];
  onSearch: (q: string) => void;
  onStatus: (status: SessionStatusValue[]) => void;
  /** Resets every filter at once (one URL change). */
  onClear: () => void;
  organizations?: { id: string; name: string }[];
  org?: string;
  onOrg?: (org: string) => void;
  gateways?: { id: string; status: string }[];
  gw?: string;
  onGateway?: (gw: string) => void;
  searchPlaceholder: string;
}

export function SessionsToolbar(props: Props) {
  const [text, setText] = useState(props.q);
  const { onSearch } = props;
  const lastSent = useRef(props.q);

  // The URL changed under us (back button, shared link): show its query.
  useEffect(() => {
    if (props.q !== lastSent.current) {
      lastSent.current = props.q;
      setText(props.q);
    }
  }, [props.q]);

  useEffect(() => {
    const value = text.trim();
    if (value === lastSent.current) return;
    const timer = setTimeout(() => {
      lastSent.current = value;
      onSearch(value);
    }, SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, onSearch]);

  // The status menu closes on Escape and on a click elsewhere, like a native select.
  const menu = useRef<HTMLDetailsElement>(null);
  useEffect(() => {
    const close = (e: Event) => {
      const details = menu.current;
      if (!details?.open) return;
      if (e instanceof KeyboardEvent ? e.key === "Escape" : !details.contains(e.target as Node)) {
        details.open = false;
        if (e instanceof KeyboardEvent) details.querySelector("summary")?.focus();
      }
    };
    document.addEventListener("pointerdown", close);
    document.addEventListener("keydown", close);
    return () => {
      document.removeEventListener("pointerdown", close);
      document.removeEventListener("keydown", close);
    };
  }, []);

  // Checkboxes answer at once; the URL (and the query) follow.
  const [selected, setSelected] = useState(props.status);
  const statusKey = props.status.join(",");
  useEffect(() => {
    setSelected(statusKey ? (statusKey.split(",") as SessionStatusValue[]) : []);
  }, [statusKey]);
  const toggle = (s: SessionStatusValue) => {
    const next = selected.includes(s) ? selected.filter((x) => x !== s) : [...selected, s];
    setSelected(next);
    props.onStatus(next);
  };
  const active = props.status.length + (props.org ? 1 : 0) + (props.gw ? 1 : 0) + (props.q ? 1 : 0);

  return (
    <div className="toolbar" role="search">
      <label htmlFor="session-search" className="visually-hidden">
        Search sessions
      </label>
      <input
        id="session-search"
        className="input search"
        type="search"
        placeholder={props.searchPlaceholder}
        value={text}
        onChange={(e) => setText(e.target.value)}
        autoComplete="off"
        spellCheck={false}
      />
      <details className="status-filter" ref={menu}>
        <summary className="btn" aria-label={`Status filter, ${selected.length} selected`}>
          Status {selected.length > 0 ? <span className="chip-count">{selected.length}</span> : null} ▾
        </summary>
        <fieldset className="status-menu" style={{ border: 0, margin: 0 }}>
          <legend className="visually-hidden">Statuses to show</legend>
          {SESSION_STATUSES.map((s) => (
            <label key={s}>
              <input type="checkbox" checked={selected.includes(s)} onChange={() => toggle(s)} name="status" value={s} />
              <span className={`status status-${s}`}>{statusLabels[s]}</span>
            </label>
          ))}
        </fieldset>
      </details>
      {props.organizations && props.onOrg ? (
        <>
          <label htmlFor="org-filter" className="visually-hidden">
            Organization
          </label>
          <select id="org-filter" className="select" value={props.org ?? ""} onChange={(e) => props.onOrg?.(e.target.value)} style={{ maxWidth: 220 }}>
            <option value="">All organizations</option>
            {props.organizations.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </>
      ) : null}
      {props.gateways && props.onGateway ? (
        <>
          <label htmlFor="gw-filter" className="visually-hidden">
            Gateway
          </label>
          <select id="gw-filter" className="select" value={props.gw ?? ""} onChange={(e) => props.onGateway?.(e.target.value)}>
            <option value="">All gateways</option>
            {props.gateways.map((g) => (
              <option key={g.id} value={g.id}>
                {g.id}
                {g.status === "offline" ? " (offline)" : ""}
              </option>
            ))}
          </select>
        </>
      ) : null}
      <span className="spacer" />
      {active > 0 ? (
        <button
          type="button"
          className="btn btn-ghost btn-sm"
          onClick={() => {
            lastSent.current = "";
            setText("");
            props.onClear();
          }}
        >
          Clear filters
        </button>
      ) : null}
    </div>
  );
}
