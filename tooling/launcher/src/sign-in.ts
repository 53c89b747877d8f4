// Signing in as a person would, for scripts: the web app's sign-in sets a session cookie; /api/auth/token
// turns that cookie into a short-lived login JWT for the gateway.

export interface SessionCookie {
  name: string;
  value: string;
  /** `name=value`, ready for a Cookie header. */
  header: string;
}

export async function signInCookie(webUrl: string, email: string, password: string): Promise<SessionCookie> {
  const res = await fetch(`${webUrl}/api/auth/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in of ${email} failed: HTTP ${res.status} ${await res.text()}`);
  const header = res.headers.getSetCookie().map((c) => c.split(";")[0] ?? "").find((c) => c.includes("=")) ?? "";
  const [name, ...rest] = header.split("=");
  const value = rest.join("=");
  if (!name || !value) throw new Error(`sign-in of ${email} set no cookie`);
  return { name, value, header };
}

/** A login JWT for `email` (valid for minutes; ask again rather than keeping it). */
export async function loginToken(webUrl: string, email: string, password: string): Promise<string> {
  const cookie = await signInCookie(webUrl, email, password);
  const res = await fetch(`${webUrl}/api/auth/token`, { headers: { cookie: cookie.header } });
  if (res.status !== 200) throw new Error(`token for ${email} failed: HTTP ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}
