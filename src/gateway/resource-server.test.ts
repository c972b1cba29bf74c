import { exportSPKI, generateKeyPair, SignJWT } from "jose";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { GatewayConfigSchema, type JwtAuthConfig } from "../core/gateway-config.js";
import { jwtAuthenticator, type Subject } from "./auth.js";
import { resourceServer } from "./resource-server.js";

const ISSUER = "https://idp.test";

async function setup(auth: Record<string, unknown>) {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const config = GatewayConfigSchema.parse({ bundle: "b.tar.gz", auth: { mode: "jwt", public_key_file: "k.pem", issuer: ISSUER, ...auth } }).auth as JwtAuthConfig;
  const authenticator = await jwtAuthenticator({ publicKeyPem: await exportSPKI(publicKey), algorithms: ["RS256"], issuer: ISSUER });
  const rs = resourceServer({ auth: config, isEndpoint: (path) => path === "/mcp/github" });
  const app = new Hono<{ Variables: { requestId: string; subject: Subject } }>();
  app.route("/", rs.routes);
  app.all("/mcp/:server", rs.guard(authenticator), (c) => c.json({ subject: c.get("subject").id }));
  const sign = (aud: string, scope: string) =>
    new SignJWT({ sub: "alice", scope }).setProtectedHeader({ alg: "RS256" }).setIssuer(ISSUER).setAudience(aud).setExpirationTime("5m").sign(privateKey);
  const call = (path: string, token?: string, host = "gw.internal:8787") =>
    app.request(`http://gw.internal:8787${path}`, { method: "POST", headers: { host, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  return { app, sign, call, privateKey };
}

describe("resourceServer with auth.resource", () => {
  it("builds metadata, challenges and accepted audiences from the configured resource, never from the Host header", async () => {
    const { app, sign, call, privateKey } = await setup({
      resource: "https://mcp.example.com",
      authorization_servers: ["https://idp.example.com/"],
      scopes_supported: ["mcp:read", "mcp:write", "mcp:destructive"],
    });
    // The README's example, as served.
    const prm = await app.request("http://gw.internal:8787/.well-known/oauth-protected-resource/mcp/github", { headers: { host: "gw.internal:8787" } });
    expect(await prm.json()).toEqual({
      resource: "https://mcp.example.com/mcp/github",
      authorization_servers: ["https://idp.example.com/"],
      bearer_methods_supported: ["header"],
      scopes_supported: ["mcp:read", "mcp:write", "mcp:destructive"],
    });
    const missing = await call("/mcp/github");
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe('Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp/github"');
    expect(await (await call("/mcp/github", await sign("https://mcp.example.com/mcp/github", "mcp:read"))).json()).toEqual({ subject: "alice" });
    // A token for the Host-derived URL is not for this resource.
    expect((await call("/mcp/github", await sign("http://gw.internal:8787/mcp/github", "mcp:read"))).status).toBe(401);
    // Verified but naming nobody: still 401 invalid_token (the authenticator says 403), so the client signs in again.
    const nobody = await new SignJWT({ scope: "mcp:read" }).setProtectedHeader({ alg: "RS256" }).setIssuer(ISSUER).setAudience("https://mcp.example.com").setExpirationTime("5m").sign(privateKey);
    const refused = await call("/mcp/github", nobody);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });
});

describe("resourceServer without auth.resource", () => {
  it("defaults authorization_servers to the issuer and derives the resource from the allowed Host", async () => {
    const { app } = await setup({});
    const prm = await app.request("http://gw.internal:8787/.well-known/oauth-protected-resource", { headers: { host: "gw.internal:8787" } });
    expect(await prm.json()).toEqual({ resource: "http://gw.internal:8787", authorization_servers: [ISSUER], bearer_methods_supported: ["header"] });
  });

  it("derives nothing from a Host header that is not a bare host[:port]", async () => {
    const { sign, call, app } = await setup({});
    const host = "gw.internal:1@evil.example";
    const response = await call("/mcp/github", undefined, host);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="mcpgov"');
    expect((await call("/mcp/github", await sign("http://evil.example/mcp/github", "mcp:read"), host)).status).toBe(401);
    expect((await app.request("http://gw.internal/.well-known/oauth-protected-resource", { headers: { host } })).status).toBe(400);
  });
});

describe("auth.required_scopes", () => {
  it("refuses a token without them with 403 insufficient_scope before any MCP handling, asking for held plus required", async () => {
    const { sign, call } = await setup({ resource: "https://mcp.example.com", required_scopes: ["mcp:read", "mcp:use"] });
    // A 401 already names them (MCP 2025-11-25), so the client asks for them on its first sign-in.
    const unauthenticated = await call("/mcp/github");
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get("www-authenticate")).toBe(
      'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp/github", scope="mcp:read mcp:use"',
    );
    const response = await call("/mcp/github", await sign("https://mcp.example.com/mcp/github", "mcp:read"));
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toBe(
      'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp/github", error="insufficient_scope", scope="mcp:read mcp:use"',
    );
    expect(await response.json()).toMatchObject({ error: { code: -32001, message: 'Forbidden: token lacks scope "mcp:use" needed for this endpoint' } });
    expect((await call("/mcp/github", await sign("https://mcp.example.com/mcp/github", "mcp:read mcp:use"))).status).toBe(200);
  });
});
