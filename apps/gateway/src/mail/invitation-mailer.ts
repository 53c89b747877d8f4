// Invitations by mail, when SMTP_URL names a mail server: the link the console shows, sent to the invited address.
// The message carries the single-use link, so it is never logged; failures are reported in words without the URL's
// credentials (the invitation stands either way, and its link is shown to copy).
import type { InvitationMail, InvitationMailer } from "@wa/api";
import nodemailer from "nodemailer";

export interface InvitationMailerOptions {
  /** `smtp://user:pass@host:587` or `smtps://…:465` (nodemailer's connection URL). */
  smtpUrl: string;
  /** The From header; default `WA Gateway <no-reply@…>` on the web app's host. */
  from?: string;
  /** The web app's public URL, which the link's path is joined to. */
  webUrl: string;
  /** Connect, greeting and socket timeouts (default 10 s each): a call waits at most about this long for the mail. */
  timeoutMs?: number;
}

const roleWords = { owner: "an owner", admin: "an admin", member: "a member" } as const;

/** The message of an invitation: subject, plain text and a small HTML part with the same words. */
export function invitationMessage(mail: InvitationMail, webUrl: string): { subject: string; text: string; html: string } {
  const link = `${webUrl.replace(/\/+$/, "")}${mail.path}`;
  const expires = mail.expiresAt.toUTCString();
  const subject = `${mail.inviterName} invited you to ${mail.organizationName} on WA Gateway`;
  const text = [
    `${mail.inviterName} invited you to join ${mail.organizationName} as ${roleWords[mail.role]}.`,
    "",
    `Accept: ${link}`,
    "",
    `The link works once and expires ${expires}. If you did not expect this invitation, ignore this message.`,
  ].join("\n");
  const escape = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = [
    `<p>${escape(mail.inviterName)} invited you to join <strong>${escape(mail.organizationName)}</strong> as ${roleWords[mail.role]}.</p>`,
    `<p><a href="${escape(link)}">Accept the invitation</a></p>`,
    `<p>The link works once and expires ${escape(expires)}. If you did not expect this invitation, ignore this message.</p>`,
  ].join("\n");
  return { subject, text, html };
}

/** A short reason for a failed send: nodemailer's message with anything URL-like (which may hold a password) cut. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  const words = message.replace(/\b[a-z]+:\/\/\S+/gi, "<url>").split("\n")[0]?.slice(0, 160) ?? "unknown error";
  return `mail server refused or unreachable${typeof code === "string" ? ` (${code})` : ""}: ${words}`;
}

export function createInvitationMailer(options: InvitationMailerOptions): InvitationMailer & { close(): void } {
  const timeout = options.timeoutMs ?? 10_000;
  const transport = nodemailer.createTransport({
    url: options.smtpUrl,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  const from = options.from ?? `WA Gateway <no-reply@${new URL(options.webUrl).hostname}>`;
  return {
    async send(mail) {
      const message = invitationMessage(mail, options.webUrl);
      try {
        await transport.sendMail({ from, to: mail.to, ...message });
      } catch (error) {
        throw new Error(reasonOf(error));
      }
    },
    close: () => transport.close(),
  };
}
