/**
 * @module The HTTP face of mcpgov as an OAuth resource server (auth.mode
 * jwt): Protected Resource Metadata at /.well-known/oauth-protected-resource
 * (root and per endpoint path), the MCP endpoints' bearer check with
 * RFC 8707 audience binding, and the 401/403 challenges that tell an MCP
 * client where to sign in and which scopes to ask for.
 *
 * mcpgov never issues tokens and never passes a client's token upstream:
 * upstream credentials come from the registry only (see auth.ts).
 */
import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { JwtAuthConfig } from "../core/gateway-config.js";
import {
  audiencesFor,
  bearerChallenge,
  canonicalBase,
  metadataUrlFor,
  missingScopes,
  PRM_PATH,
  protectedResourceMetadata,
  type ResourceServerSettings,
  stepUpScopes,
} from "../core/oauth-resource.js";
import { type Authenticator, bearer, type Subject } from "./auth.js";

type Env = { Variables: { subject: Subject } };
/** What these helpers read of a request: its path and headers (any route's context has them). */
type RequestOf = { req: { path: string; header(name: string): string | undefined } };

/** Host[:port] as a URL authority: a Host header that would parse as anything else (user info, a path) derives no URL. */
const HOST_AUTHORITY = /^(?:\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/;

function rpcError(status: 401 | 403, code: number, message: string, data?: Record<string, unknown>): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message, ...(data ? { data } : {}) }, id: null }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

export interface ResourceServer {
  /** The well-known routes, mounted at the app's root. */
  routes: Hono<Env>;
  /**
   * Authenticates a request to an MCP endpoint (its token's audience bound
   * to the endpoint) and checks auth.required_scopes. `endpointOf` maps the
   * request path to the endpoint's (default: the path itself).
   */
  guard<E extends Env>(auth: Authenticator, endpointOf?: (path: string) => string): MiddlewareHandler<E>;
  /** The audiences a token may carry for the whole gateway (its root resource), for routes that are no MCP endpoint. */
  gatewayAudiences(c: RequestOf): string[];
  /** The 403 insufficient_scope answer for a request at `path` whose subject must step up to `needed`. */
  insufficientScope(c: RequestOf, subject: Subject, needed: readonly string[], body: Record<string, unknown>): Response;
}

export interface ResourceServerOptions {
  auth: JwtAuthConfig;
  /** Whether an MCP endpoint is served at this path (/mcp/{server} for a registered server, /mcp when aggregated). */
  isEndpoint(path: string): boolean;
}

export function resourceServer({ auth, isEndpoint }: ResourceServerOptions): ResourceServer {
  const configuredBase = auth.resource !== undefined ? canonicalBase(auth.resource) : undefined;
  const settings: ResourceServerSettings = {
    authorizationServers: auth.authorization_servers ?? [auth.issuer],
    ...(auth.scopes_supported ? { scopesSupported: auth.scopes_supported } : {}),
    ...(auth.resource_name !== undefined ? { resourceName: auth.resource_name } : {}),
    ...(auth.resource_documentation !== undefined ? { resourceDocumentation: auth.resource_documentation } : {}),
  };

  /** The configured resource, else http://<Host>: the Host already passed allowed_hosts, and must be a bare authority. */
  const baseOf = (c: RequestOf): string | undefined => {
    if (configuredBase !== undefined) return configuredBase;
    const host = c.req.header("host")?.toLowerCase();
    return host !== undefined && HOST_AUTHORITY.test(host) ? `http://${host}` : undefined;
  };

  const challenge = (c: RequestOf, endpoint: string, fields: Omit<Parameters<typeof bearerChallenge>[0], "resourceMetadata">): string => {
    const base = baseOf(c);
    return base === undefined ? 'Bearer realm="mcpgov"' : bearerChallenge({ resourceMetadata: metadataUrlFor(base, endpoint), ...fields });
  };

  const forbidden = (c: RequestOf, endpoint: string, subject: Subject, needed: readonly string[], body: Record<string, unknown>): Response => {
    const response = new Response(JSON.stringify(body), { status: 403, headers: { "content-type": "application/json" } });
    response.headers.set("www-authenticate", challenge(c, endpoint, { error: "insufficient_scope", scopes: stepUpScopes(subject.scopes, needed) }));
    return response;
  };
  const insufficientScope: ResourceServer["insufficientScope"] = (c, subject, needed, body) => forbidden(c, c.req.path, subject, needed, body);

  const routes = new Hono<Env>();
  const metadata = (c: Context<Env>, path: string) => {
    const base = baseOf(c);
    if (base === undefined) return c.json({ error: "the Host header is not a host[:port]" }, 400);
    if (path !== "" && !isEndpoint(path)) return c.json({ error: `no protected resource at ${path}` }, 404);
    return c.json(protectedResourceMetadata(settings, base, path));
  };
  routes.get(PRM_PATH, (c) => metadata(c, ""));
  routes.get(`${PRM_PATH}/*`, (c) => metadata(c, c.req.path.slice(PRM_PATH.length)));

  return {
    routes,
    insufficientScope,
    gatewayAudiences: (c) => {
      const base = baseOf(c);
      return base === undefined ? [] : audiencesFor(base, "");
    },
    guard: <E extends Env>(authenticator: Authenticator, endpointOf = (path: string) => path): MiddlewareHandler<E> =>
      async function resourceGuard(c: Context<E>, next) {
        const base = baseOf(c);
        const endpoint = endpointOf(c.req.path);
        const authorization = c.req.header("authorization");
        const result = await authenticator.authenticate(authorization, base === undefined ? [] : audiencesFor(base, endpoint));
        if (!result.ok) {
          const presented = bearer(authorization) !== undefined;
          // RFC 6750 §3.1: a refused token (even one verified but without a subject) is 401 invalid_token, which is what sends a client to sign in again.
          const response = rpcError(401, -32001, `Unauthorized: ${result.reason}`);
          // MCP 2025-11-25: a 401 names the scopes the endpoint needs, so the client asks for them (else it asks for scopes_supported).
          const scopes = auth.required_scopes.length > 0 ? { scopes: auth.required_scopes } : {};
          response.headers.set("www-authenticate", challenge(c, endpoint, { ...(presented ? { error: "invalid_token" as const } : {}), ...scopes }));
          return response;
        }
        const missing = missingScopes(result.subject.scopes, auth.required_scopes);
        if (missing.length > 0) {
          const body = { jsonrpc: "2.0", error: { code: -32001, message: `Forbidden: token lacks scope ${missing.map((s) => `"${s}"`).join(", ")} needed for this endpoint` }, id: null };
          return forbidden(c, endpoint, result.subject, auth.required_scopes, body);
        }
        c.set("subject", result.subject);
        await next();
      },
  };
}
