/**
 * @module A small OAuth 2.1 authorization server on 127.0.0.1 for the
 * gateway's OAuth tests, and an in-memory OAuthClientProvider for the
 * SDK's client. The server is real code over real HTTP — authorization
 * server metadata (RFC 8414), dynamic client registration (RFC 7591),
 * authorization code with PKCE S256, resource indicators (RFC 8707),
 * RS256 JWTs and their JWKS — written here because no identity provider
 * can run in the test sandbox. "User consent" is automatic: /authorize
 * redirects at once for the configured user, granting the requested
 * scopes that user may have.
 */
import { createHash, randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import { Hono } from "hono";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";

interface Client {
  client_id: string;
  redirect_uris: string[];
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  scope: string;
  resource: string;
}

/** An /authorize request as the server received it, for assertions. */
export interface AuthorizeRequest {
  clientId: string;
  scope: string | undefined;
  resource: string | undefined;
  codeChallengeMethod: string | undefined;
}

export interface TestAuthServer {
  /** The issuer: http://127.0.0.1:<port> (no trailing slash). */
  issuer: string;
  jwksUrl: string;
  /** Who signs in next, and the scopes they may be granted. */
  user: { sub: string; scopes: string[] };
  authorizeRequests: AuthorizeRequest[];
  /** How many tokens the token endpoint issued. */
  tokensIssued(): number;
  /** A token signed with the server's key, with any claims (for tokens a client could not get from /token). */
  mint(claims: JWTPayload & { aud: string | string[] }): Promise<string>;
  close(): Promise<void>;
}

const s256 = (verifier: string) => createHash("sha256").update(verifier).digest("base64url");

export async function startAuthServer(user: { sub: string; scopes: string[] }): Promise<TestAuthServer> {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "test-as-1", alg: "RS256", use: "sig" };
  const clients = new Map<string, Client>();
  const codes = new Map<string, Grant>();
  const authorizeRequests: AuthorizeRequest[] = [];
  let issued = 0;
  let issuer = "";
  const state = { user };

  const sign = (claims: JWTPayload) =>
    new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: jwk.kid }).setIssuer(issuer).setIssuedAt().setExpirationTime("10m").sign(privateKey);

  const app = new Hono();
  app.get("/.well-known/oauth-authorization-server", (c) =>
    c.json({
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      registration_endpoint: `${issuer}/register`,
      jwks_uri: `${issuer}/jwks`,
      response_types_supported: ["code"],
      grant_types_supported: ["authorization_code"],
      code_challenge_methods_supported: ["S256"],
      token_endpoint_auth_methods_supported: ["none"],
    }),
  );
  app.get("/jwks", (c) => c.json({ keys: [jwk] }));
  app.post("/register", async (c) => {
    const metadata = (await c.req.json()) as { redirect_uris?: unknown };
    if (!Array.isArray(metadata.redirect_uris) || metadata.redirect_uris.length === 0) return c.json({ error: "invalid_redirect_uri" }, 400);
    const client = { client_id: randomUUID(), redirect_uris: metadata.redirect_uris.map(String) };
    clients.set(client.client_id, client);
    return c.json({ ...metadata, ...client, client_id_issued_at: Math.floor(Date.now() / 1000), token_endpoint_auth_method: "none" }, 201);
  });
  app.get("/authorize", (c) => {
    const q = (name: string) => c.req.query(name);
    const client = clients.get(q("client_id") ?? "");
    authorizeRequests.push({ clientId: q("client_id") ?? "", scope: q("scope"), resource: q("resource"), codeChallengeMethod: q("code_challenge_method") });
    const redirectUri = q("redirect_uri") ?? "";
    if (!client || !client.redirect_uris.includes(redirectUri)) return c.json({ error: "invalid_client" }, 400);
    const challenge = q("code_challenge");
    const resource = q("resource");
    if (q("response_type") !== "code" || q("code_challenge_method") !== "S256" || !challenge || !resource) return c.json({ error: "invalid_request" }, 400);
    // Consent: the user grants what was asked for and what they may have.
    const scope = (q("scope") ?? "")
      .split(" ")
      .filter((s) => state.user.scopes.includes(s))
      .join(" ");
    const code = randomUUID();
    codes.set(code, { clientId: client.client_id, redirectUri, challenge, scope, resource });
    const target = new URL(redirectUri);
    target.searchParams.set("code", code);
    const st = q("state");
    if (st !== undefined) target.searchParams.set("state", st);
    return c.redirect(target.href, 302);
  });
  app.post("/token", async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const code = form.get("code") ?? "";
    const grant = codes.get(code);
    codes.delete(code);
    if (form.get("grant_type") !== "authorization_code" || !grant) return c.json({ error: "invalid_grant" }, 400);
    if (grant.clientId !== form.get("client_id") || grant.redirectUri !== form.get("redirect_uri")) return c.json({ error: "invalid_grant" }, 400);
    if (s256(form.get("code_verifier") ?? "") !== grant.challenge) return c.json({ error: "invalid_grant", error_description: "PKCE verification failed" }, 400);
    if (form.get("resource") !== grant.resource) return c.json({ error: "invalid_target" }, 400);
    issued++;
    const accessToken = await sign({ sub: state.user.sub, aud: grant.resource, scope: grant.scope, client_id: grant.clientId });
    return c.json({ access_token: accessToken, token_type: "Bearer", expires_in: 600, scope: grant.scope });
  });

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(s));
  });
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    get user() {
      return state.user;
    },
    set user(next) {
      state.user = next;
    },
    authorizeRequests,
    tokensIssued: () => issued,
    mint: (claims) => sign(claims),
    close: () =>
      new Promise<void>((resolve) => {
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** The redirect URI the test client registers; nothing listens there: the test reads the code off the redirect. */
export const REDIRECT_URI = "http://127.0.0.1:9/oauth/callback";

/** An OAuthClientProvider that keeps everything in memory and records where it was sent to sign in. */
export class MemoryOAuthProvider implements OAuthClientProvider {
  private info: OAuthClientInformationMixed | undefined;
  private saved: OAuthTokens | undefined;
  private verifier = "";
  /** Every authorization URL the SDK asked the user to open, in order. */
  readonly authorizationUrls: URL[] = [];

  get redirectUrl(): string {
    return REDIRECT_URI;
  }
  get clientMetadata(): OAuthClientMetadata {
    return { client_name: "mcpgov e2e", redirect_uris: [REDIRECT_URI], grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "none" };
  }
  state(): string {
    return randomUUID();
  }
  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.info = info;
  }
  tokens(): OAuthTokens | undefined {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL): void {
    this.authorizationUrls.push(url);
  }
  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }
  codeVerifier(): string {
    return this.verifier;
  }

  /** The user's browser: opens the last authorization URL, and returns the code from the redirect back to the client. */
  async consent(): Promise<string> {
    const url = this.authorizationUrls.at(-1);
    if (!url) throw new Error("the client was never sent to sign in");
    const response = await fetch(url, { redirect: "manual" });
    const location = response.headers.get("location");
    if (response.status !== 302 || !location) throw new Error(`authorization failed: ${response.status} ${await response.text()}`);
    const back = new URL(location);
    if (`${back.origin}${back.pathname}` !== REDIRECT_URI) throw new Error(`redirected to ${back.origin}${back.pathname}, not the client`);
    if (back.searchParams.get("state") !== url.searchParams.get("state")) throw new Error("state does not match");
    const code = back.searchParams.get("code");
    if (!code) throw new Error(`no code in the redirect: ${back.search}`);
    return code;
  }
}
