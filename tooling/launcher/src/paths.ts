// Where the launcher keeps its state: ./.data at the repository root.
import { fileURLToPath } from "node:url";
import path from "node:path";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const dataDir = path.join(repoRoot, ".data");
