"use client";
// Super admin → one session: all its fields, its contacts/groups backfill with live counters while it runs, and its
// message counts (never message text).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState, type ReactNode } from "react";
import { errorCode, errorMessage } from "@/lib/errors.ts";
import { formatCount, formatDuration, formatExact, statusLabels } from "@/lib/format.ts";
import { useTRPC, type BackfillJob } from "@/lib/trpc.tsx";
import { AdminMessageCounts } from "./AdminMessageCounts.tsx";
import { ErrorNotice, NotAllowed, NotFoundNotice } from "./Notices.tsx";
import { SessionFields, type SessionCreator } from "./SessionFields.tsx";
import { StatusBadge } from "./StatusBadge.tsx";

const POLL_MS = 1000;

export function AdminSessionDetail({ id, creator }: { id: string; creator: SessionCreator | null }) {
  const trpc = useTRPC();
  const session = useQuery(trpc.admin.sessions.get.queryOptions({ session: id }));
  const organizations = useQuery({
    ...trpc.admin.organizations.list.queryOptions({}),
    staleTime: 5 * 60_000,
    enabled: errorCode(session.error) !== "forbidden",
  });
  const orgName = organizations.data?.data.find((o) => o.id === session.data?.organizationId)?.name;

  if (errorCode(session.error) === "forbidden") return <NotAllowed what="Only platform super admins can open sessions of other organizations." />;
  if (errorCode(session.error) === "not_found") {
    return <NotFoundNotice what="No session has this id in any organization." />;
  }
  if (session.error) return <ErrorNotice error={session.error} onRetry={() => void session.refetch()} title="Could not load the session" />;

  return (
    <div className="grid-detail">
      <section className="card" aria-labelledby="fields-title">
        <div className="card-body">
          <h2 id="fields-title">Session</h2>
          {session.data ? <SessionFields session={session.data} organizationName={orgName} creator={creator} /> : <FieldsSkeleton />}
        </div>
      </section>
      <div className="stack">
        <Backfill id={id} sessionStatus={session.data?.status} />
        <AdminMessageCounts id={id} />
      </div>
    </div>
  );
}

