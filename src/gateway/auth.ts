/**
 * @module Client authentication: bearer JWTs (jose), static API keys for
 * development, or none when the operator says so explicitly.
 *
 * The client's credential authenticates the client to mcpgov and stops
 * here: upstream credentials come from the registry only.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createLocalJWKSet, createRemoteJWKSet, importSPKI, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { findIllFormed } from "../core/well-formed.js";

export interface Subject {
  id: string;
  tenant?: string;
  roles: string[];
  scopes: string[];
}

export type AuthResult = { ok: true; subject: Subject } | { ok: false; status: 401 | 403; reason: string };

export interface Authenticator {
  readonly mode: "jwt" | "api_keys" | "none";
  /**
   * `audiences`: the resources this request is for (RFC 8707), accepted as
   * a JWT's `aud` besides the configured audience; ignored by API keys.
   */
  authenticate(authorization: string | undefined, audiences?: readonly string[]): Promise<AuthResult>;
}

export interface JwtOptions {
  jwksUrl?: string;
  jwks?: { keys: object[] };
  publicKeyPem?: string;
  /** HMAC secret (HS256/384/512), for deployments whose issuer signs with a shared key. */
  sharedSecret?: string;
  algorithms?: string[];
  issuer?: string;
  /** Audiences accepted on every request; a request adds its own resource's (see Authenticator). */
  audience?: string | string[];
  claims?: { subject?: string; tenant?: string; roles?: string; scopes?: string };
  clockToleranceSec?: number;
}

export interface ApiKeyEntry {
  id: string;
  key: string;
  subject: string;
  tenant?: string;
  roles?: string[];
  scopes?: string[];
}

/** The bearer token of an Authorization header, if it has one. */
export function bearer(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return match?.[1];
}

function claim(payload: JWTPayload, path: string | undefined): unknown {
  if (!path) return undefined;
  let value: unknown = payload;
  for (const part of path.split(".")) {
    if (!value || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  if (typeof value === "string") return value.split(/\s+/).filter(Boolean);
  return [];
}

export async function jwtAuthenticator(options: JwtOptions): Promise<Authenticator> {
  let key: JWTVerifyGetKey | Awaited<ReturnType<typeof importSPKI>>;
  if (options.jwksUrl) key = createRemoteJWKSet(new URL(options.jwksUrl));
  else if (options.jwks) key = createLocalJWKSet(options.jwks as Parameters<typeof createLocalJWKSet>[0]);
  else if (options.publicKeyPem) key = await importSPKI(options.publicKeyPem, options.algorithms?.[0] ?? "RS256");
  else if (options.sharedSecret) key = new TextEncoder().encode(options.sharedSecret) as never;
  else throw new Error("jwt auth needs jwks_url, jwks, a public key or a shared secret");
  const claims = { subject: "sub", tenant: "tenant", roles: "roles", scopes: "scope", ...options.claims };
  const configuredAudiences = options.audience === undefined ? [] : [options.audience].flat();
  return {
    mode: "jwt",
    async authenticate(authorization, audiences = []) {
      const token = bearer(authorization);
      if (!token) return { ok: false, status: 401, reason: "missing bearer token" };
      const accepted = [...configuredAudiences, ...audiences];
      // jose skips the aud check when given no audience: with nothing to bind to, no token is for us.
      if (accepted.length === 0) return { ok: false, status: 401, reason: "invalid token (no audience is accepted here: set auth.audience)" };
      try {
        const { payload } = await jwtVerify(token, key as JWTVerifyGetKey, {
          audience: accepted,
          ...(options.issuer ? { issuer: options.issuer } : {}),
          ...(options.algorithms ? { algorithms: options.algorithms } : {}),
          clockTolerance: options.clockToleranceSec ?? 5,
          requiredClaims: ["exp"],
        });
        const id = claim(payload, claims.subject);
        if (typeof id !== "string" || !id) return { ok: false, status: 403, reason: `token has no ${claims.subject} claim` };
        // A lone surrogate would be decided, stored and hashed three different ways: refused, naming the claim.
        for (const name of [claims.subject, claims.tenant, claims.roles, claims.scopes]) {
          if (findIllFormed(claim(payload, name)) !== undefined) return { ok: false, status: 401, reason: `invalid token: claim ${name} is not well-formed Unicode (lone UTF-16 surrogate)` };
        }
        const tenant = claim(payload, claims.tenant);
        return {
          ok: true,
          subject: {
            id,
            ...(typeof tenant === "string" ? { tenant } : {}),
            roles: stringList(claim(payload, claims.roles)),
            scopes: stringList(claim(payload, claims.scopes)),
          },
        };
      } catch (error) {
        // jose's codes (ERR_JWT_EXPIRED, ERR_JWT_CLAIM_VALIDATION_FAILED …) say what failed without the token.
        const code = (error as { code?: string }).code ?? "ERR_JWT_INVALID";
        return { ok: false, status: 401, reason: `invalid token (${code})` };
      }
    },
  };
}

const digest = (text: string): Buffer => createHash("sha256").update(text).digest();

export function apiKeyAuthenticator(keys: readonly ApiKeyEntry[]): Authenticator {
  const entries = keys.map((entry) => ({ entry, digest: digest(entry.key) }));
  return {
    mode: "api_keys",
    async authenticate(authorization) {
      const token = bearer(authorization);
      if (!token) return { ok: false, status: 401, reason: "missing bearer token" };
      const presented = digest(token);
      // Compare against every key in constant time so timing says nothing about which key is close.
      let match: ApiKeyEntry | undefined;
      for (const candidate of entries) {
        if (timingSafeEqual(candidate.digest, presented)) match = candidate.entry;
      }
      if (!match) return { ok: false, status: 401, reason: "unknown API key" };
      return {
        ok: true,
        subject: {
          id: match.subject,
          ...(match.tenant ? { tenant: match.tenant } : {}),
          roles: match.roles ?? [],
          scopes: match.scopes ?? [],
        },
      };
    },
  };
}

export function noAuthenticator(subject: Subject): Authenticator {
  return { mode: "none", authenticate: async () => ({ ok: true, subject }) };
}
