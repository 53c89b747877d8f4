// `next build` of the web console into a build folder of its own, skipped while the last build is newer than
// every source file (the e2e harness and the console benchmark serve their own build, never `npm start`'s).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./paths.ts";
import { webDir } from "./stack.ts";

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds the web app into `distDir` (relative to apps/web) unless that build is up to date. */
export function ensureWebBuild(distDir: string): void {
  const buildId = path.join(webDir, distDir, "BUILD_ID");
  const sourcesChanged = () =>
    Math.max(newestMtime(path.join(webDir, "src")), statSync(path.join(webDir, "next.config.ts")).mtimeMs) >
    statSync(buildId).mtimeMs;
  if (existsSync(buildId) && !sourcesChanged()) return;
  const result = spawnSync(process.execPath, [path.join(repoRoot, "node_modules", "next", "dist", "bin", "next"), "build"], {
    cwd: webDir,
    encoding: "utf8",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NEXT_DIST_DIR: distDir },
  });
  if (result.status !== 0) throw new Error(`next build failed:\n${result.stdout}\n${result.stderr}`);
}
