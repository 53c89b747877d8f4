import { describe, expect, it } from "vitest";
import { parseEnv } from "./env.ts";

const SECRET = { APP_SECRET: "s".repeat(32) };

describe("gateway env", () => {
  it("[ENV]: defaults follow the contract; JWKS URL derives from WEB_URL; a loopback WA_WS_URL selects the simulator", () => {
    const env = parseEnv({ ...SECRET, DATABASE_URL: "postgres://u@127.0.0.1:5432/db" });
    expect(env).toMatchObject({
      port: 8080,
      gatewayId: "gw-local-1",
      webUrl: "http://localhost:3000",
      jwksUrl: "http://localhost:3000/api/auth/jwks",
      gatewayUrl: "http://localhost:8080",
      simulatorHttpUrl: undefined,
    });
    const sim = parseEnv({ ...SECRET, WA_WS_URL: "ws://127.0.0.1:7000/ws/chat", WEB_URL: "http://127.0.0.1:3001/", ADMIN_PHONE_NUMBER: "+6281234567890" });
    expect(sim).toMatchObject({
      simulatorHttpUrl: "http://127.0.0.1:7000",
      jwksUrl: "http://127.0.0.1:3001/api/auth/jwks",
      adminPhoneNumber: "6281234567890",
    });
    expect(parseEnv({ ...SECRET, WA_WS_URL: "wss://web.whatsapp.com/ws/chat" }).simulatorHttpUrl).toBeUndefined();
  });

  it("[ENV]: bad variables stop with one line naming each", () => {
    let message = "";
    try {
      parseEnv({ GATEWAY_PORT: "eighty", WEB_URL: "not a url", DATABASE_URL: "mysql://x" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toContain("\n");
    expect(message).toMatch(/^invalid gateway environment: /);
    for (const name of ["GATEWAY_PORT", "WEB_URL", "DATABASE_URL"]) expect(message).toContain(name);
  });

  it("[ENV]: SMTP_URL is an smtp:// or smtps:// URL, optional (empty counts as unset)", () => {
    expect(parseEnv({ ...SECRET, SMTP_URL: "smtps://u:p@mail.example:465", SMTP_FROM: "Ops <ops@x.example>" })).toMatchObject({
      smtpUrl: "smtps://u:p@mail.example:465",
      smtpFrom: "Ops <ops@x.example>",
    });
    expect(parseEnv({ ...SECRET, SMTP_URL: "" }).smtpUrl).toBeUndefined();
    expect(() => parseEnv({ ...SECRET, SMTP_URL: "http://mail.example" })).toThrow(/SMTP_URL: an smtp:\/\/ or smtps:\/\/ URL/);
  });

  it("[ENV]: APP_SECRET is required (at least 32 characters), APP_SECRET_PREVIOUS optional", () => {
    expect(() => parseEnv({})).toThrow(/APP_SECRET: required/);
    expect(() => parseEnv({ APP_SECRET: "short" })).toThrow(/APP_SECRET: at least 32 characters/);
    expect(parseEnv({ ...SECRET, APP_SECRET_PREVIOUS: "" })).toMatchObject({ appSecret: SECRET.APP_SECRET, appSecretPrevious: undefined });
    expect(parseEnv({ ...SECRET, APP_SECRET_PREVIOUS: "p".repeat(32) }).appSecretPrevious).toBe("p".repeat(32));
  });
});
