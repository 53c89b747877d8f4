// For tests and benchmarks: a local webhook receiver that records each request (headers, body, time) and answers
// as the test decides (a status, or never).
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What to answer to the n-th request (0-based): a status code (after a delay), or "hang" to never answer. */
export type Answer = (n: number, request: ReceivedRequest) => number | "hang" | { status: number; delayMs: number };

export interface TestReceiver {
  url: string;
  port: number;
  received: ReceivedRequest[];
  answer: Answer;
  /** Resolves once `count` requests arrived (rejects after the timeout). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startTestReceiver(answer: Answer = () => 200): Promise<TestReceiver> {
  const received: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() };
      const n = received.length;
      received.push(request);
      for (const w of waiters) w();
      const answer = receiver.answer(n, request);
      if (answer === "hang") return;
      const { status, delayMs } = typeof answer === "number" ? { status: answer, delayMs: 0 } : answer;
      setTimeout(() => res.writeHead(status, { "content-type": "text/plain" }).end("ok"), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no address");
  const receiver: TestReceiver = {
    url: `http://127.0.0.1:${address.port}/hook`,
    port: address.port,
    received,
    answer,
    waitFor(count, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve([...received]);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver got ${received.length} of ${count} requests within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}
