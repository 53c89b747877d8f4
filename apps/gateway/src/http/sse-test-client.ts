// For tests: a tRPC SSE subscription opened with fetch, parsed into its messages, read by waiting for one.

export interface SseMessage {
  event: string;
  id: string | null;
  data: string;
}

export interface EventStream {
  status: number;
  /** The next `data` message whose JSON matches (an error if the stream ends or the deadline passes first). */
  nextData(match: (data: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves once the server closes the stream (or rejects at the deadline); all messages received. */
  ended(timeoutMs?: number): Promise<SseMessage[]>;
  messages: SseMessage[];
  /** Everything received so far, as text. */
  raw(): string;
  close(): void;
}

function parse(block: string): SseMessage | null {
  const message: SseMessage = { event: "message", id: null, data: "" };
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") message.event = value;
    else if (field === "id") message.id = value;
    else if (field === "data") data.push(value);
  }
  message.data = data.join("\n");
  return data.length > 0 || message.event !== "message" ? message : null;
}

/** Opens `sessions.events` with the credential in connectionParams, as the console's EventSource does. */
export async function openEventStream(base: string, token: string, input: Record<string, unknown> = {}): Promise<EventStream> {
  const abort = new AbortController();
  const params = new URLSearchParams({ input: JSON.stringify(input), connectionParams: JSON.stringify({ token }) });
  const res = await fetch(`${base}/trpc/sessions.events?${params.toString()}`, {
    headers: { accept: "text/event-stream" },
    signal: abort.signal,
  });
  const messages: SseMessage[] = [];
  let text = "";
  let buffer = "";
  let done = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of waiters) waiter();
  };

  void (async () => {
    const reader = res.body?.getReader();
    const decoder = new TextDecoder();
    try {
      while (reader) {
        const chunk = await reader.read();
        if (chunk.done) break;
        const decoded = decoder.decode(chunk.value, { stream: true });
        text += decoded;
        buffer += decoded.replace(/\r\n/g, "\n");
        let end = buffer.indexOf("\n\n");
        while (end !== -1) {
          const message = parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (message) messages.push(message);
          end = buffer.indexOf("\n\n");
        }
        wake();
      }
    } catch {
      // aborted by close()
    } finally {
      done = true;
      wake();
    }
  })();

  const waitFor = <T>(find: () => T | undefined, timeoutMs: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found !== undefined) return finish(() => resolve(found));
        if (done) return finish(() => reject(new Error(`stream ended before ${what}; received: ${text.slice(-2000)}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`no ${what} within ${timeoutMs} ms; received: ${text.slice(-2000)}`))), timeoutMs);
      const finish = (then: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        then();
      };
      waiters.add(check);
      check();
    });

  let consumed = 0;
  return {
    status: res.status,
    messages,
    raw: () => text,
    close: () => abort.abort(),
    nextData(match, timeoutMs = 10_000) {
      return waitFor(
        () => {
          for (; consumed < messages.length; consumed++) {
            const message = messages[consumed];
            if (message?.event !== "message") continue;
            const data = JSON.parse(message.data) as Record<string, unknown>;
            if (match(data)) {
              consumed++;
              return data;
            }
          }
          return undefined;
        },
        timeoutMs,
        "matching event",
      );
    },
    ended(timeoutMs = 10_000) {
      return waitFor(() => (done ? [...messages] : undefined), timeoutMs, "end of stream");
    },
  };
}
