export * from "./errors.ts";
export * from "./ports.ts";
export * from "./schemas.ts";
export * from "./logger.ts";
export * from "./context.ts";
export { createJwtVerifier, JWT_AUDIENCE, type JwtVerifier, type JwtVerifierOptions, type LoginClaims } from "./auth/jwt.ts";
export { generateApiKey, hashApiKey, type ApiKeyPrincipal } from "./auth/api-key.ts";
export { capabilitiesOf, type Meta } from "./trpc.ts";
export { appRouter, createCaller, successStatusOf, type AppRouter } from "./root.ts";
