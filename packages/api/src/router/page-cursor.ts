// Decoding a list's opaque cursor with its own decoder: absent → first page, not one we issued → 400 on `cursor`.
import { fail } from "../errors.ts";

export function decodePageCursor<T>(cursor: string | undefined, decode: (value: string) => T | null): T | null {
  if (cursor === undefined || cursor === "") return null;
  const decoded = decode(cursor);
  if (decoded === null) {
    throw fail("validation_error", "invalid cursor", { errors: [{ path: "cursor", message: "invalid cursor" }] });
  }
  return decoded;
}
