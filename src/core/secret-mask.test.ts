import { describe, expect, it } from "vitest";
import { isSecretKey, MASK, maskSecrets, maskText } from "./secret-mask.js";

describe("isSecretKey", () => {
  it.each([
    "token",
    "secret",
    "password",
    "passwd",
    "api_key",
    "apikey",
    "apiKey",
    "X-Api-Key",
    "Authorization",
    "auth",
    "Cookie",
    "set-cookie",
    "session",
    "private_key",
    "privateKey",
    "credential",
    "credentials",
    "github_token",
    "accessToken",
    "client_secret",
    "AWS_SECRET_ACCESS_KEY",
    "db.password",
  ])("treats %s as secret", (key) => expect(isSecretKey(key)).toBe(true));

  it("gives the same verdict for a key asked again", () => {
    expect([isSecretKey("apiKey"), isSecretKey("apiKey"), isSecretKey("title"), isSecretKey("title")]).toEqual([true, true, false, false]);
  });

  it.each(["author", "authors", "title", "body", "keyboard", "monkey", "key_id", "token_count", "session_id", "tokens_used", "arguments_digest", "mcp.action"])(
    "keeps %s",
    (key) => expect(isSecretKey(key)).toBe(false),
  );
});

describe("maskText", () => {
  const jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
  it.each([
    ["a JWT", jwt],
    ["a bearer header", "Bearer abc123def456ghi789"],
    ["basic credentials", "Basic dXNlcjpwYXNzd29yZA=="],
    ["a GitHub token", "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"],
    ["a fine-grained GitHub token", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"],
    ["a Slack bot token", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"],
    ["a Stripe key", "sk_live_51H8abcdefghijklmnop"],
    ["an OpenAI-style key", "sk-proj-abcdefghijklmnopqrstuvwxyz012345"],
    ["an AWS access key id", "AKIAIOSFODNN7EXAMPLE"],
    ["a PEM private key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"],
    // One sample per pattern, so a pattern whose literal the quick pre-test lacks fails here.
    ["a GitLab token", "glpat-abcdefghij0123456789"],
    ["a Stripe restricted test key", "rk_test_abcdefghij0123"],
    ["an AWS session key id", "ASIAIOSFODNN7EXAMPLE"],
    ["a Google API key", `AIza${"b".repeat(35)}`],
    ["an npm token", `npm_${"c".repeat(36)}`],
    ["a lower-case bearer header", "bearer Abc123def456ghi789"],
  ])("masks %s", (_name, secret) => {
    expect(maskText(secret)).toBe(MASK);
    expect(maskText(`before ${secret} after`)).toBe(`before ${MASK} after`);
  });

  it("masks the password of a URL and keeps the rest", () => {
    expect(maskText("postgres://app:s3cr3t@db.internal:5432/prod")).toBe(`postgres://app:${MASK}@db.internal:5432/prod`);
  });

  it.each([
    "Rotate deploy key",
    "task-list for sk-8 sprint",
    "the bearer of bad news",
    "see https://example.com/path?x=1",
    "sha256:63964c29910420c065910f62faf26ecf03bf5855c57d03543823d445289911d2",
    "2026-04-01T09:30:00Z",
    "AKIA is a prefix",
  ])("keeps %j", (text) => expect(maskText(text)).toBe(text));
});

describe("maskSecrets", () => {
  it("masks values under secret keys at any depth, whole, and leaves the input untouched", () => {
    const input = {
      title: "deploy",
      headers: { Authorization: "whatever", "X-Trace": "t-1" },
      nested: [{ password: 1234, user: "bob" }, { credentials: { user: "a", pass: "b" } }],
      token: null,
    };
    const copy = structuredClone(input);
    expect(maskSecrets(input)).toEqual({
      title: "deploy",
      headers: { Authorization: MASK, "X-Trace": "t-1" },
      nested: [{ password: MASK, user: "bob" }, { credentials: MASK }],
      token: null,
    });
    expect(input).toEqual(copy);
  });

  it("masks credential-shaped strings under ordinary keys", () => {
    expect(maskSecrets({ body: "use ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 to push", n: 3, ok: true })).toEqual({
      body: `use ${MASK} to push`,
      n: 3,
      ok: true,
    });
  });
});
