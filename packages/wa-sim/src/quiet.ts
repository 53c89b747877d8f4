// Keeps libsignal's console dumps (whole session records, key material included) out of logs.
/**
 * libsignal prints session records with console.info ("Closing session: SessionEntry {…}") and a few warnings with
 * console.warn. Those records hold key material and flood the output, so this drops exactly those lines.
 */
let muted = false;

export function muteLibsignalNoise(): void {
  if (muted) return;
  muted = true;
  /* eslint-disable no-console -- this wraps console on purpose */
  const noise = /^(Closing session|Closing open session|Removing old closed session|Opening session|Session already closed|Migrating session|Decrypted message with closed session)/;
  for (const level of ["info", "warn"] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      const first = args[0];
      if (typeof first === "string" && noise.test(first)) return;
      original(...args);
    };
  }
  /* eslint-enable no-console */
}
