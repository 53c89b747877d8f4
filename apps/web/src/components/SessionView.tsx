"use client";
// Organization → one session: live status and QR (sessions.events), pairing by QR / code / simulated phone,
// start/stop/restart/logout/delete, settings, and the session's messages (send form and live log).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { phoneNumberPattern, roleCapabilities } from "@wa/api/contract";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { errorCode, errorMessage } from "@/lib/errors.ts";
import { formatPhone } from "@/lib/format.ts";
import { useConsole, useTRPC, type RouterOutputs, type WASession } from "@/lib/trpc.tsx";
import { ConfirmButton } from "./ConfirmButton.tsx";
import { ErrorNotice, NotFoundNotice } from "./Notices.tsx";
import { SessionFields, type SessionCreator } from "./SessionFields.tsx";
import { SessionMessages } from "./SessionMessages.tsx";
import { SessionSettingsForm } from "./SessionSettingsForm.tsx";
import { StatusBadge, StatusReason } from "./StatusBadge.tsx";

type Qr = RouterOutputs["sessions"]["qr"];

export function SessionView({ id, creator }: { id: string; creator: SessionCreator | null }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { viewer } = useConsole();
  const canManage = viewer.activeOrganization?.role === "owner" || viewer.activeOrganization?.role === "admin";
  const role = viewer.activeOrganization?.role;
  const canSend = role ? roleCapabilities[role].includes("send") : false;
  const sessionOptions = trpc.sessions.get.queryOptions({ session: id });
  const session = useQuery(sessionOptions);
  const [liveQr, setLiveQr] = useState<Qr | null>(null);

  const live = useSubscription(
    trpc.sessions.events.subscriptionOptions(
      { session: id },
      {
        enabled: session.isSuccess,
        // A change between our first read and the stream's start would be missed: re-read once it is live.
        onStarted: () => {
          void queryClient.invalidateQueries({ queryKey: sessionOptions.queryKey });
          void queryClient.invalidateQueries({ queryKey: trpc.sessions.qr.queryOptions({ session: id }).queryKey });
        },
        onData: (event) => {
          if ("type" in event.data) return; // the stream's end (renewed by the tRPC client when a token expired)
          queryClient.setQueryData(sessionOptions.queryKey, event.data.session);
          setLiveQr(event.data.status === "scan_qr_code" ? event.data.qr : null);
        },
      },
    ),
  );

  const status = session.data?.status;
  // The QR as of page load; later ones arrive through the subscription.
  const initialQr = useQuery({
    ...trpc.sessions.qr.queryOptions({ session: id }),
    enabled: status === "scan_qr_code" && canManage && liveQr === null,
    retry: false,
    staleTime: 0,
  });
  const qr = status === "scan_qr_code" ? (liveQr ?? initialQr.data ?? null) : null;

  if (errorCode(session.error) === "not_found") {
    return <NotFoundNotice what="Your organization has no session with this id. It may have been deleted." />;
  }
  if (session.error) return <ErrorNotice error={session.error} onRetry={() => void session.refetch()} title="Could not load the session" />;
  if (!session.data) {
    return (
      <div className="card card-body" aria-busy="true" style={{ minHeight: 420 }}>
        <span className="skeleton" style={{ width: "40%" }} />
      </div>
    );
  }
  const s = session.data;
  return (
    <div className="stack">
      <div className="grid-detail">
      <div className="stack">
        <section className="card" aria-labelledby="conn-title">
          <div className="card-body">
            <div className="row" style={{ justifyContent: "space-between", marginBottom: 12 }}>
              <h2 id="conn-title" style={{ margin: 0 }}>
                Connection
              </h2>
              <span className="row" aria-live="polite" data-testid="live-status">
                <StatusBadge status={s.status} reason={s.statusReason} />
                <span className="muted" title={live.status === "pending" ? "receiving live updates" : "live updates reconnecting"}>
                  {live.status === "pending" ? "● live" : "○ connecting…"}
                </span>
              </span>
            </div>
            <StatusReason reason={s.statusReason} />
            {canManage ? <Actions session={s} /> : <p className="muted">Only owners and admins can start, stop or change sessions.</p>}
          </div>
        </section>
        {s.status === "scan_qr_code" || s.status === "starting" ? (
          <Pairing session={s} qr={qr} qrError={initialQr.error} canManage={canManage} />
        ) : null}
        {s.status === "working" ? (
          <section className="card" aria-labelledby="paired-title">
            <div className="card-body">
              <h2 id="paired-title">Paired</h2>
              <p data-testid="paired-phone">
                Connected as <strong className="mono">{formatPhone(s.phoneNumber)}</strong>
                {s.waJid ? <span className="muted mono"> · {s.waJid}</span> : null}
              </p>
            </div>
          </section>
        ) : null}
        <section className="card" aria-labelledby="fields-title">
          <div className="card-body">
            <h2 id="fields-title">Details</h2>
            <SessionFields session={s} organizationName={viewer.activeOrganization?.organizationName} creator={creator} />
          </div>
        </section>
      </div>
      <section className="card" aria-labelledby="settings-title">
        <div className="card-body">
          <h2 id="settings-title">Settings</h2>
          <SessionSettingsForm session={s} readOnly={!canManage} />
        </div>
      </section>
      </div>
      <SessionMessages session={s} canSend={canSend} />
    </div>
  );
}

