// Demo mode: a few sessions created and paired through the public API, as a person would do it. The launcher
// signs in as each demo owner, creates a session, reads its QR and hands it to the simulated phone.
import { loginToken } from "./sign-in.ts";

interface DemoOptions {
  webUrl: string;
  gatewayUrl: string;
  simulatorUrl: string;
  demoPassword: string;
}

interface SessionView {
  id: string;
  label: string | null;
  status: string;
  phoneNumber: string | null;
}

/** Large enough that a backfill's counters visibly climb batch by batch in the console. */
const DEMO_SCENARIO = { contacts: 3000, groups: 120, membersPerGroup: 25 };

const DEMO_SESSIONS = [
  { owner: "owner@acme.test", label: "Acme support", scenario: { ...DEMO_SCENARIO, seed: "acme-support" } },
  { owner: "owner@acme.test", label: "Acme sales", scenario: { ...DEMO_SCENARIO, seed: "acme-sales" } },
  { owner: "owner@globex.test", label: "Globex helpdesk", scenario: { ...DEMO_SCENARIO, seed: "globex-helpdesk" } },
];

async function json<T>(res: Response, what: string): Promise<T> {
  const body = (await res.json().catch(() => null)) as unknown;
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body as T;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pairOne(
  opts: DemoOptions,
  token: string,
  label: string,
  scenario: Record<string, number | string>,
): Promise<SessionView> {
  const api = (route: string, init: RequestInit = {}) =>
    fetch(`${opts.gatewayUrl}/api/v1${route}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
    });
  const page = await json<{ data: SessionView[] }>(await api(`/sessions?q=${encodeURIComponent(label)}`), "list");
  let session = page.data.find((s) => s.label === label);
  if (session?.status === "working") return session;
  if (!session) {
    session = await json<SessionView>(
      await api("/sessions", { method: "POST", body: JSON.stringify({ label, start: true }) }),
      "create session",
    );
  } else if (session.status !== "scan_qr_code" && session.status !== "starting") {
    session = await json<SessionView>(await api(`/sessions/${session.id}:start`, { method: "POST" }), "start");
  }
  const deadline = Date.now() + 120_000;
  let scanned = false;
  while (Date.now() < deadline) {
    const current = await json<SessionView>(await api(`/sessions/${session.id}`), "get session");
    if (current.status === "working") return current;
    if (!scanned && current.status === "scan_qr_code") {
      const qr = await api(`/sessions/${session.id}/qr`);
      if (qr.ok) {
        const { qr: code } = (await qr.json()) as { qr: string };
        await json(
          await fetch(`${opts.simulatorUrl}/sim/scan`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ qr: code, scenario }),
          }),
          "simulated scan",
        );
        scanned = true;
      }
    }
    await sleep(300);
  }
  throw new Error(`demo session "${label}" did not reach working within 120 s`);
}

export async function pairDemoSessions(opts: DemoOptions): Promise<string[]> {
  const tokens = new Map<string, string>();
  const lines = ["", "Demo sessions (paired with simulated phones):"];
  for (const { owner, label, scenario } of DEMO_SESSIONS) {
    let token = tokens.get(owner);
    if (!token) {
      token = await loginToken(opts.webUrl, owner, opts.demoPassword);
      tokens.set(owner, token);
    }
    const session = await pairOne(opts, token, label, scenario);
    lines.push(`  ${label.padEnd(16)} ${session.status.padEnd(8)} +${session.phoneNumber ?? "?"}  (${owner})`);
  }
  return lines;
}
