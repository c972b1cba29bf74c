import { describe, expect, it } from "vitest";
import {
  audiencesFor,
  bearerChallenge,
  canonicalBase,
  metadataUrlFor,
  missingScopes,
  protectedResourceMetadata,
  resourceFor,
  scopesDemandedBy,
  stepUpScopes,
} from "./oauth-resource.js";

const BASE = "https://gw.example.com";

describe("resource URLs", () => {
  it("canonicalises the base: lower-case scheme and host, no trailing slash, default port dropped", () => {
    expect(canonicalBase("HTTPS://GW.Example.COM:443/")).toBe(BASE);
    expect(canonicalBase("http://127.0.0.1:8787")).toBe("http://127.0.0.1:8787");
  });

  it("names each endpoint's resource and metadata URL (RFC 9728 §3.1: well-known between host and path)", () => {
    expect(resourceFor(BASE, "/mcp/github")).toBe("https://gw.example.com/mcp/github");
    expect(resourceFor(BASE, "")).toBe(BASE);
    expect(metadataUrlFor(BASE, "/mcp/github")).toBe("https://gw.example.com/.well-known/oauth-protected-resource/mcp/github");
    expect(metadataUrlFor(BASE, "/mcp")).toBe("https://gw.example.com/.well-known/oauth-protected-resource/mcp");
    expect(metadataUrlFor(BASE, "")).toBe("https://gw.example.com/.well-known/oauth-protected-resource");
  });

  it("accepts as audience this endpoint or the whole gateway, not another endpoint", () => {
    const accepted = audiencesFor(BASE, "/mcp/github");
    expect(accepted).toEqual(["https://gw.example.com/mcp/github", BASE, `${BASE}/`]);
    expect(accepted).not.toContain("https://gw.example.com/mcp/other");
    expect(accepted).not.toContain("https://gw.example.com/mcp");
  });
});

describe("protectedResourceMetadata", () => {
  it("publishes the resource, its authorization servers, header bearer tokens and the optional fields", () => {
    expect(
      protectedResourceMetadata(
        { authorizationServers: ["https://idp.example.com"], scopesSupported: ["mcp:read", "mcp:write"], resourceName: "mcpgov", resourceDocumentation: "https://docs.example.com/mcpgov" },
        BASE,
        "/mcp/github",
      ),
    ).toEqual({
      resource: "https://gw.example.com/mcp/github",
      authorization_servers: ["https://idp.example.com"],
      bearer_methods_supported: ["header"],
      scopes_supported: ["mcp:read", "mcp:write"],
      resource_name: "mcpgov",
      resource_documentation: "https://docs.example.com/mcpgov",
    });
  });

  it("leaves out what is not configured", () => {
    expect(protectedResourceMetadata({ authorizationServers: ["https://idp.example.com"] }, BASE, "")).toEqual({
      resource: BASE,
      authorization_servers: ["https://idp.example.com"],
      bearer_methods_supported: ["header"],
    });
  });
});

describe("bearerChallenge", () => {
  const resourceMetadata = "https://gw.example.com/.well-known/oauth-protected-resource/mcp/github";

  it("without a token: only where the metadata is (RFC 6750 §3.1: no error code)", () => {
    expect(bearerChallenge({ resourceMetadata })).toBe(`Bearer resource_metadata="${resourceMetadata}"`);
  });

  it("with a refused token: error=invalid_token", () => {
    expect(bearerChallenge({ resourceMetadata, error: "invalid_token" })).toBe(`Bearer resource_metadata="${resourceMetadata}", error="invalid_token"`);
  });

  it("with too few scopes: error=insufficient_scope and the scopes, space-separated, each once", () => {
    expect(bearerChallenge({ resourceMetadata, error: "insufficient_scope", scopes: ["mcp:read", "mcp:write", "mcp:read"] })).toBe(
      `Bearer resource_metadata="${resourceMetadata}", error="insufficient_scope", scope="mcp:read mcp:write"`,
    );
  });

  it("drops a scope that is no scope token instead of breaking the quoted string", () => {
    expect(bearerChallenge({ resourceMetadata, error: "insufficient_scope", scopes: ['evil", x="y', "with space", "mcp:write"] })).toBe(
      `Bearer resource_metadata="${resourceMetadata}", error="insufficient_scope", scope="mcp:write"`,
    );
  });

  it("escapes quotes and backslashes in the metadata URL", () => {
    expect(bearerChallenge({ resourceMetadata: 'https://h/a"b\\c' })).toBe('Bearer resource_metadata="https://h/a\\"b\\\\c"');
  });
});

describe("scopes", () => {
  it("steps up to the held scopes plus the needed ones", () => {
    expect(stepUpScopes(["mcp:read"], ["mcp:write"])).toEqual(["mcp:read", "mcp:write"]);
    expect(stepUpScopes(["mcp:read", "bad scope"], ["mcp:read"])).toEqual(["mcp:read"]);
  });

  it("names the required scopes a subject lacks", () => {
    expect(missingScopes(["mcp:read"], ["mcp:read", "mcp:write"])).toEqual(["mcp:write"]);
    expect(missingScopes(["mcp:read"], [])).toEqual([]);
  });
});

describe("scopesDemandedBy", () => {
  const deny = (rules: string[], reason: string) => ({ decision: "DENY", rules, reason });

  it("reads the scope from a DENY by require-scope alone", () => {
    expect(scopesDemandedBy(deny(["require-scope"], 'require-scope: token lacks scope "mcp:write" needed for write calls'))).toEqual(["mcp:write"]);
  });

  it("is undefined when another rule denied too: a new token would not help", () => {
    expect(scopesDemandedBy(deny(["require-scope", "block-destructive-prod"], 'require-scope: token lacks scope "mcp:destructive" needed for destructive calls; block…'))).toBeUndefined();
  });

  it("is undefined for other decisions, other reasons and invalid scope tokens", () => {
    expect(scopesDemandedBy({ decision: "REQUIRE_APPROVAL", rules: ["require-scope"], reason: 'token lacks scope "mcp:write"' })).toBeUndefined();
    expect(scopesDemandedBy(deny(["require-scope"], "require-scope: something else"))).toBeUndefined();
    expect(scopesDemandedBy(deny(["require-scope"], 'token lacks scope "a b"'))).toBeUndefined();
    expect(scopesDemandedBy(deny([], 'token lacks scope "mcp:write"'))).toBeUndefined();
  });
});
