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

/** Baileys' fire-and-forget sends that fail because their socket just closed (Boom 428/408). */
function isClosedSocketRejection(reason: unknown): boolean {
  const boom = reason as { isBoom?: unknown; output?: { statusCode?: unknown } } | null;
  const code = boom?.output?.statusCode;
  return boom?.isBoom === true && (code === 428 || code === 408);
}

let guards = 0;
let guardListener: ((reason: unknown) => void) | null = null;

/**
 * Baileys starts some sends without awaiting them; when the socket closes under them they reject with nobody
 * listening, and Node's default would take the whole gateway (every session) down. Those are logged; any other
 * unhandled rejection is rethrown, which keeps Node's default (crash) for real bugs. Returns the uninstaller.
 */
export function guardClosedSocketRejections(log: (reason: unknown) => void): () => void {
  guards += 1;
  if (!guardListener) {
    guardListener = (reason: unknown) => {
      if (isClosedSocketRejection(reason)) {
        log(reason);
        return;
      }
      throw reason;
    };
    process.on("unhandledRejection", guardListener);
  }
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    guards -= 1;
    if (guards === 0 && guardListener) {
      process.off("unhandledRejection", guardListener);
      guardListener = null;
    }
  };
}