function Actions({ session }: { session: WASession }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const key = trpc.sessions.get.queryOptions({ session: session.id }).queryKey;
  const onSuccess = (updated: WASession) => {
    queryClient.setQueryData(key, updated);
    void queryClient.invalidateQueries({ queryKey: trpc.sessions.list.pathKey() });
  };
  const start = useMutation(trpc.sessions.start.mutationOptions({ onSuccess }));
  const stop = useMutation(trpc.sessions.stop.mutationOptions({ onSuccess }));
  const restart = useMutation(trpc.sessions.restart.mutationOptions({ onSuccess }));
  const logout = useMutation(trpc.sessions.logout.mutationOptions({ onSuccess }));
  const remove = useMutation(
    trpc.sessions.delete.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.sessions.list.pathKey() });
        router.push("/sessions");
      },
    }),
  );
  const busy = start.isPending || stop.isPending || restart.isPending || logout.isPending || remove.isPending;
  const error = start.error ?? stop.error ?? restart.error ?? logout.error ?? remove.error;
  const running = session.status === "working" || session.status === "starting" || session.status === "scan_qr_code";
  const input = { session: session.id };
  return (
    <>
      <div className="row" role="group" aria-label="Session actions">
        {!running ? (
          <button type="button" className="btn btn-primary" disabled={busy} onClick={() => start.mutate(input)}>
            {start.isPending ? "Starting…" : session.status === "logged_out" ? "Start and pair again" : "Start"}
          </button>
        ) : (
          <button type="button" className="btn" disabled={busy} onClick={() => stop.mutate(input)}>
            {stop.isPending ? "Stopping…" : "Stop"}
          </button>
        )}
        <button type="button" className="btn" disabled={busy || session.status === "logged_out"} onClick={() => restart.mutate(input)}>
          {restart.isPending ? "Restarting…" : "Restart"}
        </button>
        <ConfirmButton
          label="Log out"
          title="Log out this session?"
          body="The linked device is removed from the phone and the saved credentials are wiped. Pairing again needs a new scan."
          confirmLabel="Log out"
          disabled={busy || session.status === "logged_out"}
          onConfirm={() => logout.mutate(input)}
        />
        <ConfirmButton
          label="Delete"
          title="Delete this session?"
          body={`"${session.label ?? session.id}" is logged out (if paired) and deleted with its data. This cannot be undone.`}
          confirmLabel="Delete session"
          disabled={busy}
          onConfirm={() => remove.mutate(input)}
        />
      </div>
      {error ? (
        <div className="form-error" role="alert" style={{ marginTop: 12, marginBottom: 0 }}>
          {errorMessage(error)}
        </div>
      ) : null}
    </>
  );
}

