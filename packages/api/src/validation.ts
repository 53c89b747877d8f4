// One value checked against a contract schema outside a procedure's input (e.g. by the gateway), failing with the
// very `validation_error` body a procedure's input would: `details.errors` of `{ path, message }`.
import type { z } from "zod";
import { DomainError, fieldErrors } from "./errors.ts";

export function parseField<T>(schema: z.ZodType<T>, path: string, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ ...issue, path: [path, ...issue.path] }));
  throw new DomainError("validation_error", "invalid input", { errors: fieldErrors(issues) });
}
