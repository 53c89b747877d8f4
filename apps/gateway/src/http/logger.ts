// The gateway's pino logger: structured lines, credentials redacted (headers, subscription tokens in URLs).
import { safeError } from "@wa/db/errors";
import pino, { type DestinationStream, type Logger } from "pino";

/** `connectionParams` (and any `token`) in a query string carry credentials: keep the key, drop the value. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:connectionParams|token|api_key|apiKey)=)[^&]*/gi, "$1[redacted]");
}

interface RequestLike {
  method?: string;
  url?: string;
  ip?: string;
  socket?: { remoteAddress?: string };
}

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      redact: {
        paths: [
          "req.headers.authorization",
          'req.headers["x-api-key"]',
          "req.headers.cookie",
          "headers.authorization",
          'headers["x-api-key"]',
          "authorization",
          "token",
          "key",
          "apiKey",
          "password",
          "*.token",
          "*.password",
        ],
        censor: "[redacted]",
      },
      serializers: {
        req: (req: RequestLike) => ({
          method: req.method,
          url: redactUrl(req.url ?? ""),
          remoteAddress: req.ip ?? req.socket?.remoteAddress,
        }),
        // Database errors would otherwise carry query parameters (key hashes, auth state) into the log.
        err: safeError,
      },
    },
    options.destination,
  );
}
