// The simulator's logger: one readable `[sim] …` line per event by default, pino JSON on request.
import pino, { type DestinationStream, type Logger } from "pino";

export type LogFormat = "pretty" | "json";

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
const OMIT = new Set(["level", "time", "msg", "pid", "hostname", "name"]);

const render = (v: unknown): string => {
  if (typeof v === "string") return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v) ?? String(v);
};

/** Turns one pino JSON line into `[sim] HH:MM:SS.mmm LEVEL message key=value …`. */
export function formatLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return `[sim] ${json.trimEnd()}`;
  }
  const time = typeof o.time === "number" ? new Date(o.time).toISOString().slice(11, 23) : "";
  const level = LEVELS[typeof o.level === "number" ? o.level : 30] ?? "INFO";
  const fields = Object.entries(o)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => `${k}=${render(v)}`);
  return ["[sim]", time, level.padEnd(5), String(o.msg ?? ""), ...fields].filter(Boolean).join(" ");
}

function prettyStream(out: NodeJS.WritableStream): DestinationStream {
  return {
    write(line: string) {
      out.write(`${formatLine(line)}\n`);
    },
  };
}

/** A logger for the simulator at `level`, writing to stdout in the given format. */
export function createSimLogger(opts: { level?: string; format?: LogFormat } = {}): Logger {
  const options = { name: "wa-sim", level: opts.level ?? "info" };
  return opts.format === "json" ? pino(options) : pino(options, prettyStream(process.stdout));
}
