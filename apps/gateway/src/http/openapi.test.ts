// The OpenAPI document: clean under `redocly lint` (recommended rules), statuses from each route's own meta,
// and the facts a script needs (login JWTs for admin routes, limit's default and maximum, backfill in memory).
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { createDbClient } from "@wa/db";
import { createFakePorts } from "@wa/api/testing";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { errorStatusesOf, restRoutes } from "./rest-routes.ts";
import { createServer } from "./server.ts";

interface Op {
  description?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; schema: Record<string, unknown>; description?: string }[];
  responses: Record<string, unknown>;
}
type Doc = {
  paths: Record<string, Record<string, Op>>;
  components: { securitySchemes: Record<string, { description?: string }> };
};

const routes = restRoutes();
const build = () => buildOpenApiDocument({ baseUrl: "http://127.0.0.1:8080/api/v1", routes }) as unknown as Doc;

describe("OpenAPI document", () => {
  it("[OPENAPI][LINT]: passes `redocly lint` with the recommended rules: no error, no warning", async () => {
    const dir = await mkdtemp(join(tmpdir(), "openapi-lint-"));
    try {
      const file = join(dir, "openapi.json");
      await writeFile(file, JSON.stringify(build()));
      const cli = createRequire(import.meta.url).resolve("@redocly/cli/bin/cli.js");
      const { stdout } = await promisify(execFile)(process.execPath, [cli, "lint", file, "--extends", "recommended", "--format", "json"], {
        env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
        maxBuffer: 16 * 1024 * 1024,
      });
      const report = JSON.parse(stdout.slice(stdout.indexOf("{"))) as { totals: { errors: number; warnings: number }; problems: unknown[] };
      expect(report.problems, JSON.stringify(report.problems, null, 2)).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("[OPENAPI][META]: each operation lists exactly the statuses its route declares, plus those of its transport", () => {
    const doc = build();
    for (const route of routes) {
      const op = doc.paths[route.template]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.template}`).toBeDefined();
      const expected = [String(route.successStatus), ...(route.mapping.alsoSucceedsWith ?? []).map(String), ...Object.keys(errorStatusesOf(route))].sort();
      expect(Object.keys(op?.responses ?? {}).sort(), `${route.method} ${route.template}`).toEqual(expected);
    }
    // Route facts come from the meta: a 404/409 appears where the procedure declares it, nowhere else.
    const statuses = (path: string, method: string) => Object.keys(doc.paths[path]?.[method]?.responses ?? {});
    expect(statuses("/sessions/{session}", "get")).toContain("404");
    expect(statuses("/sessions", "get")).not.toContain("404");
    expect(statuses("/sessions/{session}:start", "post")).toEqual(expect.arrayContaining(["404", "409"]));
    expect(statuses("/sessions/{session}", "patch")).not.toContain("409");
    expect(statuses("/admin/sessions/{session}:backfill", "post")).toEqual(expect.arrayContaining(["202", "404", "409"]));
    expect(statuses("/system/info", "get").sort()).toEqual(["200", "400", "500"]);
    expect(doc.paths["/system/info"]?.get?.security).toEqual([]);
  });

  it("[OPENAPI][DOCS]: login JWTs for scripts, api-keys refused on admin routes, limit 50/200, backfill in memory", () => {
    const doc = build();
    expect(doc.components.securitySchemes.bearer?.description).toMatch(/GET \/api\/auth\/token/);
    expect(doc.components.securitySchemes.bearer?.description).toMatch(/sign-in/);
    const adminOps = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith("/admin/") || path.startsWith("/api-keys"))
      .flatMap(([path, item]) => Object.entries(item).map(([method, op]) => [`${method} ${path}`, op] as const));
    expect(adminOps.length).toBeGreaterThanOrEqual(9);
    for (const [name, op] of adminOps) {
      expect(op.description, name).toMatch(/GET \/api\/auth\/token/);
      expect(op.description, name).toMatch(/Api-keys .*refused \(403\)/);
    }
    for (const path of ["/admin/sessions/{session}:backfill", "/admin/sessions/{session}/backfill"]) {
      const op = Object.values(doc.paths[path] ?? {})[0];
      expect(op?.description, path).toMatch(/memory: a restart forgets them/);
    }
    for (const path of ["/sessions", "/admin/sessions"]) {
      const limit = doc.paths[path]?.get?.parameters?.find((p) => p.name === "limit");
      expect(limit?.schema).toMatchObject({ type: "integer", minimum: 1, maximum: 200, default: 50 });
      expect(limit?.description).toMatch(/clamped/);
    }
  });

  it("[FASTIFY]: starting the server emits no deprecation warning (FSTDEP023)", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(`${w.code ?? w.name}: ${w.message}`);
    process.on("warning", onWarning);
    const db = createDbClient("postgres://postgres@127.0.0.1:9/none", { max: 1 });
    try {
      const server = await createServer({
        db,
        ports: createFakePorts({ db: db.db }),
        env: { port: 0, webUrl: "http://localhost:3000", jwksUrl: "http://127.0.0.1:9/jwks" },
        logger: createLogger({ level: "silent" }),
      });
      await server.start();
      await server.stop();
      // process warnings are emitted on the next tick
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
      await db.close();
    }
    expect(warnings.filter((w) => w.startsWith("FSTDEP"))).toEqual([]);
  });
});
