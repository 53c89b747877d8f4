// The signed-in console: who you are comes from the web session (server side); the gateway URL is read at runtime
// and handed to the browser, which calls the gateway directly with a short-lived JWT.
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { Header } from "@/components/Header.tsx";
import { env } from "@/env.ts";
import { Providers } from "@/lib/trpc.tsx";
import { requestToken } from "@/server/prefetch.tsx";
import { getViewer } from "@/server/viewer.ts";

export const dynamic = "force-dynamic";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const viewer = await getViewer();
  if (!viewer) {
    // The cookie was there (the proxy let the request through) but names no live session: sign in again, then return.
    const path = (await headers()).get("x-wa-path");
    redirect(path && path.startsWith("/") ? `/sign-in?next=${encodeURIComponent(path)}` : "/sign-in");
  }
  if (!viewer.activeOrganization && !viewer.user.isSuperAdmin) {
    // Removed from (or left) every organization: nothing in the console is theirs any more.
    return (
      <main id="main" className="auth-wrap">
        <section className="card notice" role="alert" data-testid="no-organization">
          <div>
            <h1>No organization</h1>
            <p>You are no longer a member of any organization. Ask an owner for a new invitation link.</p>
            <form action="/api/auth/sign-out" method="post">
              <button type="submit" className="btn btn-sm">
                Sign out
              </button>
            </form>
          </div>
        </section>
      </main>
    );
  }
  const initialToken = await requestToken();
  return (
    // Keyed by the active organization: switching remounts the client state (queries, subscriptions).
    <Providers key={viewer.activeOrganization?.organizationId ?? "none"} gatewayUrl={env().GATEWAY_URL} viewer={viewer} initialToken={initialToken}>
      <Header />
      <main id="main" className="main">
        {children}
      </main>
    </Providers>
  );
}
