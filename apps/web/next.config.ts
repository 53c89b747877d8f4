// Next.js config: workspace packages are TypeScript source (transpiled here); postgres.js stays a Node external.
import type { NextConfig } from "next";

const config: NextConfig = {
  transpilePackages: ["@wa/db", "@wa/api"],
  serverExternalPackages: ["postgres", "pino"],
  // The e2e harness builds into its own folder, so it never replaces the build a running `npm start` serves.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  poweredByHeader: false,
  reactStrictMode: true,
  typescript: { tsconfigPath: "tsconfig.json" },
};

export default config;
