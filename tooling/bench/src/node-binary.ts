// The node binary of a given major, for benchmarks that compare majors: this process's own when it is that major,
// else the one `npx -p node@N` installs. `--prefer-offline` takes the copy npx already cached (about 2 s) instead of
// asking the registry first (20–40 s per call here, paid by every section that asked).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const resolved = new Map<number, string | null>();

/** Path of a node binary of `major`, or null when npx cannot provide one (no cache and no registry). */
export function nodeBinary(major: number): string | null {
  if (Number(process.versions.node.split(".")[0]) === major) return process.execPath;
  const known = resolved.get(major);
  if (known !== undefined) return known;
  const result = spawnSync("npx", ["--prefer-offline", "-y", "-p", `node@${major}`, "node", "-p", "process.execPath"], {
    encoding: "utf8",
    timeout: 180_000,
  });
  const bin = result.status === 0 ? result.stdout.trim().split("\n").at(-1) : undefined;
  const found = bin && existsSync(bin) ? bin : null;
  resolved.set(major, found);
  return found;
}
