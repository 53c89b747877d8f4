// Structured logs (pino) for the web server; secrets are never passed in.
import { safeError } from "@wa/db/errors";
import pino from "pino";
import { logLevel } from "../env.ts";

export const log = pino({
  name: "wa-web",
  level: logLevel(),
  redact: { paths: ["password", "token", "*.password", "*.token", "cookie", "*.cookie"], censor: "[redacted]" },
  // Database errors would otherwise carry query parameters (password or token hashes) into the log.
  serializers: { err: safeError },
});
