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
    expect(env.labels).toEqual({ "mcp.action": "write", "mcp.server": "github", "mcp.tool": "create_issue" });
  });

  it("marks a server without a registry entry unregistered", () => {
    const env = buildEnvelope(base);
    expect(env.server.registered).toBe(false);
    expect(env.risk_tags).toEqual([]);
  });

  it("refuses a time that is not RFC 3339", () => {
    expect(() => buildEnvelope({ ...base, time: "yesterday" })).toThrow();
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
