// Domain errors carry one of the contract's codes; one formatter maps them (and TRPCErrors) to the wire.
import { TRPCError } from "@trpc/server";
import { isDatabaseUnreachable, safeError } from "@wa/db/errors";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { errorCodes, type ErrorCode } from "@wa/db/contract";

export { errorCodes, type ErrorCode };

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export const notFound = (what: string) => new DomainError("not_found", `${what} not found`);
export const conflict = (message: string) => new DomainError("conflict", message);

/** tRPC's code for each contract code, so the tRPC transport answers with the same HTTP status. */
const trpcCodeFor: Record<ErrorCode, TRPC_ERROR_CODE_KEY> = {
  validation_error: "BAD_REQUEST",
  unauthorized: "UNAUTHORIZED",
  forbidden: "FORBIDDEN",
  not_found: "NOT_FOUND",
  method_not_allowed: "METHOD_NOT_SUPPORTED",
  conflict: "CONFLICT",
  payload_too_large: "PAYLOAD_TOO_LARGE",
  // raised by the HTTP layer only, never by a procedure; tRPC has no code of its own for them
  uri_too_long: "BAD_REQUEST",
  headers_too_large: "BAD_REQUEST",
  rate_limited: "TOO_MANY_REQUESTS",
  internal: "INTERNAL_SERVER_ERROR",
  not_implemented: "NOT_IMPLEMENTED",
  gateway_unavailable: "SERVICE_UNAVAILABLE",
};

/** The contract code for an error tRPC (or an adapter) raised itself, without a DomainError behind it. */
const contractCodeFor: Partial<Record<TRPC_ERROR_CODE_KEY, ErrorCode>> = {
  PARSE_ERROR: "validation_error",
  BAD_REQUEST: "validation_error",
  UNSUPPORTED_MEDIA_TYPE: "validation_error",
  UNPROCESSABLE_CONTENT: "validation_error",
  UNAUTHORIZED: "unauthorized",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "not_found",
  METHOD_NOT_SUPPORTED: "method_not_allowed",
  CONFLICT: "conflict",
  PAYLOAD_TOO_LARGE: "payload_too_large",
  TOO_MANY_REQUESTS: "rate_limited",
  NOT_IMPLEMENTED: "not_implemented",
  SERVICE_UNAVAILABLE: "gateway_unavailable",
};

/** A TRPCError that keeps the DomainError as its cause: tRPC picks the status, the formatter picks the code. */
export function toTRPCError(error: DomainError): TRPCError {
  return new TRPCError({ code: trpcCodeFor[error.code], message: error.message, cause: error });
}

export const fail = (code: ErrorCode, message: string, details?: Record<string, unknown>): TRPCError =>
  toTRPCError(new DomainError(code, message, details));

export interface ContractError {
  code: ErrorCode;
  status: number;
  message: string;
  details?: Record<string, unknown>;
}

export const INTERNAL_MESSAGE = "internal error";
export const DATABASE_UNREACHABLE_MESSAGE = "database unreachable; try again shortly";

interface Issue {
  path: readonly PropertyKey[];
  message: string;
}
function isZodLike(value: unknown): value is Error & { issues: Issue[] } {
  return value instanceof Error && value.name === "ZodError" && Array.isArray((value as { issues?: unknown }).issues);
}

/** Field messages for a `validation_error`: `{ path: "a.b", message }` per problem, `path` empty for the body. */
export function fieldErrors(issues: readonly Issue[]): { path: string; message: string }[] {
  return issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
}

/**
 * The one mapping from anything thrown to the contract: DomainErrors keep their code; tRPC input-validation
 * failures become `validation_error` with field messages; everything unexpected is `internal` with a masked
 * message (output validation failures included: they are our bug, not the caller's).
 */
export function toContractError(error: unknown): ContractError {
  const cause = error instanceof TRPCError ? error.cause : undefined;
  const domain = error instanceof DomainError ? error : cause instanceof DomainError ? cause : undefined;
  if (domain) {
    return { code: domain.code, status: errorCodes[domain.code], message: domain.message, ...(domain.details ? { details: domain.details } : {}) };
  }
  if (error instanceof TRPCError) {
    if (error.code === "BAD_REQUEST" && isZodLike(cause)) {
      return {
        code: "validation_error",
        status: 400,
        message: "invalid input",
        details: { errors: fieldErrors(cause.issues) },
      };
    }
    const code = contractCodeFor[error.code];
    if (code && code !== "internal") return { code, status: errorCodes[code], message: error.message };
  }
  // The database being away is not our bug and not the caller's: the gateway is unavailable, try again later.
  if (isDatabaseUnreachable(cause ?? error)) {
    return { code: "gateway_unavailable", status: 503, message: DATABASE_UNREACHABLE_MESSAGE };
  }
  return { code: "internal", status: 500, message: INTERNAL_MESSAGE };
}

/** The contract's error body. */
export const errorBody = (error: Pick<ContractError, "code" | "message" | "details">) => ({
  error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
});

interface ErrorLogger {
  error: (obj: Record<string, unknown>, msg?: string) => void;
  debug: (obj: Record<string, unknown>, msg?: string) => void;
}

/**
 * Logs a failed call once, where the adapters report it: internal errors at error level with what was called
 * and the underlying error's name and message (never a stack, never the input); expected errors at debug.
 */
export function logProcedureError(
  logger: ErrorLogger,
  info: { error: unknown; path?: string | undefined; type?: string; transport: "trpc" | "rest" },
): void {
  const contract = toContractError(info.error);
  const root = info.error instanceof TRPCError && info.error.cause ? info.error.cause : info.error;
  const context = { path: info.path, type: info.type, transport: info.transport, code: contract.code };
  if (contract.code === "internal") {
    // no stack: the message and type say what failed; the query's values (hashes, auth state) never appear
    const { stack: _stack, ...err } = safeError(root);
    logger.error({ ...context, err }, "procedure failed");
  } else {
    logger.debug(context, "procedure refused");
  }
}
