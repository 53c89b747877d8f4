// DATABASE_URL checked before anything uses it: each way it can be wrong becomes one line that names the cause
// and where (host, port, database, role) — never the password.
import postgres from "postgres";

export class DatabaseUrlError extends Error {}

interface Target {
  host: string;
  port: string;
  database: string;
  user: string;
}

function parseTarget(url: string): Target {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseUrlError(
      "DATABASE_URL is not a URL; expected postgres://user:password@host:5432/database (or unset it for the embedded database)",
    );
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new DatabaseUrlError(`DATABASE_URL must start with postgres:// (it starts with ${parsed.protocol}//)`);
  }
  return {
    host: parsed.hostname || "localhost",
    port: parsed.port || "5432",
    database: decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username) || "postgres",
    user: decodeURIComponent(parsed.username) || "postgres",
  };
}

/** The one line for a connection failure, from the driver's error code. */
export function describeDatabaseFailure(error: unknown, target: Target): string {
  const where = `${target.host}:${target.port}`;
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case "ECONNREFUSED":
      return `DATABASE_URL: nothing accepts connections at ${where} (connection refused); is PostgreSQL running on that host and port?`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `DATABASE_URL: unknown host "${target.host}" (DNS lookup failed); check the host name`;
    case "ETIMEDOUT":
    case "CONNECT_TIMEOUT":
      return `DATABASE_URL: no answer from ${where} within 10 s (firewall, or wrong host?)`;
    case "3D000":
      return `DATABASE_URL: database "${target.database}" does not exist on ${where}; create it (createdb -h ${target.host} -p ${target.port} ${target.database}) or name another`;
    case "28P01":
      return `DATABASE_URL: password authentication failed for role "${target.user}" at ${where}/${target.database}; check the user and password`;
    case "28000":
      return `DATABASE_URL: role "${target.user}" may not connect to ${where}/${target.database} (role does not exist or pg_hba.conf refuses it)`;
    default: {
      const message = error instanceof Error ? error.message : String(error);
      return `DATABASE_URL: cannot use ${where}/${target.database} as "${target.user}": ${message}${typeof code === "string" ? ` (${code})` : ""}`;
    }
  }
}

/** Connects once and runs `select 1`; throws DatabaseUrlError with the one line when it cannot. */
export async function checkDatabaseUrl(url: string): Promise<void> {
  const target = parseTarget(url);
  const sql = postgres(url, { max: 1, connect_timeout: 10, onnotice: () => {}, connection: { application_name: "wa-launcher-check" } });
  try {
    await sql`select 1`;
  } catch (error) {
    throw new DatabaseUrlError(describeDatabaseFailure(error, target));
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}
