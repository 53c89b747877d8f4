"use client";
// Organization → one session → messages: a send form (recipient picked from the backfilled contacts and groups,
// or typed as a number or JID) and the live message log (inbound and outbound, newest first, status ticks,
// failures with their reason), paged backwards with "Show older" and kept current by messages.events.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { errorCode, errorMessage, fieldErrors } from "@/lib/errors.ts";
import { formatExact, formatPhone } from "@/lib/format.ts";
import { formatChat, mergeLog, typedRecipient } from "@/lib/messages.ts";
import { useTRPC, useTRPCClient, type RouterOutputs, type WASession } from "@/lib/trpc.tsx";
import { ErrorNotice } from "./Notices.tsx";
import { RelativeTime } from "./RelativeTime.tsx";

type WAMessage = RouterOutputs["messages"]["get"];
type Recipient = RouterOutputs["recipients"]["search"]["data"][number];

const PAGE = 20;

export function SessionMessages({ session, canSend }: { session: WASession; canSend: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const client = useTRPCClient();
  // Not trpc.messages.list.infiniteQueryOptions: tRPC adds a `direction` field to the input, which the route's strict
  // input refuses. The key sits under the procedure's path so invalidating messages.list reaches it.
  const listOptions = {
    queryKey: [...trpc.messages.list.pathKey(), { session: session.id, limit: PAGE, infinite: true }],
    queryFn: ({ pageParam }: { pageParam: string | null }) =>
      client.messages.list.query({ session: session.id, limit: PAGE, ...(pageParam ? { cursor: pageParam } : {}) }),
    initialPageParam: null as string | null,
    getNextPageParam: (page: { nextCursor: string | null }) => page.nextCursor,
  };
  const pages = useInfiniteQuery(listOptions);
  // Messages seen since the page loaded (the feed, and our own sends), newest version of each.
  const [live, setLive] = useState<ReadonlyMap<string, WAMessage>>(() => new Map());
  const remember = (message: WAMessage) =>
    setLive((prev) => {
      const known = prev.get(message.id);
      if (known && known.updatedAt > message.updatedAt) return prev;
      return new Map(prev).set(message.id, message);
    });

  const feed = useSubscription(
    trpc.messages.events.subscriptionOptions(
      { session: session.id },
      {
        enabled: pages.isSuccess,
        // Anything stored between the first read and the feed's start: read the first page again once it is live.
        onStarted: () => void queryClient.invalidateQueries({ queryKey: listOptions.queryKey }),
        onData: (event) => {
          if (event.data.type === "message") remember(event.data.message);
        },
      },
    ),
  );

  const messages = useMemo(
    () =>
      mergeLog(
        (pages.data?.pages ?? []).map((p) => p.data),
        live.values(),
        pages.hasNextPage,
      ),
    [pages.data, pages.hasNextPage, live],
  );

  return (
    <section className="card" aria-labelledby="messages-title" data-testid="session-messages">
      <div className="card-body">
        <div className="row" style={{ justifyContent: "space-between", marginBottom: 12 }}>
          <h2 id="messages-title" style={{ margin: 0 }}>
            Messages
          </h2>
          <span
            className="muted"
            data-testid="messages-live"
            title={
              feed.status === "pending"
                ? "receiving new messages as they arrive"
                : "live updates reconnecting"
            }
          >
            {feed.status === "pending" ? "● live" : "○ connecting…"}
          </span>
        </div>
        {canSend ? (
          <SendForm session={session} onSent={remember} />
        ) : (
          <p className="muted">
            Your access can read this session&apos;s messages but not send (an api-key or role without
            “send”).
          </p>
        )}
        <h3 className="msg-log-title">Message log</h3>
        {pages.error ? (
          <ErrorNotice
            error={pages.error}
            onRetry={() => void pages.refetch()}
            title="Could not load the messages"
          />
        ) : (
          <MessageLog
            messages={messages}
            loading={pages.isPending}
            hasOlder={pages.hasNextPage}
            loadingOlder={pages.isFetchingNextPage}
            onOlder={() => void pages.fetchNextPage()}
          />
        )}
      </div>
    </section>
  );
}

function useDebounced<T>(value: T, ms: number): T {
  const [current, setCurrent] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setCurrent(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return current;
}

function recipientLabel(r: Recipient): string {
  if (r.kind === "group") return r.name ?? formatChat(r.jid);
  const number = r.phoneNumber ? formatPhone(r.phoneNumber) : r.jid;
  return r.name ? `${r.name} · ${number}` : number;
}

/** The recipient field: a combobox over the session's contacts and groups that also takes a typed number or JID. */
function RecipientPicker({
  sessionId,
  picked,
  onPick,
  text,
  onText,
  error,
}: {
  sessionId: string;
  picked: Recipient | null;
  onPick: (r: Recipient | null) => void;
  text: string;
  onText: (t: string) => void;
  error: string | undefined;
}) {
  const trpc = useTRPC();
  const listId = useId();
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const q = useDebounced(text.trim(), 200);
  const found = useQuery({
    ...trpc.recipients.search.queryOptions({ session: sessionId, ...(q ? { q } : {}) }),
    enabled: open,
    staleTime: 30_000,
    placeholderData: (previous) => previous,
  });
  const options = found.data?.data ?? [];
  const inputRef = useRef<HTMLInputElement>(null);

  if (picked) {
    return (
      <div className="field">
        <span className="label">To</span>
        <div className="row msg-picked" data-testid="recipient-picked">
          <span className="tag">{picked.kind === "group" ? "Group" : "Contact"}</span>
          <strong className="msg-wrap">{recipientLabel(picked)}</strong>
          <button
            type="button"
            className="btn btn-sm btn-ghost"
            onClick={() => {
              onPick(null);
              setTimeout(() => inputRef.current?.focus(), 0);
            }}
          >
            Change
          </button>
        </div>
      </div>
    );
  }
  const choose = (r: Recipient | undefined) => {
    if (!r) return;
    onPick(r);
    setOpen(false);
  };
  return (
    <div className="field msg-picker">
      <label htmlFor={`${listId}-to`}>To</label>
      <div className="msg-combo">
        <input
          ref={inputRef}
          id={`${listId}-to`}
          className="input"
          role="combobox"
          aria-expanded={open && options.length > 0}
          aria-controls={`${listId}-list`}
          aria-autocomplete="list"
          aria-activedescendant={open && options[active] ? `${listId}-opt-${active}` : undefined}
          aria-invalid={error ? true : undefined}
          aria-describedby={`${listId}-to-msg`}
          autoComplete="off"
          placeholder="Search contacts and groups, or type a number"
          value={text}
          onChange={(e) => {
            onText(e.target.value);
            setOpen(true);
            setActive(0);
          }}
          onFocus={() => setOpen(true)}
          onBlur={() => setTimeout(() => setOpen(false), 150)}
          onKeyDown={(e) => {
            if (e.key === "ArrowDown") {
              e.preventDefault();
              setOpen(true);
              setActive((i) => Math.min(i + 1, Math.max(0, options.length - 1)));
            } else if (e.key === "ArrowUp") {
              e.preventDefault();
              setActive((i) => Math.max(0, i - 1));
            } else if (e.key === "Enter" && open && options[active]) {
              e.preventDefault();
              choose(options[active]);
            } else if (e.key === "Escape") {
              setOpen(false);
            }
          }}
        />
        {open && options.length > 0 ? (
          <ul id={`${listId}-list`} role="listbox" className="msg-options" aria-label="Contacts and groups">
            {options.map((r, i) => (
              <li
                key={`${r.kind}:${r.jid}`}
                id={`${listId}-opt-${i}`}
                role="option"
                aria-selected={i === active}
                className={i === active ? "active" : undefined}
                // mousedown, not click: the input's blur would close the list first
                onMouseDown={(e) => {
                  e.preventDefault();
                  choose(r);
                }}
              >
                <span className="tag">{r.kind === "group" ? "Group" : "Contact"}</span>
                <span className="msg-wrap">{recipientLabel(r)}</span>
                {r.kind === "group" && r.size !== null ? (
                  <span className="muted"> · {r.size} members</span>
                ) : null}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
      <span id={`${listId}-to-msg`} className={error ? "error" : "hint"} role={error ? "alert" : undefined}>
        {error ??
          (open && q && found.isSuccess && options.length === 0
            ? "No contact or group matches; a phone number (digits with country code) or a JID can be sent to as typed."
            : "From this session’s contacts and groups (after a backfill), or a phone number with country code, or a JID.")}
      </span>
    </div>
  );
}

function SendForm({ session, onSent }: { session: WASession; onSent: (m: WAMessage) => void }) {
  const trpc = useTRPC();
  const [picked, setPicked] = useState<Recipient | null>(null);
  const [toText, setToText] = useState("");
  const [text, setText] = useState("");
  const [queue, setQueue] = useState(false);
  const [touched, setTouched] = useState(false);
  const send = useMutation(
    trpc.messages.send.mutationOptions({
      onSuccess: (result) => {
        onSent(result.message);
        setText("");
        setTouched(false);
      },
    }),
  );
  const to = picked?.jid ?? typedRecipient(toText);
  const local: Record<string, string> = {};
  if (!to)
    local.to = toText.trim()
      ? "Not a phone number (6–15 digits with country code) or a JID."
      : "Choose a contact or group, or type a number.";
  if (!text.trim()) local.text = "Write a message.";
  const server = fieldErrors(send.error);
  const errors = { ...(touched ? local : {}), ...server };
  const working = session.status === "working";
  const code = errorCode(send.error);
  const retryAfterMs = (send.error as { data?: { details?: { retryAfterMs?: unknown } } } | null)?.data
    ?.details?.retryAfterMs;

  return (
    <form
      noValidate
      className="msg-send"
      data-testid="send-form"
      onSubmit={(e) => {
        e.preventDefault();
        setTouched(true);
        if (Object.keys(local).length > 0 || !to) return;
        send.mutate({ session: session.id, type: "text", to, text, ...(queue ? { async: true } : {}) });
      }}
    >
      <RecipientPicker
        sessionId={session.id}
        picked={picked}
        onPick={(r) => {
          setPicked(r);
          send.reset();
        }}
        text={toText}
        onText={(t) => {
          setToText(t);
          send.reset();
        }}
        error={errors.to}
      />
      <div className="field">
        <label htmlFor="message-text">Message</label>
        <textarea
          id="message-text"
          className="input msg-text"
          rows={3}
          value={text}
          onChange={(e) => setText(e.target.value)}
          aria-invalid={errors.text ? true : undefined}
          aria-describedby="message-text-msg"
        />
        <span id="message-text-msg" className={errors.text ? "error" : "hint"}>
          {errors.text ?? "Plain text; sent as this session’s WhatsApp account."}
        </span>
      </div>
      <label className="check">
        <input type="checkbox" name="async" checked={queue} onChange={(e) => setQueue(e.target.checked)} />
        <span>
          Queue it
          <small>
            Returns at once and sends as soon as the rate limits and the connection allow, instead of refusing
            a send over the limit.
          </small>
        </span>
      </label>
      {!working && !queue ? (
        <p className="form-note" data-testid="send-not-working">
          The session is not connected (status “{session.status}”): a send now is refused. Tick “Queue it” to
          send when it is working again.
        </p>
      ) : null}
      {send.error && Object.keys(server).length === 0 ? (
        <div className="form-error" role="alert" data-testid="send-error">
          {code === "rate_limited"
            ? `Over this session’s limit (${session.ratePerMin} per minute, ${session.ratePerHour} per hour).${
                typeof retryAfterMs === "number"
                  ? ` The next send is possible in ${Math.ceil(retryAfterMs / 1000)} s.`
                  : ""
              } Tick “Queue it” to send it then.`
            : errorMessage(send.error)}
        </div>
      ) : null}
      {send.data ? (
        <div className="form-ok" role="status" data-testid="send-result">
          {send.data.replayed
            ? "Already sent earlier (same request)."
            : send.data.mode === "async"
              ? "Queued; it goes out as the limits allow."
              : "Sent; WhatsApp acknowledged it."}
        </div>
      ) : null}
      <button type="submit" className="btn btn-primary" disabled={send.isPending || (!working && !queue)}>
        {send.isPending ? "Sending…" : queue ? "Queue message" : "Send message"}
      </button>
    </form>
  );
}

const statusText: Record<string, string> = {
  pending: "Queued",
  sent: "Sent",
  delivered: "Delivered",
  read: "Read",
  played: "Played",
  failed: "Failed",
};

/** WhatsApp's ticks: 🕓 queued, ✓ sent, ✓✓ delivered, blue ✓✓ read/played, ✗ failed. */
function StatusTicks({ message }: { message: WAMessage }) {
  const status = message.status;
  if (message.direction === "in" || !status) return null;
  const mark = status === "pending" ? "🕓" : status === "sent" ? "✓" : status === "failed" ? "✗" : "✓✓";
  return (
    <span
      className={`msg-ticks msg-ticks-${status}`}
      data-testid="message-status"
      data-status={status}
      title={statusText[status] ?? status}
    >
      <span aria-hidden="true">{mark}</span> {statusText[status] ?? status}
    </span>
  );
}

function MessageLog({
  messages,
  loading,
  hasOlder,
  loadingOlder,
  onOlder,
}: {
  messages: WAMessage[];
  loading: boolean;
  hasOlder: boolean;
  loadingOlder: boolean;
  onOlder: () => void;
}) {
  if (loading) {
    return (
      <div aria-busy="true" data-testid="message-log">
        <span className="skeleton" style={{ width: "60%" }} />
      </div>
    );
  }
  if (messages.length === 0) {
    return (
      <p className="muted" data-testid="message-log" aria-busy="false">
        No messages yet. Messages this session sends and receives appear here as they happen.
      </p>
    );
  }
  return (
    <div data-testid="message-log" aria-busy="false">
      <ol className="msg-log" aria-label="Messages, newest first">
        {messages.map((m) => (
          <li
            key={m.id}
            className={`msg msg-${m.direction}`}
            data-testid="message"
            data-message-id={m.id}
            data-wa-message-id={m.waMessageId ?? ""}
            data-direction={m.direction}
          >
            <div className="msg-head">
              <span className="msg-dir">{m.direction === "in" ? "↘ From" : "↗ To"}</span>
              <span className="msg-chat mono msg-wrap" title={m.chatJid}>
                {m.direction === "in" && m.senderName ? `${m.senderName} · ` : ""}
                {formatChat(m.chatJid)}
              </span>
              <span className="msg-time muted" title={formatExact(m.timestamp)}>
                <RelativeTime ms={m.timestamp} />
              </span>
            </div>
            <div className="msg-body msg-wrap" data-testid="message-body">
              {m.body ?? (
                <span className="muted">
                  ({m.type}
                  {m.hasMedia ? ", media" : ""})
                </span>
              )}
              {m.body !== null && m.type !== "text" ? <span className="muted"> ({m.type})</span> : null}
            </div>
            <StatusTicks message={m} />
            {m.status === "failed" && m.error ? (
              <div className="msg-failure" data-testid="message-error">
                {m.error}
              </div>
            ) : null}
          </li>
        ))}
      </ol>
      <div className="table-foot">
        <span className="muted">{messages.length} shown</span>
        {hasOlder ? (
          <button type="button" className="btn btn-sm" disabled={loadingOlder} onClick={onOlder}>
            {loadingOlder ? "Loading…" : "Show older"}
          </button>
        ) : (
          <span className="muted">No older messages</span>
        )}
      </div>
    </div>
  );
}
