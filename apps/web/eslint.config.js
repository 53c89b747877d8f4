// The workspace config, plus this app's local-only folders.
import root from "../../eslint.config.js";

export default [...root, { ignores: [".scratch/**", "e2e-artifacts/**", ".next-e2e/**"] }];