function FieldsSkeleton() {
  return (
    <dl className="fields" aria-busy="true">
      {Array.from({ length: 16 }, (_, i) => (
        <div key={i} style={{ display: "contents" }}>
          <dt>
            <span className="skeleton" style={{ width: "60%" }} />
          </dt>
          <dd>
            <span className="skeleton" style={{ width: `${30 + ((i * 17) % 50)}%` }} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

function useNow(active: boolean) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

function Backfill({ id, sessionStatus }: { id: string; sessionStatus: string | undefined }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const jobOptions = trpc.admin.sessions.backfill.queryOptions({ session: id });
  const job = useQuery({
    ...jobOptions,
    retry: false,
    // Poll about once a second while the job runs; stop when it ends.
    refetchInterval: (query) => (query.state.data?.status === "running" ? POLL_MS : false),
    refetchIntervalInBackground: true,
  });
  const [note, setNote] = useState<string | null>(null);
  const start = useMutation(
    trpc.admin.sessions.startBackfill.mutationOptions({
      onSuccess: (started) => {
        setNote(null);
        queryClient.setQueryData(jobOptions.queryKey, started);
      },
      onError: (error) => {
        if (errorCode(error) === "conflict") {
          // Already running: join it instead of failing.
          setNote("A backfill was already running for this session; showing it.");
          void queryClient.invalidateQueries({ queryKey: jobOptions.queryKey });
        }
      },
    }),
  );
  const data: BackfillJob | undefined = job.data;
  const running = data?.status === "running";
  const now = useNow(running);
  const noJob = errorCode(job.error) === "not_found";
  // The gateway would only fail it: a backfill reads from the connected device.
  const notConnected = sessionStatus !== undefined && sessionStatus !== "working";
  const elapsed = data ? (data.finishedAt ?? now) - data.startedAt : 0;

  return (
    <section className="card" aria-labelledby="backfill-title" data-testid="backfill">
      <div className="card-body">
        <div className="row" style={{ justifyContent: "space-between" }}>
          <h2 id="backfill-title" style={{ margin: 0 }}>
            Backfill
          </h2>
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => start.mutate({ session: id })}
            disabled={start.isPending || running || sessionStatus !== "working"}
            aria-describedby={notConnected ? "backfill-reason" : undefined}
          >
            {running ? "Backfill running…" : start.isPending ? "Starting…" : "Start backfill"}
          </button>
        </div>
        <p className="muted" style={{ margin: "6px 0 0" }}>
          Copies the contacts, groups and group members the session&apos;s device knows into the database.
        </p>
        {notConnected && sessionStatus ? (
          <p className="form-note" id="backfill-reason" data-testid="backfill-disabled-reason">
            Backfill needs a connected session; this one is {(statusLabels[sessionStatus] ?? sessionStatus).toLowerCase()}. Start it
            and pair it first.
          </p>
        ) : null}
        {note ? (
          <div className="form-ok" role="status" style={{ marginTop: 12 }}>
            {note}
          </div>
        ) : null}
        {start.error && errorCode(start.error) !== "conflict" ? (
          <div className="form-error" role="alert" style={{ marginTop: 12 }}>
            {errorMessage(start.error)}
          </div>
        ) : null}
        <div aria-live="polite">
          {data ? (
            <>
              <div className="row" style={{ marginTop: 16 }}>
                <StatusBadge status={data.status} />
                <span className="muted">
                  {data.status === "running"
                    ? `running for ${formatDuration(elapsed)}`
                    : data.status === "succeeded"
                      ? `finished in ${formatDuration(elapsed)}`
                      : `failed after ${formatDuration(elapsed)}`}
                </span>
              </div>
              <div className="counters" data-testid="backfill-counters">
                <Counter k="Contacts" v={formatCount(data.contacts)} testId="contacts" />
                <Counter k="Groups" v={formatCount(data.groups)} testId="groups" />
                <Counter k="Group members" v={formatCount(data.groupMembers)} testId="groupMembers" />
                <Counter k="Elapsed" v={formatDuration(elapsed)} testId="elapsed" />
              </div>
              {data.status === "failed" ? (
                <div className="form-error" role="alert" data-testid="backfill-error">
                  Backfill failed: {data.error ?? "unknown reason"}
                </div>
              ) : null}
              {data.status === "succeeded" ? (
                <div className="form-ok" data-testid="backfill-summary">
                  Done: {formatCount(data.contacts)} contacts, {formatCount(data.groups)} groups and {formatCount(data.groupMembers)} group
                  members in {formatDuration(elapsed)}.
                </div>
              ) : null}
              <p className="muted" style={{ fontSize: 12.5, margin: 0 }}>
                Job <span className="mono">{data.id}</span> · started {formatExact(data.startedAt)}
                {data.finishedAt ? ` · finished ${formatExact(data.finishedAt)}` : ""}
              </p>
            </>
          ) : noJob ? (
            <p className="empty" data-testid="no-backfill" style={{ padding: "32px 8px" }}>
              <strong>No backfill since the gateway started</strong>
              Jobs are kept in the gateway&apos;s memory; start one to see its progress here.
            </p>
          ) : job.error ? (
            <ErrorNotice error={job.error} onRetry={() => void job.refetch()} title="Could not load the backfill" />
          ) : (
            <div className="counters" aria-busy="true">
              {["Contacts", "Groups", "Group members", "Elapsed"].map((k) => (
                <Counter key={k} k={k} v={<span className="skeleton" style={{ width: "50%" }} />} />
              ))}
            </div>
          )}
        </div>
        <p style={{ marginTop: 16 }}>
          <Link href="/admin/sessions">← All sessions</Link>
        </p>
      </div>
    </section>
  );
}

function Counter({ k, v, testId }: { k: string; v: ReactNode; testId?: string }) {
  return (
    <div className="counter">
      <div className="k">{k}</div>
      <div className="v" data-testid={testId ? `counter-${testId}` : undefined}>
        {v}
      </div>
    </div>
  );
}
