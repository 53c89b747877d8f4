// Runs once when the Next server boots (Node runtime only): parse the environment, stamp requests with their TCP
// peer (for sign-in rate limits), then apply pending migrations.
export async function register() {
  // Next replaces this very expression at build time to drop the Node-only code from other runtimes, so it
  // cannot move to env.ts.
  // eslint-disable-next-line no-restricted-properties
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { env } = await import("./env.ts");
  env();
  const { installPeerAddressStamp } = await import("./server/auth/peer-address.ts");
  installPeerAddressStamp();
  const { migrateOnBoot } = await import("./server/migrate-on-boot.ts");
  migrateOnBoot();
}
