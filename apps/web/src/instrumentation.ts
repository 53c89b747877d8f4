// Runs once when the Next server boots: applies pending migrations (advisory-locked, safe beside the gateway).
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { runMigrations } = await import("@wa/db");
  const { env } = await import("./env.ts");
  const { log } = await import("./server/log.ts");
  const started = Date.now();
  await runMigrations(env().DATABASE_URL);
  log.info({ ms: Date.now() - started }, "migrations applied");
}
