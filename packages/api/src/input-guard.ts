// What no input may carry, whatever its schema says: text PostgreSQL cannot store, or nesting deeper than any
// procedure needs. Checked on the raw input before the schemas run, so tRPC and REST refuse it alike.
import { unstorableText as UNSTORABLE, unstorableTextRule } from "@wa/db/contract";
import { DomainError } from "./errors.ts";

/** Inputs are at most a few levels deep; deeper JSON is refused rather than walked. */
export const MAX_INPUT_DEPTH = 32;


const refuse = (path: string, message: string) =>
  new DomainError("validation_error", "invalid input", { errors: [{ path, message }] });

/** Throws a `validation_error` naming the first offending field; returns quietly for anything storable. */
export function assertStorableInput(input: unknown): void {
  const pending: { value: unknown; path: string[] }[] = [{ value: input, path: [] }];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const { value, path } = item;
    if (typeof value === "string") {
      if (UNSTORABLE.test(value)) throw refuse(path.join("."), unstorableTextRule);
      continue;
    }
    if (typeof value !== "object" || value === null) continue;
    if (path.length >= MAX_INPUT_DEPTH) throw refuse(path.join("."), `nested deeper than ${MAX_INPUT_DEPTH} levels`);
    for (const [key, child] of Object.entries(value)) {
      if (UNSTORABLE.test(key)) throw refuse(path.join("."), "field names must not contain NUL bytes or unpaired surrogates");
      pending.push({ value: child, path: [...path, key] });
    }
  }
}
