// Request context: the principal (login user, api-key or none) read from credentials, plus injected services.
import type { Database } from "@wa/db";
import {
  createApiKeyAuthenticator,
  isApiKeyToken,
  type ApiKeyAuthenticator,
  type ApiKeyPrincipal,
} from "./auth/api-key.ts";
import { createJwtVerifier, type JwtVerifier, type JwtVerifierOptions, type LoginClaims } from "./auth/jwt.ts";
import { createMembershipCheck, type MembershipCheck } from "./auth/membership.ts";
import { DomainError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { GatewayPorts } from "./ports.ts";

export type UserPrincipal = { kind: "user" } & LoginClaims;
export type KeyPrincipal = { kind: "api_key" } & ApiKeyPrincipal;
export type Principal = UserPrincipal | KeyPrincipal;

export interface Services {
  db: Database;
  ports: GatewayPorts;
  logger: Logger;
}

export interface Context extends Services {
  principal: Principal | null;
  /** Credentials were presented but refused (401) or could not be checked (503); authed procedures throw it. */
  authError: DomainError | null;
  /** The caller's address (the TCP peer as the gateway sees it), for the audit log; null when unknown (tests). */
  ip: string | null;
}

/** Transport-free context, for tests (`createCaller`) and for the outer context below. */
export function createInnerContext(
  services: Services,
  auth: { principal?: Principal | null; authError?: DomainError | null; ip?: string | null } = {},
): Context {
  return { ...services, principal: auth.principal ?? null, authError: auth.authError ?? null, ip: auth.ip ?? null };
}

export interface Credentials {
  /** The Authorization header. */
  authorization?: string | undefined;
  /** The x-api-key header. */
  apiKey?: string | undefined;
  /** `connectionParams.token` of a subscription (EventSource cannot set headers). */
  token?: string | undefined;
}

export interface Authenticator {
  /** null principal without credentials; DomainError `unauthorized`/`gateway_unavailable` when refused. */
  authenticate(credentials: Credentials): Promise<Principal | null>;
}

export function createAuthenticator(deps: {
  jwt: JwtVerifier;
  apiKeys: ApiKeyAuthenticator;
  /** When given, a login token counts only while its person is still a member (with the role they have now). */
  memberships?: MembershipCheck;
}): Authenticator {
  const byToken = async (token: string): Promise<Principal> => {
    if (isApiKeyToken(token)) return { kind: "api_key", ...(await deps.apiKeys.authenticate(token)) };
    const claims = await deps.jwt.verify(token);
    return { kind: "user", ...(deps.memberships ? await deps.memberships.current(claims) : claims) };
  };
  return {
    async authenticate({ authorization, apiKey, token }) {
      if (authorization !== undefined) {
        const match = /^Bearer(?: +(.*))?$/i.exec(authorization.trim());
        if (!match) throw new DomainError("unauthorized", "expected an Authorization: Bearer token");
        const bearer = match[1]?.trim();
        if (!bearer) throw new DomainError("unauthorized", "missing bearer token");
        return byToken(bearer);
      }
      if (apiKey !== undefined) {
        const key = apiKey.trim();
        if (!isApiKeyToken(key)) throw new DomainError("unauthorized", "invalid api key");
        return byToken(key);
      }
      if (token !== undefined && token !== "") return byToken(token);
      return null;
    },
  };
}

type HeaderValue = string | string[] | undefined;
const firstHeader = (value: HeaderValue): string | undefined => (Array.isArray(value) ? value[0] : value);

export interface ContextFactoryOptions extends Services {
  /** The login JWT verifier, or the options to build one. */
  jwt: JwtVerifier | JwtVerifierOptions;
  /** The api-key authenticator (a gateway passes one that follows revocations); default: one of its own. */
  apiKeys?: ApiKeyAuthenticator;
}

export interface RequestCredentials {
  headers: Record<string, HeaderValue> | Headers;
  connectionParams?: Record<string, unknown> | null;
  /** The caller's address, recorded in the audit log. */
  ip?: string | null;
}

/** The outer context: reads credentials from headers (or subscription connectionParams) and authenticates once. */
export function createContextFactory(options: ContextFactoryOptions): (request: RequestCredentials) => Promise<Context> {
  const { db, ports, logger } = options;
  const jwt = "verify" in options.jwt ? options.jwt : createJwtVerifier(options.jwt);
  const authenticator = createAuthenticator({
    jwt,
    apiKeys: options.apiKeys ?? createApiKeyAuthenticator({ db, logger }),
    memberships: createMembershipCheck(db),
  });
  return async ({ headers, connectionParams, ip = null }) => {
    const get = (name: string) =>
      headers instanceof Headers ? (headers.get(name) ?? undefined) : firstHeader(headers[name]);
    const token = connectionParams?.token;
    try {
      const principal = await authenticator.authenticate({
        authorization: get("authorization"),
        apiKey: get("x-api-key"),
        token: typeof token === "string" ? token : undefined,
      });
      return createInnerContext({ db, ports, logger }, { principal, ip });
    } catch (error) {
      if (error instanceof DomainError) return createInnerContext({ db, ports, logger }, { authError: error, ip });
      throw error;
    }
  };
}
