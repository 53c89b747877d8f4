// Opaque keyset cursors for the smaller lists (members, invitations, audit, organizations): a tuple of strings and
// epoch-ms numbers, JSON in base64url. Decoding checks the shape, so a forged cursor is refused, never queried.
export type CursorPart = "string" | "ms";

const LAST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export function encodeCursor(parts: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString("base64url");
}

/** The cursor's parts when they match `shape`, else null. */
export function decodeCursor(value: string, shape: readonly CursorPart[]): (string | number)[] | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
    if (!Array.isArray(parsed) || parsed.length !== shape.length) return null;
    for (const [i, kind] of shape.entries()) {
      const part: unknown = parsed[i];
      if (kind === "ms" && !(typeof part === "number" && Number.isSafeInteger(part) && part >= 0 && part <= LAST_MS)) return null;
      if (kind === "string" && !(typeof part === "string" && part.length > 0 && part.length <= 200 && !part.includes("\u0000"))) {
        return null;
      }
    }
    return parsed as (string | number)[];
  } catch {
    return null;
  }
}
