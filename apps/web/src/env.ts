// The web app's environment, parsed once with zod; a missing or malformed variable stops with one clear line.
import { z } from "zod";
import { parseTrustedProxies } from "./server/auth/client-address.ts";

const url = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ""));

const schema = z.object({
  DATABASE_URL: z.string().min(1, "DATABASE_URL is required"),
  WEB_URL: url.default("http://localhost:3000"),
  GATEWAY_URL: url.default("http://localhost:8080"),
  APP_SECRET: z.string().min(32, "APP_SECRET must be at least 32 characters"),
  WEB_PORT: z.coerce.number().int().min(1).max(65_535).default(3000),
  /**
   * Proxies in front of the web app whose X-Forwarded-For entries are believed: a hop count (e.g. `1`) or a
   * comma-separated list of IPs/CIDRs. Unset: the TCP peer is the client and X-Forwarded-For is ignored.
   */
  TRUSTED_PROXIES: z
    .string()
    .optional()
    .transform((value, ctx) => {
      try {
        return parseTrustedProxies(value);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: error instanceof Error ? error.message : "invalid" });
        return z.NEVER;
      }
    }),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** The repository root, where @wa/db's migrate command lives; default: two levels above the working directory. */
  WA_REPO_ROOT: z.string().min(1).optional(),
});

export type Env = z.infer<typeof schema>;

export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = schema.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new Error(`invalid environment: ${problems}`);
  }
  return result.data;
}

let cached: Env | undefined;

/** Parsed lazily: `next build` imports server modules without the runtime environment. */
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** The log level alone, readable before (and without) the rest: the logger is created when `next build` loads it. */
export const logLevel = (): Env["LOG_LEVEL"] => schema.shape.LOG_LEVEL.catch("info").parse(process.env.LOG_LEVEL);

/** The whole environment, for a child process that must inherit it (PATH, HOME…). */
export const inheritedEnv = (): NodeJS.ProcessEnv => ({ ...process.env });
