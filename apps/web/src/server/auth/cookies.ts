// The web session cookie: a random token in an httpOnly SameSite=Lax cookie; the database stores its SHA-256 only.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SESSION_COOKIE = "wa_session";
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export const newSessionToken = (): string => randomBytes(32).toString("base64url");
export const hashSessionToken = (token: string): string => createHash("sha256").update(token).digest("hex");

/** A token of the shape this module issues; anything else is not looked up. */
export const isWellFormedToken = (token: string): boolean => /^[A-Za-z0-9_-]{43}$/.test(token);

export function readCookie(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export function sessionCookie(token: string, webUrl: string, maxAgeSeconds: number): string {
  const secure = webUrl.startsWith("https:") ? "; Secure" : "";
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure}`;
}

export const clearedSessionCookie = (webUrl: string): string => sessionCookie("", webUrl, 0);

/**
 * The device cookie: proof that this browser signed in to an account before (an HMAC of the account under
 * APP_SECRET). It only lets a correct password through that account's lockout; it grants nothing by itself.
 */
export const DEVICE_COOKIE = "wa_device";
const DEVICE_TTL_SECONDS = 180 * 24 * 60 * 60;

const deviceProof = (secret: string, account: string): string =>
  createHmac("sha256", secret).update(`wa-device\0${account}`).digest("base64url");

export function deviceCookie(secret: string, account: string, webUrl: string): string {
  const secure = webUrl.startsWith("https:") ? "; Secure" : "";
  return `${DEVICE_COOKIE}=${deviceProof(secret, account)}; Path=/api/auth; HttpOnly; SameSite=Lax; Max-Age=${DEVICE_TTL_SECONDS}${secure}`;
}

/** Whether the request carries the device cookie of this account. */
export function hasDeviceCookie(cookieHeader: string | null, secret: string, account: string): boolean {
  const presented = readCookie(cookieHeader, DEVICE_COOKIE);
  if (!presented) return false;
  const expected = Buffer.from(deviceProof(secret, account));
  const actual = Buffer.from(presented);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
