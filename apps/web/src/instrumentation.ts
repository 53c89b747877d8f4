// Runs once when the Next server boots (Node runtime only): parse the environment, then apply pending migrations.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { env } = await import("./env.ts");
  env();
  const { migrateOnBoot } = await import("./server/migrate-on-boot.ts");
  migrateOnBoot();
}
