// Invitations by mail: with SMTP_URL the link reaches the invited address through a real SMTP exchange (a local
// server from the nodemailer project), and a mail server that is down leaves the invitation standing with a reason.
import { createServer as createNetServer } from "node:net";
import type { AddressInfo } from "node:net";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../http/test-gateway.ts";
import { createInvitationMailer } from "./invitation-mailer.ts";

interface ReceivedMail {
  from: string;
  to: string[];
  user: string | undefined;
  raw: string;
}

const WEB_URL = "https://console.example.test";
const received: ReceivedMail[] = [];
let smtp: SMTPServer;
let smtpPort: number;
let database: TestDatabase;
let gateway: TestGateway;
let mailer: ReturnType<typeof createInvitationMailer>;

/** A port nothing listens on: opened, noted, closed. */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  smtp = new SMTPServer({
    secure: false,
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    authOptional: true,
    onAuth(auth, _session, callback) {
      if (auth.username === "mailer" && auth.password === "s3cret-pass") callback(null, { user: auth.username });
      else callback(new Error("invalid credentials"));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  mailer = createInvitationMailer({ smtpUrl: `smtp://mailer:s3cret-pass@127.0.0.1:${smtpPort}`, webUrl: WEB_URL, from: "Acme Ops <ops@acme.example>" });
  database = await createTestDatabase();
  gateway = await startTestGateway(database, { invitationMail: mailer });
});

afterAll(async () => {
  await gateway?.stop();
  mailer?.close();
  await database?.close();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
});

/** The message's text, with quoted-printable soft breaks and escapes undone. */
const decoded = (raw: string) =>
  raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

describe("[ORG][INVITATIONS][MAIL]", () => {
  it("sends the single-use link to the invited address, signed in to the mail server, and says so in the answer", async () => {
    const before = received.length;
    const res = await gateway.call("POST", "/api/v1/invitations", {
      token: gateway.tokens.acmeOwner,
      body: { email: "new.colleague@example.org", role: "admin" },
    });
    expect(res.status).toBe(201);
    const body = res.body as { token: string; path: string; email: { status: string; problem: string | null } };
    expect(body.email).toEqual({ status: "sent", problem: null });
    expect(received.length).toBe(before + 1);
    const mail = received.at(-1);
    if (!mail) throw new Error("no mail received");
    expect(mail.to).toEqual(["new.colleague@example.org"]);
    expect(mail.from).toBe("ops@acme.example");
    expect(mail.user).toBe("mailer");
    const text = decoded(mail.raw);
    expect(text).toContain(`${WEB_URL}/invite/${body.token}`);
    expect(text).toMatch(/Subject: .*invited you to Acme/);
    expect(text).toContain("as an admin");
  });

  it("a mail server that is down: the invitation stands, the answer gives the reason without the URL's password", async () => {
    const down = createInvitationMailer({ smtpUrl: `smtp://mailer:s3cret-pass@127.0.0.1:${await closedPort()}`, webUrl: WEB_URL, timeoutMs: 2_000 });
    const other = await startTestGateway(database, { gatewayId: "gw-test-mail-down", invitationMail: down });
    try {
      const res = await other.call("POST", "/api/v1/invitations", {
        token: other.tokens.acmeOwner,
        body: { email: "unmailed@example.org", role: "member" },
      });
      expect(res.status).toBe(201);
      const body = res.body as { invitation: { id: string }; email: { status: string; problem: string } };
      expect(body.email.status).toBe("failed");
      expect(body.email.problem).toMatch(/mail server refused or unreachable/);
      expect(res.text).not.toContain("s3cret-pass");
      const listed = await other.call("GET", "/api/v1/invitations", { token: other.tokens.acmeOwner });
      expect((listed.body as { data: { id: string }[] }).data.map((i) => i.id)).toContain(body.invitation.id);
    } finally {
      await other.stop();
      down.close();
    }
  });

  it("without a mail server the answer's email is null (the link is only shown)", async () => {
    const plain = await startTestGateway(database, { gatewayId: "gw-test-no-mail" });
    try {
      const res = await plain.call("POST", "/api/v1/invitations", {
        token: plain.tokens.acmeOwner,
        body: { email: "copied.link@example.org", role: "member" },
      });
      expect(res.status).toBe(201);
      expect((res.body as { email: unknown }).email).toBeNull();
    } finally {
      await plain.stop();
    }
  });
});
