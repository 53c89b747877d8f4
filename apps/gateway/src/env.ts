// The gateway's environment, parsed once at boot; a bad variable stops the process with one clear line.
import { minEventRetentionDays } from "@wa/db/contract";
import { createHmac } from "node:crypto";
import { z } from "zod";

const url = z.url({ protocol: /^(https?|wss?)$/ });
const httpUrl = z.url({ protocol: /^https?$/ });
const emptyAsUndefined = (value: unknown) => (value === "" ? undefined : value);

const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    DATABASE_URL: z.preprocess(emptyAsUndefined, z.url({ protocol: /^postgres(ql)?$/ }).optional()),
    GATEWAY_PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
    GATEWAY_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "letters, digits, . _ - (1–64)").default("gw-local-1"),
    WEB_URL: httpUrl.default("http://localhost:3000"),
    GATEWAY_URL: httpUrl.optional(),
    AUTH_JWKS_URL: z.preprocess(emptyAsUndefined, httpUrl.optional()),
    /** Unset: WhatsApp itself. A loopback URL selects the simulator. */
    WA_WS_URL: z.preprocess(emptyAsUndefined, url.optional()),
    /** The simulator's certificate root (base64); fetched from the simulator's /sim/root-key when unset. */
    WA_SIM_ROOT_KEY: z.preprocess(emptyAsUndefined, z.string().optional()),
    ADMIN_PHONE_NUMBER: z.preprocess(emptyAsUndefined, z.string().regex(/^\+?\d{6,15}$/, "digits, E.164").optional()),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** Seals the auth state at rest (and the web app's signing keys): required, the same value on every start. */
    APP_SECRET: z
      .string({ error: "required (npm start generates one into ./.data/); keep it: auth state sealed with it is unreadable without it" })
      .min(32, "at least 32 characters"),
    /** After changing APP_SECRET: the old value, so auth state sealed with it is still read (and sealed again). */
    APP_SECRET_PREVIOUS: z.preprocess(emptyAsUndefined, z.string().min(32, "at least 32 characters").optional()),
    /** 1: webhooks may call loopback, private and link-local addresses (tests, the demo). */
    WEBHOOK_ALLOW_PRIVATE: z.preprocess(emptyAsUndefined, z.enum(["0", "1", "true", "false"]).optional()),
    /** Days events are kept (webhook replay, stream resume); at least 7. */
    EVENT_RETENTION_DAYS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(minEventRetentionDays, `at least ${minEventRetentionDays}`).max(3650).optional()),
    /** Signs calls forwarded between gateways; the same on every gateway. Unset: derived from APP_SECRET. */
    CLUSTER_SECRET: z.preprocess(emptyAsUndefined, z.string().min(32, "at least 32 characters").optional()),
    /** A mail server (`smtp://user:pass@host:587`, `smtps://…:465`): invitations are also sent by mail. */
    SMTP_URL: z.preprocess(emptyAsUndefined, z.url({ protocol: /^smtps?$/, error: "an smtp:// or smtps:// URL" }).optional()),
    /** The From of those mails, e.g. `Acme Ops <ops@acme.example>`; default no-reply@ the web app's host. */
    SMTP_FROM: z.preprocess(emptyAsUndefined, z.string().max(200).optional()),
    /** When set, GET /metrics wants `Authorization: Bearer <METRICS_TOKEN>`. */
    METRICS_TOKEN: z.preprocess(emptyAsUndefined, z.string().min(16, "at least 16 characters").optional()),
  })
  .transform((env) => {
    const webUrl = env.WEB_URL.replace(/\/+$/, "");
    const wsUrl = env.WA_WS_URL ? new URL(env.WA_WS_URL) : null;
    const loopback = wsUrl !== null && ["127.0.0.1", "localhost", "[::1]"].includes(wsUrl.hostname);
    return {
      nodeEnv: env.NODE_ENV,
      databaseUrl: env.DATABASE_URL,
      port: env.GATEWAY_PORT,
      gatewayId: env.GATEWAY_ID,
      webUrl,
      gatewayUrl: (env.GATEWAY_URL ?? `http://localhost:${env.GATEWAY_PORT}`).replace(/\/+$/, ""),
      jwksUrl: env.AUTH_JWKS_URL ?? `${webUrl}/api/auth/jwks`,
      waWsUrl: env.WA_WS_URL,
      /** The simulator's control API (same host and port, under /sim/) when WA_WS_URL is loopback. */
      simulatorHttpUrl: loopback && wsUrl ? `${wsUrl.protocol === "wss:" ? "https:" : "http:"}//${wsUrl.host}` : undefined,
      simulatorRootKey: env.WA_SIM_ROOT_KEY,
      adminPhoneNumber: env.ADMIN_PHONE_NUMBER?.replace(/^\+/, ""),
      logLevel: env.LOG_LEVEL,
      appSecret: env.APP_SECRET,
      appSecretPrevious: env.APP_SECRET_PREVIOUS,
      webhookAllowPrivate: env.WEBHOOK_ALLOW_PRIVATE === "1" || env.WEBHOOK_ALLOW_PRIVATE === "true",
      eventRetentionDays: env.EVENT_RETENTION_DAYS ?? minEventRetentionDays,
      clusterSecret: env.CLUSTER_SECRET ?? createHmac("sha256", env.APP_SECRET).update("wa-gateway cluster forwarding").digest("base64url"),
      metricsToken: env.METRICS_TOKEN,
      smtpUrl: env.SMTP_URL,
      smtpFrom: env.SMTP_FROM,
    };
  });

export type GatewayEnv = z.infer<typeof envSchema>;

/** Parses the given variables; throws an Error whose message is one line naming each bad variable. */
export function parseEnv(source: Record<string, string | undefined>): GatewayEnv {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "env"}: ${issue.message}`);
  throw new Error(`invalid gateway environment: ${problems.join("; ")}`);
}

/** The process's environment, parsed: the gateway's only read of `process.env`. */
export const readEnv = (): GatewayEnv => parseEnv(process.env);
