// In-process stream of session changes: each subscriber gets its own queue, filtered by organization/session.
// The gateway publishes to it; the test ports use this very bus, so router tests see the gateway's semantics.
import type { SessionEvent, SessionEvents } from "./ports.ts";

interface Subscriber {
  organizationId: string;
  sessionId?: string;
  push: (event: SessionEvent) => void;
}

/** Bounded per-subscriber queue: a stalled consumer loses its oldest events, never the gateway's memory. */
const MAX_QUEUED = 256;

export class SessionEventBus implements SessionEvents {
  private readonly subscribers = new Set<Subscriber>();

  publish(event: SessionEvent): void {
    for (const sub of this.subscribers) {
      if (sub.organizationId !== event.organizationId) continue;
      if (sub.sessionId && sub.sessionId !== event.sessionId) continue;
      sub.push(event);
    }
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  subscribe(filter: { organizationId: string; sessionId?: string }, signal: AbortSignal): AsyncIterable<SessionEvent> {
    const queue: SessionEvent[] = [];
    let wake: (() => void) | null = null;
    const sub: Subscriber = {
      organizationId: filter.organizationId,
      sessionId: filter.sessionId,
      push: (event) => {
        queue.push(event);
        if (queue.length > MAX_QUEUED) queue.shift();
        wake?.();
      },
    };
    // Registered at once (not on first next()) so nothing published after subscribe() returns is missed.
    if (!signal.aborted) this.subscribers.add(sub);
    const onAbort = () => {
      this.subscribers.delete(sub);
      wake?.();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const subscribers = this.subscribers;
    return {
      [Symbol.asyncIterator]: async function* () {
        try {
          while (!signal.aborted) {
            const next = queue.shift();
            if (next) {
              yield next;
              continue;
            }
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            wake = null;
          }
        } finally {
          subscribers.delete(sub);
          signal.removeEventListener("abort", onAbort);
        }
      },
    };
  }
}
