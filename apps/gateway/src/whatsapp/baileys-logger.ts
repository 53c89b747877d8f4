// The logger handed to Baileys: bounded lines (protocol nodes and messages reduced to a summary unless the gateway
// logs at debug), and the stream restart WhatsApp asks for after pairing (515) logged as the routine event it is.
import type pino from "pino";

/** Baileys' logger interface (its ILogger), restated so this file needs no Baileys import. */
export interface BaileysLogger {
  level: string;
  child(obj: Record<string, unknown>): BaileysLogger;
  trace(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/** Longest serialized line (fields) kept above debug level; larger fields are summarized first. */
export const MAX_FIELDS_CHARS = 2_000;
const MAX_VALUE_CHARS = 300;

type Level = "trace" | "debug" | "info" | "warn" | "error";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Error);
}

/** A binary node (`{tag, attrs, content}`) reduced to its tag and attributes; content is never kept. */
function summarizeNode(node: Record<string, unknown>): Record<string, unknown> {
  const attrs = isRecord(node.attrs) ? node.attrs : {};
  return { tag: node.tag, attrs: JSON.parse(clip(JSON.stringify(attrs), MAX_VALUE_CHARS, "{}")) as unknown };
}

function clip(text: string, max: number, fallback: string): string {
  if (text.length <= max) return text;
  // a clipped JSON text would not parse: fall back, say how much there was
  return fallback === "{}" ? JSON.stringify({ truncated: text.length }) : `${text.slice(0, max)}… (${text.length} chars)`;
}

function summarizeValue(value: unknown): unknown {
  if (value instanceof Error) {
    const statusCode = (value as { output?: { statusCode?: unknown } }).output?.statusCode;
    return { type: value.name, message: clip(value.message, MAX_VALUE_CHARS, ""), ...(statusCode ? { statusCode } : {}) };
  }
  if (typeof value === "string") return clip(value, MAX_VALUE_CHARS, "");
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (isRecord(value) && typeof value.tag === "string" && "attrs" in value) return summarizeNode(value);
  if (typeof value === "object" && value !== null) {
    let text: string;
    try {
      text = JSON.stringify(value) ?? "";
    } catch {
      return "<unserializable>";
    }
    return text.length <= MAX_VALUE_CHARS ? value : `<${Array.isArray(value) ? "array" : "object"} of ${text.length} chars>`;
  }
  return value;
}

/** The fields of one line above debug: every value bounded, and the whole line under MAX_FIELDS_CHARS. */
export function boundFields(obj: unknown): Record<string, unknown> {
  if (!isRecord(obj)) return obj === undefined ? {} : { value: summarizeValue(obj) };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) out[key] = summarizeValue(value);
  const size = JSON.stringify(out).length;
  return size <= MAX_FIELDS_CHARS ? out : { fields: Object.keys(out), truncated: size };
}

/** The stream error code in Baileys' "stream errored out" line (`reasonNode.attrs.code` or the node's). */
function streamErrorCode(obj: unknown): string | undefined {
  if (!isRecord(obj)) return undefined;
  for (const key of ["reasonNode", "fullErrorNode", "node"]) {
    const node = obj[key];
    if (isRecord(node) && isRecord(node.attrs) && typeof node.attrs.code === "string") return node.attrs.code;
  }
  return undefined;
}

/** Adjusts a line's level: the restart WhatsApp requests after pairing (515) is routine, not an error. */
function levelFor(level: Level, obj: unknown, msg: string | undefined): Level {
  if (level === "error" && msg === "stream errored out" && streamErrorCode(obj) === "515") return "info";
  return level;
}

export function boundedBaileysLogger(target: pino.Logger): BaileysLogger {
  // Full protocol detail only when the operator asked for debug or trace.
  const verbose = target.levelVal <= 20;
  const write = (level: Level, obj: unknown, msg?: string) => {
    const actual = levelFor(level, obj, msg);
    if (typeof obj === "string" && msg === undefined) {
      target[actual](verbose ? obj : clip(obj, MAX_VALUE_CHARS, ""));
      return;
    }
    if (verbose && (actual === "trace" || actual === "debug")) {
      target[actual](isRecord(obj) ? obj : { value: obj }, msg);
      return;
    }
    target[actual](boundFields(obj), msg === undefined ? undefined : clip(msg, MAX_VALUE_CHARS, ""));
  };
  return {
    get level() {
      return target.level;
    },
    child: (bindings) => boundedBaileysLogger(target.child(boundFields(bindings))),
    trace: (obj, msg) => write("trace", obj, msg),
    debug: (obj, msg) => write("debug", obj, msg),
    info: (obj, msg) => write("info", obj, msg),
    warn: (obj, msg) => write("warn", obj, msg),
    error: (obj, msg) => write("error", obj, msg),
  };
}
