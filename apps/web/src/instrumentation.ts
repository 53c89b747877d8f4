// Runs once when the Next server boots (Node runtime only): parse the environment, stamp requests with their TCP
// peer (for sign-in rate limits), then apply pending migrations.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { env } = await import("./env.ts");
  env();
  const { installPeerAddressStamp } = await import("./server/auth/peer-address.ts");
  installPeerAddressStamp();
  const { migrateOnBoot } = await import("./server/migrate-on-boot.ts");
  migrateOnBoot();
}
