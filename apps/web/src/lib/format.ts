// Display helpers: relative and exact times, phone numbers, durations.
const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const exact = new Intl.DateTimeFormat("en-GB", {
  year: "numeric",
  month: "short",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  timeZoneName: "short",
});
const short = new Intl.DateTimeFormat("en-GB", { year: "numeric", month: "short", day: "2-digit" });

export const formatExact = (ms: number): string => exact.format(new Date(ms));
export const formatDate = (ms: number): string => short.format(new Date(ms));

export function formatRelative(ms: number, now: number = Date.now()): string {
  const diff = ms - now;
  const abs = Math.abs(diff);
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["year", 365 * 86_400_000],
    ["month", 30 * 86_400_000],
    ["week", 7 * 86_400_000],
    ["day", 86_400_000],
    ["hour", 3_600_000],
    ["minute", 60_000],
  ];
  for (const [unit, size] of units) {
    if (abs >= size) return rtf.format(Math.round(diff / size), unit);
  }
  return abs < 10_000 ? "just now" : rtf.format(Math.round(diff / 1000), "second");
}

export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

export const formatPhone = (digits: string | null): string => (digits ? `+${digits}` : "—");
export const formatCount = (n: number): string => n.toLocaleString("en-US");

export const statusLabels: Record<string, string> = {
  starting: "Starting",
  scan_qr_code: "Scan QR code",
  working: "Working",
  failed: "Failed",
  stopped: "Stopped",
  logged_out: "Logged out",
  running: "Running",
  succeeded: "Succeeded",
};
