// libsignal prints whole session records with console.info ("Closing session: …"): noise, and key material.
const NOISY = /^(Closing session|Opening session|Removing old closed session|Migrating session)/;
let installed = false;

export function quietLibsignal(): void {
  if (installed) return;
  installed = true;
  /* eslint-disable no-console -- wrapping console.info is the only way to silence libsignal */
  const original = console.info.bind(console);
  console.info = (...args: unknown[]) => {
    if (typeof args[0] === "string" && NOISY.test(args[0])) return;
    original(...args);
  };
  /* eslint-enable no-console */
}
