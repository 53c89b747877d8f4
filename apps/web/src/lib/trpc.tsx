"use client";
// The browser's tRPC client: calls the gateway's /trpc directly with a Bearer login JWT (batched HTTP for queries
// and mutations, SSE for subscriptions), refetching the token once when the gateway answers 401.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  TRPCClientError,
  type TRPCLink,
} from "@trpc/client";
import { observable } from "@trpc/server/observable";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@wa/api";
import { createContext, useContext, useState, type ReactNode } from "react";
import { errorCode } from "./errors.ts";
import { renewExpiredStreams } from "./renew-stream-link.ts";
import { tokens } from "./token-source.ts";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type WASession = RouterOutputs["sessions"]["get"];
export type BackfillJob = RouterOutputs["admin"]["sessions"]["backfill"];

/** On a 401 from the gateway the cached token may be stale (key rotation, role change): refetch it and retry once. */
const retryOnUnauthorizedLink: TRPCLink<AppRouter> = () => {
  return ({ next, op }) =>
    observable((observer) => {
      let retried = false;
      let subscription: { unsubscribe: () => void } | undefined;
      const attempt = () => {
        subscription = next(op).subscribe({
          next: (value) => observer.next(value),
          error: (error) => {
            if (!retried && errorCode(error) === "unauthorized") {
              retried = true;
              tokens.invalidate();
              attempt();
              return;
            }
            observer.error(error);
          },
          complete: () => observer.complete(),
        });
      };
      attempt();
      return () => subscription?.unsubscribe();
    });
};

function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: false,
        // Access and validation answers will not change by retrying.
        retry: (count, error) => {
          const code = error instanceof TRPCClientError ? errorCode(error) : null;
          if (code && code !== "network" && code !== "gateway_unavailable" && code !== "internal") return false;
          return count < 2;
        },
      },
    },
  });
}

export interface Viewer {
  user: { id: string; email: string; name: string; isSuperAdmin: boolean };
  organizations: { organizationId: string; organizationName: string; role: "owner" | "admin" | "member" }[];
  activeOrganization: { organizationId: string; organizationName: string; role: "owner" | "admin" | "member" } | null;
}

const ConsoleContext = createContext<{ viewer: Viewer; gatewayUrl: string } | null>(null);

export function useConsole() {
  const value = useContext(ConsoleContext);
  if (!value) throw new Error("useConsole outside <Providers>");
  return value;
}

export function Providers({
  gatewayUrl,
  viewer,
  initialToken,
  children,
}: {
  gatewayUrl: string;
  viewer: Viewer;
  /** Minted during the server render, so the first gateway call needs no token round trip. */
  initialToken: { token: string; expiresAt: number } | null;
  children: ReactNode;
}) {
  useState(() => {
    if (initialToken && typeof window !== "undefined") tokens.prime(initialToken);
  });
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() => {
    const url = `${gatewayUrl}/trpc`;
    return createTRPCClient<AppRouter>({
      links: [
        renewExpiredStreams(() => tokens.invalidate()),
        retryOnUnauthorizedLink,
        splitLink({
          condition: (op) => op.type === "subscription",
          true: httpSubscriptionLink({
            url,
            connectionParams: async () => ({ token: await tokens.get() }),
          }),
          false: httpBatchLink({
            url,
            maxItems: 10,
            headers: async () => ({ authorization: `Bearer ${await tokens.get()}` }),
          }),
        }),
      ],
    });
  });
  return (
    <ConsoleContext.Provider value={{ viewer, gatewayUrl }}>
      <QueryClientProvider client={queryClient}>
        <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
          {children}
        </TRPCProvider>
      </QueryClientProvider>
    </ConsoleContext.Provider>
  );
}
