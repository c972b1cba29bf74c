/**
 * @module How the gateway authenticates clients (and, with `admin_auth`,
 * the admin API): JWTs as an OAuth resource server, API keys, or nothing
 * (only ever chosen explicitly).
 */
import { z } from "zod";
import { EnvNameSchema, isLoopbackHost, PathSchema } from "./config-primitives.js";
import { SCOPE_TOKEN } from "./oauth-resource.js";

/** RFC 6749 §3.3 scope-token, so a scope can be written into a `WWW-Authenticate` header as is. */
const ScopeTokenSchema = z.string().regex(SCOPE_TOKEN, "expected an OAuth scope token: printable ASCII without spaces, '\"' or '\\'");

const JwtAuthSchema = z
  .strictObject({
    mode: z.literal("jwt"),
    jwks_url: z.url({ protocol: /^https?$/ }).optional().describe("The issuer's JWKS (https, or http on loopback); keys are fetched and cached."),
    public_key_file: PathSchema.optional().describe("PEM public key (SPKI)."),
    shared_secret_env: EnvNameSchema.optional().describe("Environment variable holding an HMAC secret."),
    algorithms: z.array(z.string().min(1)).min(1).optional().describe("JWS algorithms accepted (default: any the key allows); the first also says how public_key_file is read (default RS256)."),
    issuer: z.string().min(1).describe("The iss every token must carry."),
    audience: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .optional()
      .describe(
        "Further audiences accepted anywhere. Without it a token must be for this resource: its aud the endpoint's resource URL " +
          "(resource + /mcp/{server}) or the gateway's (resource).",
      ),
    resource: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        "The gateway's public base URL as clients reach it (scheme://host[:port], no path), the resource of " +
          "/.well-known/oauth-protected-resource; each MCP endpoint's resource is this plus its path. " +
          "Absent: http://<Host header> (the Host is checked against allowed_hosts first). Set it behind a TLS proxy.",
      ),
    authorization_servers: z
      .array(z.url({ protocol: /^https?$/ }))
      .min(1)
      .optional()
      .describe("Issuer URLs of the authorization servers clients sign in with, published in the protected resource metadata; default [issuer]."),
    scopes_supported: z.array(ScopeTokenSchema).optional().describe("Scopes published in the protected resource metadata; clients request these when no 401/403 names any."),
    required_scopes: z
      .array(ScopeTokenSchema)
      .default([])
      .describe("Scopes every token must hold to use an MCP endpoint at all; a token without one gets 403 insufficient_scope before any MCP handling."),
    resource_name: z.string().min(1).max(200).optional().describe("Human-readable name in the protected resource metadata."),
    resource_documentation: z.url({ protocol: /^https?$/ }).optional().describe("Documentation URL in the protected resource metadata."),
    clock_tolerance_sec: z.number().int().min(0).max(300).default(30).describe("Clock skew allowed on exp and nbf."),
    claims: z
      .strictObject({
        subject: z.string().min(1).default("sub").describe("Claim holding the subject id."),
        tenant: z.string().min(1).optional().describe("Claim holding the tenant (absent: no tenant)."),
        roles: z.string().min(1).default("roles").describe("Claim holding the roles (an array, or a space-separated string)."),
        scopes: z.string().min(1).default("scope").describe("Claim holding the OAuth scopes (a space-separated string, or an array)."),
      })
      .prefault({})
      .describe("Which claim holds each subject field."),
  })
  .superRefine((auth, ctx) => {
    const sources = [auth.jwks_url, auth.public_key_file, auth.shared_secret_env].filter((s) => s !== undefined);
    if (sources.length !== 1) {
      ctx.addIssue({ code: "custom", path: [], message: "set exactly one of jwks_url, public_key_file, shared_secret_env" });
    }
    if (auth.resource !== undefined) {
      const url = new URL(auth.resource);
      // The resource is an origin: endpoints' resources and metadata URLs are built from it, and a path would put them where the gateway does not serve.
      if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
        ctx.addIssue({ code: "custom", path: ["resource"], message: "must be scheme://host[:port] only (no path, query, fragment or credentials)" });
      }
      if (url.protocol === "http:" && !isLoopbackHost(url.hostname.replace(/^\[|\]$/g, ""))) {
        ctx.addIssue({ code: "custom", path: ["resource"], message: "must be https (plain http only for a loopback address)" });
      }
    }
    // Keys fetched over plain HTTP could be swapped by anyone on the path.
    if (auth.jwks_url !== undefined && new URL(auth.jwks_url).protocol === "http:" && !isLoopbackHost(new URL(auth.jwks_url).hostname)) {
      ctx.addIssue({ code: "custom", path: ["jwks_url"], message: "must be https (plain http only for a loopback address)" });
    }
  });

