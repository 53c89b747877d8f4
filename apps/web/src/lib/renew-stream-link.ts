// A tRPC link that reopens a subscription the gateway ended because its login token expired, so console pages
// stay live past the token's 5 minutes. Other endings (revoked, access removed) reach the page as they are.
import type { TRPCLink } from "@trpc/client";
import type { AnyRouter } from "@trpc/server";
import { observable } from "@trpc/server/observable";

/** The reason of a subscription message that is the stream's final `{type: "ended"}` event, else null. */
export function endedReason(result: unknown): string | null {
  const data = (result as { data?: { data?: unknown } } | null)?.data?.data;
  if (typeof data !== "object" || data === null || !("type" in data) || data.type !== "ended") return null;
  return "reason" in data && typeof data.reason === "string" ? data.reason : "ended";
}

/** `beforeRenew` runs before the stream reopens (drop the cached token, so the new stream gets a fresh one). */
export function renewExpiredStreams<TRouter extends AnyRouter>(beforeRenew: () => void): TRPCLink<TRouter> {
  return () =>
    ({ next, op }) =>
      observable((observer) => {
        if (op.type !== "subscription") return next(op).subscribe(observer);
        let current: { unsubscribe: () => void } | undefined;
        let closed = false;
        const open = () => {
          let renewing = false;
          current = next(op).subscribe({
            next: (value) => {
              if (endedReason(value.result) === "token expired") {
                renewing = true;
                current?.unsubscribe();
                beforeRenew();
                if (!closed) open();
                return;
              }
              observer.next(value);
            },
            error: (error) => observer.error(error),
            complete: () => {
              if (!renewing) observer.complete();
            },
          });
        };
        open();
        return () => {
          closed = true;
          current?.unsubscribe();
        };
      });
}
