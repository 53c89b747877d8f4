// Next.js config: workspace packages are TypeScript source (transpiled here); postgres.js stays a Node external.
import type { NextConfig } from "next";

const config: NextConfig = {
  transpilePackages: ["@wa/db", "@wa/api"],
  serverExternalPackages: ["postgres", "pino"],
  poweredByHeader: false,
  reactStrictMode: true,
  typescript: { tsconfigPath: "tsconfig.json" },
};

export default config;
