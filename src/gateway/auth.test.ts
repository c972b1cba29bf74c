import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { apiKeyAuthenticator, jwtAuthenticator, noAuthenticator } from "./auth.js";

const ISSUER = "https://idp.test/";
const AUDIENCE = "mcpgov";

async function setup() {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const auth = await jwtAuthenticator({
    publicKeyPem: await exportSPKI(publicKey),
    algorithms: ["RS256"],
    issuer: ISSUER,
    audience: AUDIENCE,
    claims: { subject: "sub", tenant: "org", roles: "roles", scopes: "scope" },
    clockToleranceSec: 0,
  });
  const sign = (claims: Record<string, unknown>, options: { audience?: string; expiresIn?: string | number; key?: typeof privateKey } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256" })
      .setIssuer(ISSUER)
      .setAudience(options.audience ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? "5m")
      .sign(options.key ?? privateKey);
  return { auth, sign };
}

describe("jwtAuthenticator", () => {
  it("maps claims to the subject", async () => {
    const { auth, sign } = await setup();
    const token = await sign({ sub: "alice", org: "acme", roles: ["sre"], scope: "tools:call audit:read" });
    expect(await auth.authenticate(`Bearer ${token}`)).toEqual({
      ok: true,
      subject: { id: "alice", tenant: "acme", roles: ["sre"], scopes: ["tools:call", "audit:read"] },
    });
  });

  it("refuses a token for another audience, naming the check and not the token", async () => {
    const { auth, sign } = await setup();
    const token = await sign({ sub: "alice" }, { audience: "someone-else" });
    const result = await auth.authenticate(`Bearer ${token}`);
    expect(result).toMatchObject({ ok: false, status: 401 });
    expect(JSON.stringify(result)).not.toContain(token);
    expect(!result.ok && result.reason).toContain("ERR_JWT_CLAIM_VALIDATION_FAILED");
  });

  it("refuses an expired token", async () => {
    const { auth, sign } = await setup();
    const token = await sign({ sub: "alice" }, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    expect(await auth.authenticate(`Bearer ${token}`)).toMatchObject({ ok: false, reason: "invalid token (ERR_JWT_EXPIRED)" });
  });

  it("refuses a token signed by another key", async () => {
    const { auth, sign } = await setup();
    const other = await generateKeyPair("RS256");
    const token = await sign({ sub: "alice" }, { key: other.privateKey });
    expect(await auth.authenticate(`Bearer ${token}`)).toMatchObject({ ok: false, status: 401 });
  });

  it("refuses a missing token and a token without a subject", async () => {
    const { auth, sign } = await setup();
    expect(await auth.authenticate(undefined)).toMatchObject({ ok: false, reason: "missing bearer token" });
    expect(await auth.authenticate(`Bearer ${await sign({})}`)).toMatchObject({ ok: false, status: 403 });
  });

  it("binds a token to the request's resource (RFC 8707): its aud must be one the request names or the configured one", async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const auth = await jwtAuthenticator({ publicKeyPem: await exportSPKI(publicKey), algorithms: ["RS256"], issuer: ISSUER });
    const sign = (audience: string) =>
      new SignJWT({ sub: "alice" }).setProtectedHeader({ alg: "RS256" }).setIssuer(ISSUER).setAudience(audience).setExpirationTime("5m").sign(privateKey);
    const here = ["https://gw.test/mcp/github", "https://gw.test"];
    expect(await auth.authenticate(`Bearer ${await sign("https://gw.test/mcp/github")}`, here)).toMatchObject({ ok: true, subject: { id: "alice" } });
    expect(await auth.authenticate(`Bearer ${await sign("https://gw.test")}`, here)).toMatchObject({ ok: true });
    expect(await auth.authenticate(`Bearer ${await sign("https://gw.test/mcp/other")}`, here)).toMatchObject({
      ok: false,
      status: 401,
      reason: "invalid token (ERR_JWT_CLAIM_VALIDATION_FAILED)",
    });
    // No configured audience and none given: jose would skip the check, so nothing is accepted.
    expect(await auth.authenticate(`Bearer ${await sign("https://gw.test")}`)).toMatchObject({ ok: false, status: 401, reason: expect.stringContaining("no audience is accepted here") });
  });

  it("verifies against a JWKS fetched from the issuer (served on 127.0.0.1)", async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    const server = createServer((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const auth = await jwtAuthenticator({ jwksUrl: `http://127.0.0.1:${port}/jwks.json`, issuer: ISSUER, audience: AUDIENCE });
      const token = await new SignJWT({ sub: "carol" })
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime("5m")
        .sign(privateKey);
      expect(await auth.authenticate(`Bearer ${token}`)).toMatchObject({ ok: true, subject: { id: "carol" } });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("accepts an HMAC shared secret", async () => {
    const secret = "a-shared-secret-of-reasonable-length";
    const auth = await jwtAuthenticator({ sharedSecret: secret, algorithms: ["HS256"], issuer: ISSUER, audience: AUDIENCE });
    const token = await new SignJWT({ sub: "svc" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(secret));
    expect(await auth.authenticate(`Bearer ${token}`)).toMatchObject({ ok: true, subject: { id: "svc" } });
  });
});

describe("apiKeyAuthenticator", () => {
  const auth = apiKeyAuthenticator([
    { id: "a", key: "alice-key-0123456789", subject: "alice", tenant: "acme", roles: ["dev"] },
    { id: "b", key: "bob-key-0123456789ab", subject: "bob" },
  ]);

  it("finds the key's subject", async () => {
    expect(await auth.authenticate("Bearer bob-key-0123456789ab")).toEqual({ ok: true, subject: { id: "bob", roles: [], scopes: [] } });
  });

  it("refuses an unknown key and a non-bearer header", async () => {
    expect(await auth.authenticate("Bearer alice-key-0123456789x")).toMatchObject({ ok: false, status: 401 });
    expect(await auth.authenticate("Basic YWxpY2U6eA==")).toMatchObject({ ok: false, reason: "missing bearer token" });
  });
});

describe("noAuthenticator", () => {
  it("gives every request the configured subject", async () => {
    expect(await noAuthenticator({ id: "anonymous", roles: [], scopes: [] }).authenticate(undefined)).toMatchObject({ ok: true });
  });
});
