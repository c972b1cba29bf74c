/**
 * @module mcpgov as an OAuth 2.1 resource server: the canonical resource
 * URLs of its MCP endpoints (RFC 8707), their Protected Resource Metadata
 * (RFC 9728) and the `WWW-Authenticate: Bearer` challenges that point
 * clients at it (RFC 6750 §3, RFC 9728 §5.1). Pure: the HTTP layer hands
 * in the base URL it trusts and the path of the endpoint.
 */

/** RFC 6749 §3.3 scope-token: printable ASCII without space, `"` and `\`, so it can sit in a quoted header value as is. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export const PRM_PATH = "/.well-known/oauth-protected-resource";

/** What the operator says about the resource, as configured under `auth` (jwt mode). */
export interface ResourceServerSettings {
  authorizationServers: readonly string[];
  scopesSupported?: readonly string[];
  resourceName?: string;
  resourceDocumentation?: string;
}

/** RFC 9728 §2: the fields mcpgov publishes. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  bearer_methods_supported: ["header"];
  scopes_supported?: string[];
  resource_name?: string;
  resource_documentation?: string;
}

/**
 * The gateway's base URL as a canonical resource: scheme and host in lower
 * case, no trailing slash, no path (RFC 8707 §2, MCP's canonical server URI).
 */
export function canonicalBase(url: string): string {
  return new URL(url).origin;
}

/** The resource an endpoint path names: the base for "/" or "", else the base plus the path. */
export function resourceFor(base: string, path: string): string {
  return path === "" || path === "/" ? base : `${base}${path}`;
}

/** RFC 9728 §3.1: the metadata URL inserts the well-known segment between the host and the resource's path. */
export function metadataUrlFor(base: string, path: string): string {
  return path === "" || path === "/" ? `${base}${PRM_PATH}` : `${base}${PRM_PATH}${path}`;
}

/**
 * The audiences a token may carry to be used at `path`: this endpoint's
 * resource, or the whole gateway's (a pathless indicator may arrive with
 * or without its slash). A token for another endpoint or another resource
 * is not among them.
 */
export function audiencesFor(base: string, path: string): string[] {
  const endpoint = resourceFor(base, path);
  return [...new Set([endpoint, base, `${base}/`])];
}

export function protectedResourceMetadata(settings: ResourceServerSettings, base: string, path: string): ProtectedResourceMetadata {
  return {
    resource: resourceFor(base, path),
    authorization_servers: [...settings.authorizationServers],
    bearer_methods_supported: ["header"],
    ...(settings.scopesSupported && settings.scopesSupported.length > 0 ? { scopes_supported: [...settings.scopesSupported] } : {}),
    ...(settings.resourceName !== undefined ? { resource_name: settings.resourceName } : {}),
    ...(settings.resourceDocumentation !== undefined ? { resource_documentation: settings.resourceDocumentation } : {}),
  };
}

export interface BearerChallenge {
  /** Absolute URL of the Protected Resource Metadata for the requested endpoint. */
  resourceMetadata: string;
  /** invalid_token when a token was presented but refused; insufficient_scope on a 403; absent when no token was sent (RFC 6750 §3.1). */
  error?: "invalid_token" | "insufficient_scope";
  /** The scopes the request needs (insufficient_scope). */
  scopes?: readonly string[];
}

/** A quoted-string can hold anything but `"` and `\` unescaped; the values here are URLs and scope tokens, escaped anyway. */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * The `WWW-Authenticate` value of a 401 or 403. resource_metadata comes
 * first: some clients (the MCP SDK among them) read the parameters by
 * pattern, and an unusual order costs nothing. Scopes that are not valid
 * scope tokens are left out rather than breaking the header.
 */
export function bearerChallenge(challenge: BearerChallenge): string {
  const params = [`resource_metadata=${quoted(challenge.resourceMetadata)}`];
  if (challenge.error !== undefined) params.push(`error=${quoted(challenge.error)}`);
  const scopes = (challenge.scopes ?? []).filter((s) => SCOPE_TOKEN.test(s));
  if (scopes.length > 0) params.push(`scope=${quoted([...new Set(scopes)].join(" "))}`);
  return `Bearer ${params.join(", ")}`;
}

/**
 * The scopes to ask for when stepping up: what the token already has (so
 * the client does not lose it, as the MCP spec advises) followed by what
 * is missing.
 */
export function stepUpScopes(held: readonly string[], needed: readonly string[]): string[] {
  return [...new Set([...held, ...needed])].filter((s) => SCOPE_TOKEN.test(s));
}

/** Which of `required` the subject lacks. */
export function missingScopes(held: readonly string[], required: readonly string[]): string[] {
  return required.filter((scope) => !held.includes(scope));
}

/** The reference pack's require-scope rule id, and the reason it gives (policy/reference/mcpgov/rules/require_scope). */
const REQUIRE_SCOPE_RULE = "require-scope";
const LACKS_SCOPE = /token lacks scope "([^"]+)"/g;

/**
 * The scopes a DENY asks for, when a missing scope is the only reason it
 * denied: every deciding rule is require-scope and each names a valid
 * scope token. Anything else (another rule denied too, a reason of another
 * shape) is undefined: a new token would not help, and the call stays an
 * ordinary refusal.
 */
export function scopesDemandedBy(decision: { decision: string; rules: readonly string[]; reason: string }): string[] | undefined {
  if (decision.decision !== "DENY" || decision.rules.length === 0) return undefined;
  if (!decision.rules.every((rule) => rule === REQUIRE_SCOPE_RULE)) return undefined;
  const scopes = [...decision.reason.matchAll(LACKS_SCOPE)].map((m) => m[1]!);
  if (scopes.length === 0 || !scopes.every((s) => SCOPE_TOKEN.test(s))) return undefined;
  return [...new Set(scopes)];
}
