// The console's subscriptions outlive a login token: an `ended: token expired` event reopens the stream.
import type { Operation, OperationResultEnvelope, TRPCClientError } from "@trpc/client";
import type { AnyRouter } from "@trpc/server";
import { observable, type Observable } from "@trpc/server/observable";
import { describe, expect, it } from "vitest";
import { renewExpiredStreams } from "./renew-stream-link.ts";

type Envelope = OperationResultEnvelope<unknown, TRPCClientError<AnyRouter>>;

const op = (type: Operation["type"]): Operation => ({ id: 1, type, path: "sessions.events", input: {}, context: {}, signal: null });
const started: Envelope = { result: { type: "started" } };
const data = (payload: unknown): Envelope => ({ result: { type: "data", id: "x", data: { id: "x", data: payload } } as Envelope["result"] });

/** Runs the link over a transport that plays one script per stream it opens. */
function run(scripts: Envelope[][], type: Operation["type"] = "subscription") {
  let opened = 0;
  let renewals = 0;
  const seen: Envelope[] = [];
  let completed = false;
  const transport = (): Observable<Envelope, TRPCClientError<AnyRouter>> =>
    observable((observer) => {
      const script = scripts[opened] ?? [];
      opened += 1;
      let live = true;
      queueMicrotask(() => {
        for (const envelope of script) if (live) observer.next(envelope);
        if (live) observer.complete();
      });
      return () => {
        live = false;
      };
    });
  const link = renewExpiredStreams<AnyRouter>(() => (renewals += 1))({} as never);
  const subscription = link({ op: op(type), next: transport }).subscribe({
    next: (value) => seen.push(value),
    complete: () => (completed = true),
  });
  return { seen, state: () => ({ opened, renewals, completed }), subscription };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe("renewExpiredStreams", () => {
  it("reopens a stream that ended because its token expired, after dropping the cached token", async () => {
    const event = { sessionId: "s1", status: "working" };
    const { seen, state } = run([
      [started, data({ type: "ended", reason: "token expired", at: 1 })],
      [started, data(event)],
    ]);
    await settle();
    expect(state()).toEqual({ opened: 2, renewals: 1, completed: true });
    expect(seen).toEqual([started, started, data(event)]);
  });

  it("passes other endings through and does not reopen", async () => {
    const revoked = data({ type: "ended", reason: "credential revoked", at: 1 });
    const { seen, state } = run([[started, revoked], [started]]);
    await settle();
    expect(state()).toEqual({ opened: 1, renewals: 0, completed: true });
    expect(seen).toEqual([started, revoked]);
  });

  it("leaves queries and mutations alone", async () => {
    const { seen, state } = run([[data({ type: "ended", reason: "token expired" })]], "query");
    await settle();
    expect(state()).toEqual({ opened: 1, renewals: 0, completed: true });
    expect(seen).toHaveLength(1);
  });
});
