"use client";
// "3 minutes ago", with the exact time on hover; re-renders every 30 s so it stays true.
import { useEffect, useState } from "react";
import { formatExact, formatRelative } from "@/lib/format.ts";

export function RelativeTime({ ms, empty = "—" }: { ms: number | null; empty?: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  if (ms === null) return <span className="muted">{empty}</span>;
  return (
    // Rendered on the server too: its clock and time zone may differ from the browser's, and the browser's wins.
    <time dateTime={new Date(ms).toISOString()} title={formatExact(ms)} suppressHydrationWarning>
      {formatRelative(ms, now)}
    </time>
  );
}
