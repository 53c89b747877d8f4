// What the router needs from the gateway that holds the WhatsApp connections. The gateway implements these;
// this package never imports Baileys.
import type { BackfillJob, SendResult, SessionQr, SessionStatus, WaSessionOutput } from "./schemas.ts";
import type { Executor } from "@wa/db";

/**
 * Controls one gateway's live sessions. Each call returns once the change is under way and its new status is
 * persisted (e.g. `start` returns with the row at `starting`); later changes arrive through `SessionEvents`.
 * Errors are `DomainError`s: `conflict` when the session is not in a state that allows the call.
 */
export interface SessionControl {
  start(sessionId: string): Promise<void>;
  stop(sessionId: string): Promise<void>;
  restart(sessionId: string): Promise<void>;
  /** Unlinks the device (if paired), wipes the auth state, status `logged_out`. */
  logout(sessionId: string): Promise<void>;
  /** Stops the socket and logs out if paired; the caller deletes the row afterwards. */
  remove(sessionId: string): Promise<void>;
  /** The current QR; `conflict` when the session is not waiting for a scan. */
  getQr(sessionId: string): Promise<SessionQr>;
  /** Links by an 8-character code typed on the phone instead of a QR. */
  requestPairingCode(sessionId: string, phoneNumber: string): Promise<{ code: string }>;
  /**
   * Present only when the gateway is wired to the simulator: hands the current QR to a simulated phone,
   * as a person scanning it would.
   */
  simulateScan?: (sessionId: string) => Promise<{ phoneNumber: string }>;
}

/**
 * Per-session backfill jobs, held in memory by the gateway that holds the session. Like `SessionControl`, both
 * calls answer `not_found` for an unknown session and `gateway_unavailable` for one held by another gateway.
 */
export interface BackfillService {
  /** Starts a job and returns it running; `conflict` when one already runs for the session. */
  start(sessionId: string): Promise<BackfillJob>;
  /** The running job, else the last finished one; null when none since the gateway started. */
  get(sessionId: string): Promise<BackfillJob | null>;
}

export interface SessionEvent {
  sessionId: string;
  organizationId: string;
  status: SessionStatus;
  /** Present while status is `scan_qr_code` and a QR is current. */
  qr: SessionQr | null;
  session: WaSessionOutput;
  at: number;
}

/** Live session changes (status, QR), for the console's subscription. */
export interface SessionEvents {
  /** Changes of one organization's sessions (or of one session); ends when the signal aborts. */
  subscribe(filter: { organizationId: string; sessionId?: string }, signal: AbortSignal): AsyncIterable<SessionEvent>;
}

/** What the webhooks router needs from the gateway: its APP_SECRET (to seal secrets) and its SSRF policy. */
export interface WebhookPort {
  /** Seals a webhook's signing secret for storage, bound to the webhook's id. */
  sealSecret(webhookId: string, secret: string): string;
  /** Refuses (`validation_error` on `url`) a URL the gateway would not deliver to. */
  checkUrl(url: string): Promise<void>;
}

/** A text to send, already validated and authorized; `chatJid` normalized (digits became a phone-number JID). */
export interface SendRequest {
  organizationId: string;
  sessionId: string;
  chatJid: string;
  text: string;
  /** WhatsApp id of the message it replies to. */
  replyTo: string | null;
  mentions: string[];
  async: boolean;
  idempotencyKey: string | null;
  /** Fingerprint of the request (session, recipient, content, mode): the same key with another one is a conflict. */
  requestHash: string;
}

/** The REST status of a send's answer (200 sync, 202 async; a replay answers its first one's). */
export interface SendOutcome {
  httpStatus: 200 | 202;
  result: SendResult;
}

/**
 * Sending and chat actions through the session's live connection, on the gateway that holds it. Errors are
 * `DomainError`s: `conflict` (not working, sync), `rate_limited` (sync, `details.retryAfterMs`), `conflict` (an
 * Idempotency-Key reused with another request), `gateway_unavailable` (held elsewhere, or WhatsApp did not answer).
 */
export interface MessagingService {
  send(request: SendRequest): Promise<SendOutcome>;
  /** Read receipts for the chat's unread messages; returns how many were marked. */
  markChatRead(sessionId: string, chatJid: string): Promise<number>;
  setChatPresence(sessionId: string, chatJid: string, state: "composing" | "recording" | "paused"): Promise<void>;
}

/** An invitation to send by mail: whom it is for, what it grants, and the web app path of its single-use link. */
export interface InvitationMail {
  to: string;
  organizationName: string;
  inviterName: string;
  role: "owner" | "admin" | "member";
  /** `/invite/<token>`: the mailer prefixes the web app's URL. */
  path: string;
  expiresAt: Date;
}

/** Sends invitations by mail (SMTP_URL set); rejects with a short reason that names no secret. */
export interface InvitationMailer {
  send(mail: InvitationMail): Promise<void>;
}

export interface GatewayPorts {
  gatewayId: string;
  /**
   * The gateway a session inserted in `tx` is placed on (the least-loaded live one); absent: this one. A session
   * created through any transport is then started by its holder.
   */
  placeNewSession?: (tx: Executor) => Promise<string>;
  sessions: SessionControl;
  backfill: BackfillService;
  events: SessionEvents;
  webhooks: WebhookPort;
  /** Absent on a gateway without WhatsApp connections (router tests): the messaging routes answer 409 (not working). */
  messaging?: MessagingService;
  /** Absent without a mail server: invitation links are only shown to copy. */
  invitationMail?: InvitationMailer;
}