const ApiKeySchema = z
  .strictObject({
    id: z.string().min(1).describe("Names the key in logs and audit records (never the key itself)."),
    key_env: EnvNameSchema.optional().describe("Environment variable holding the key."),
    key_file: PathSchema.optional().describe("File holding the key (one trailing line break removed)."),
    key: z.string().min(1).optional().describe("Inline key; refused unless allow_inline_keys is true."),
    subject: z.string().min(1).describe("The subject id calls with this key are decided and recorded under."),
    tenant: z.string().min(1).optional().describe("The subject's tenant."),
    roles: z.array(z.string().min(1)).default([]).describe("Roles (approver groups, mcpgov-admin, mcpgov-reviewer, mcpgov-auditor…)."),
    scopes: z.array(z.string().min(1)).default([]).describe("OAuth-style scopes the policy may require (mcp:read, mcp:write, mcp:destructive)."),
  })
  .superRefine((key, ctx) => {
    const sources = [key.key_env, key.key_file, key.key].filter((s) => s !== undefined);
    if (sources.length !== 1) ctx.addIssue({ code: "custom", path: [], message: "set exactly one of key_env, key_file (or key, with allow_inline_keys)" });
  });
export type ApiKeyConfig = z.infer<typeof ApiKeySchema>;

const ApiKeysAuthSchema = z
  .strictObject({
    mode: z.literal("api_keys"),
    allow_inline_keys: z.boolean().default(false).describe("Allow keys written in the config itself (for tests; keep keys out of files that get committed)."),
    keys: z.array(ApiKeySchema).min(1).describe("The accepted API keys, sent as Authorization: Bearer <key>."),
  })
  .superRefine((auth, ctx) => {
    const seen = new Set<string>();
    auth.keys.forEach((key, index) => {
      if (key.key !== undefined && !auth.allow_inline_keys) {
        ctx.addIssue({ code: "custom", path: ["keys", index, "key"], message: "inline keys are refused; use key_env or key_file (allow_inline_keys: true permits them for development)" });
      }
      if (seen.has(key.id)) ctx.addIssue({ code: "custom", path: ["keys", index, "id"], message: `duplicate key id '${key.id}'` });
      seen.add(key.id);
    });
  });

const NoAuthSchema = z.strictObject({
  mode: z.literal("none"),
  scopes: z
    .array(z.string().min(1))
    .default([])
    .describe("Scopes of the anonymous subject. None by default: a policy that requires scopes (the reference pack does) then denies every call."),
});

/** No default: running without authentication is only ever an explicit `mode: none`. */
export const AuthSchema = z.discriminatedUnion("mode", [JwtAuthSchema, ApiKeysAuthSchema, NoAuthSchema], {
  error: (issue) => (issue.input === undefined ? "Required: set auth.mode to jwt, api_keys or none (none must be chosen explicitly)" : undefined),
});
export type AuthConfig = z.infer<typeof AuthSchema>;
export type JwtAuthConfig = z.infer<typeof JwtAuthSchema>;
export type ApiKeysAuthConfig = z.infer<typeof ApiKeysAuthSchema>;