function Pairing({ session, qr, qrError, canManage }: { session: WASession; qr: Qr | null; qrError: unknown; canManage: boolean }) {
  const trpc = useTRPC();
  const system = useQuery({ ...trpc.system.info.queryOptions({}), staleTime: Infinity });
  const simulate = useMutation(trpc.sessions.simulateScan.mutationOptions());
  const [mode, setMode] = useState<"qr" | "code">("qr");
  const [phone, setPhone] = useState("");
  const pairingCode = useMutation(trpc.sessions.pairingCode.mutationOptions());
  const phoneValid = phoneNumberPattern.test(phone);

  return (
    <section className="card" aria-labelledby="pair-title" data-testid="pairing">
      <div className="card-body">
        <div className="row" style={{ justifyContent: "space-between" }}>
          <h2 id="pair-title" style={{ margin: 0 }}>
            Pair a phone
          </h2>
          <div className="row" role="tablist" aria-label="Pairing method">
            <button type="button" role="tab" aria-selected={mode === "qr"} className={`btn btn-sm ${mode === "qr" ? "btn-primary" : ""}`} onClick={() => setMode("qr")}>
              QR code
            </button>
            <button
              type="button"
              role="tab"
              aria-selected={mode === "code"}
              className={`btn btn-sm ${mode === "code" ? "btn-primary" : ""}`}
              onClick={() => setMode("code")}
              title={system.data?.simulator ? "The simulated phone cannot enter pairing codes yet; use the QR code" : undefined}
            >
              Pairing code
            </button>
          </div>
        </div>
        {mode === "qr" ? (
          <div role="tabpanel" style={{ marginTop: 16 }}>
            <div className="qr-box" data-testid="qr">
              {qr ? (
                <img src={qr.image} alt="WhatsApp pairing QR code" data-qr={qr.qr} />
              ) : (
                <div className="placeholder">
                  {session.status === "starting" ? "Connecting to WhatsApp…" : qrError ? errorMessage(qrError) : "Waiting for a QR code…"}
                </div>
              )}
            </div>
            <ol className="steps">
              <li>Open WhatsApp on the phone → Settings → Linked devices.</li>
              <li>Tap “Link a device” and point the camera at this code.</li>
              <li>The code refreshes by itself; this page updates when the phone is linked.</li>
            </ol>
            {system.data?.simulator && canManage ? (
              <div style={{ marginTop: 12 }}>
                <button
                  type="button"
                  className="btn"
                  disabled={!qr || simulate.isPending}
                  onClick={() => simulate.mutate({ session: session.id })}
                >
                  {simulate.isPending ? "Scanning…" : "Scan with the simulated phone"}
                </button>
                {simulate.data ? <span className="muted"> Scanned by +{simulate.data.phoneNumber}</span> : null}
                {simulate.error ? (
                  <div className="form-error" role="alert" style={{ marginTop: 8 }}>
                    {errorMessage(simulate.error)}
                  </div>
                ) : null}
              </div>
            ) : null}
          </div>
        ) : (
          <form
            role="tabpanel"
            style={{ marginTop: 16 }}
            onSubmit={(e) => {
              e.preventDefault();
              if (phoneValid) pairingCode.mutate({ session: session.id, phoneNumber: phone });
            }}
          >
            {system.data?.simulator ? (
              <p className="form-note" data-testid="pairing-code-simulator">
                This gateway is connected to the WhatsApp simulator. Its phones enter a pairing code through the
                simulator&apos;s control API (<code>POST /sim/pair-code</code> with the code and the phone number); the
                <strong> QR code</strong> tab&apos;s “Scan with the simulated phone” pairs in one click.
              </p>
            ) : null}
            <div className="field">
              <label htmlFor="pair-phone">Phone number</label>
              <input
                id="pair-phone"
                className="input"
                inputMode="numeric"
                placeholder="6281234567890"
                value={phone}
                onChange={(e) => setPhone(e.target.value.replace(/[^\d]/g, ""))}
                aria-invalid={phone.length > 0 && !phoneValid}
                aria-describedby="pair-phone-hint"
              />
              <span id="pair-phone-hint" className={phone.length > 0 && !phoneValid ? "error" : "hint"}>
                Digits only, with country code, no “+” (6–15 digits).
              </span>
            </div>
            <button type="submit" className="btn btn-primary" disabled={!phoneValid || pairingCode.isPending || !canManage}>
              {pairingCode.isPending ? "Requesting…" : "Get pairing code"}
            </button>
            {pairingCode.data ? (
              <div style={{ marginTop: 16 }}>
                <div className="pair-code" data-testid="pairing-code">
                  {pairingCode.data.code}
                </div>
                <p className="muted">On the phone: Linked devices → Link a device → Link with phone number instead, then type this code.</p>
              </div>
            ) : null}
            {pairingCode.error ? (
              <div className="form-error" role="alert" style={{ marginTop: 12 }}>
                {errorMessage(pairingCode.error)}
              </div>
            ) : null}
          </form>
        )}
      </div>
    </section>
  );
}
