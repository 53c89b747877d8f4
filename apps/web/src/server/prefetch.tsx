// Server-side first data: the page asks the gateway (with the viewer's JWT) while it renders and ships the answers in
// the HTML, so the browser shows rows without a fetch after hydration. Any failure just leaves it to the browser.
import { dehydrate, HydrationBoundary, QueryClient } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCOptionsProxy, type TRPCOptionsProxy } from "@trpc/tanstack-react-query";
import type { AppRouter } from "@wa/api";
import { cache, type ReactNode } from "react";
import { env } from "../env.ts";
import { tokenForViewer } from "./auth/index.ts";
import { log } from "./log.ts";
import { getViewer } from "./viewer.ts";

/** How long a page waits for the gateway before rendering without data (the browser then fetches it). */
const GATEWAY_WAIT_MS = 1500;

/** The viewer's login JWT for this request: minted once, shared by the layout (for the browser) and the page. */
export const requestToken = cache(async () => {
  const viewer = await getViewer();
  return viewer ? tokenForViewer(viewer) : null;
});

export async function Prefetch({
  load,
  children,
}: {
  load: (trpc: TRPCOptionsProxy<AppRouter>, queryClient: QueryClient) => Promise<unknown>[];
  children: ReactNode;
}) {
  const token = await requestToken();
  if (!token) return <>{children}</>;
  const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: 10_000, retry: false } } });
  const client = createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${env().GATEWAY_URL}/trpc`,
        headers: { authorization: `Bearer ${token.token}` },
        fetch: (url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(GATEWAY_WAIT_MS) }),
      }),
    ],
  });
  const trpc = createTRPCOptionsProxy<AppRouter>({ client, queryClient });
  const started = Date.now();
  await Promise.allSettled(load(trpc, queryClient));
  log.debug({ ms: Date.now() - started }, "server prefetch");
  return <HydrationBoundary state={dehydrate(queryClient)}>{children}</HydrationBoundary>;
}
