import { describe, expect, it } from "vitest";
import { buildEnvelope, EnvelopeSchema } from "./envelope.js";
import { describeIssues } from "./issues.js";

const digest = `sha256:${"a".repeat(64)}`;

describe("buildEnvelope", () => {
  const base = {
    callId: "c1",
    server: "github",
    tool: "create_issue",
    arguments: { title: "x" },
    argumentsDigest: digest,
    action: "write" as const,
    subject: { id: "alice" },
    time: "2026-04-01T09:30:00Z",
  };

  it("marks a server with a registry entry registered and merges risk tags", () => {
    const env = buildEnvelope({ ...base, registry: { owner: "platform", risk_tags: ["prod", "pii"] }, toolRiskTags: ["prod", "money"] });
    expect(env.server).toMatchObject({ registered: true, id: "github", owner: "platform" });
    expect(env.risk_tags).toEqual(["money", "pii", "prod"]);
    expect(env.labels).toEqual({ "mcp.action": "write", "mcp.server": "github", "mcp.method": "tools/call", "mcp.target": "create_issue", "mcp.tool": "create_issue" });
  });

  it("marks a server without a registry entry unregistered", () => {
    const env = buildEnvelope(base);
    expect(env.server.registered).toBe(false);
    expect(env.risk_tags).toEqual([]);
  });

  it("refuses a time that is not RFC 3339", () => {
    expect(() => buildEnvelope({ ...base, time: "yesterday" })).toThrow();
  });

  // buildEnvelope skips the zod pass for a plainly valid envelope: what it returns must be what the schema would have made.
  it.each([
    ["a bare call", base],
    ["a registered server with a full subject", { ...base, registry: { owner: "o", environment: "prod", risk_tags: ["prod"], trusted: true }, subject: { id: "a", tenant: "t", roles: ["r"], scopes: ["s"] } }],
    ["a request id and transport", { ...base, requestId: "r-1", transport: "stdio" as const, toolRiskTags: ["money"] }],
  ])("returns what EnvelopeSchema makes of it (%s)", (_name, parts) => {
    const env = buildEnvelope(parts);
    expect(env).toStrictEqual(EnvelopeSchema.parse(env));
  });

  it.each([
    ["an empty tool name", { tool: "" }],
    ["arguments that are an array", { arguments: [] as unknown as Record<string, unknown> }],
    ["an empty risk tag", { toolRiskTags: [""] }],
    ["a malformed digest", { argumentsDigest: "sha256:xyz" }],
    ["an unknown subject field", { subject: { id: "a", colour: "red" } as { id: string } }],
    ["an empty subject id", { subject: { id: "" } }],
  ])("still refuses %s, with the schema's error", (_name, change) => {
    expect(() => buildEnvelope({ ...base, ...change })).toThrow(/expected|Unrecognized|Too small|Invalid/);
  });
});

describe("EnvelopeSchema", () => {
  it("names the failing field's path", () => {
    const result = EnvelopeSchema.safeParse({ version: "v1", call: { id: 1 } });
    expect(result.success).toBe(false);
    const text = describeIssues(result.error!, 20);
    expect(text).toContain("call.id:");
    expect(text).toContain("labels:");
  });

  it("refuses unknown fields, so a typo cannot pass as an empty value", () => {
    const result = EnvelopeSchema.safeParse({ version: "v1", colour: "red" });
    expect(describeIssues(result.error!, 20)).toContain('Unrecognized key: "colour"');
  });
});
