import { describe, expect, it } from "vitest";
import { buildEnvelope } from "../core/envelope.js";
import { type RegistryEntry, RegistryEntrySchema } from "../core/gateway-config.js";
import { McpgovError } from "../core/errors.js";
import { classifyTool, Registry, registryFacts } from "./registry.js";

function entry(fields: Record<string, unknown>): RegistryEntry {
  return RegistryEntrySchema.parse({ id: "files", transport: { type: "stdio", command: "node" }, ...fields });
}

const tool = (annotations?: unknown) => ({ name: "t", inputSchema: { type: "object" }, ...(annotations === undefined ? {} : { annotations }) });

describe("classifyTool", () => {
  it("lets the operator's classification win over any annotation", () => {
    const files = entry({ trusted: true, tools: { t: { action: "write", risk_tags: ["pii"] } } });
    expect(classifyTool(files, "t", tool({ readOnlyHint: true }))).toEqual({ action: "write", risk_tags: ["pii"], source: "operator" });
  });

  it("reads a trusted server's annotations with the spec's worst-case defaults", () => {
    const trusted = entry({ trusted: true });
    const cases: Array<[unknown, string]> = [
      [{ readOnlyHint: true }, "read"],
      [{ readOnlyHint: true, destructiveHint: true }, "read"],
      [{ readOnlyHint: false, destructiveHint: false }, "write"],
      [{ destructiveHint: false }, "write"],
      [{ readOnlyHint: false }, "destructive"],
      [{}, "destructive"],
      [{ readOnlyHint: "true", destructiveHint: 0 }, "destructive"],
    ];
    for (const [annotations, action] of cases) {
      expect(classifyTool(trusted, "t", tool(annotations)), JSON.stringify(annotations)).toEqual({ action, risk_tags: [], source: "annotations" });
    }
    expect(classifyTool(trusted, "t", tool())).toEqual({ action: "destructive", risk_tags: [], source: "default" });
  });

  it("ignores an untrusted server's claims: unclassified is destructive", () => {
    const untrusted = entry({});
    expect(classifyTool(untrusted, "t", tool({ readOnlyHint: true }))).toEqual({ action: "destructive", risk_tags: [], source: "default" });
    expect(classifyTool(untrusted, "toString")).toEqual({ action: "destructive", risk_tags: [], source: "default" });
  });
});

describe("Registry", () => {
  it("looks servers up by id and names the known ones for an unknown id", () => {
    const registry = new Registry([entry({}), entry({ id: "memory" })]);
    expect(registry.get("memory")?.id).toBe("memory");
    expect(registry.get("nope")).toBeUndefined();
    expect(() => registry.require("nope")).toThrow(new McpgovError("usage", "no server 'nope' in the registry (registered: files, memory)"));
    expect(registry.classifyTool("files", "x").source).toBe("default");
  });

  it("gives the envelope's server block", () => {
    const facts = registryFacts(entry({ version: "1.2", owner: "platform", environment: "prod", risk_tags: ["prod"], tenant: "acme" }));
    expect(facts).toEqual({ version: "1.2", owner: "platform", environment: "prod", risk_tags: ["prod"], tenant: "acme", trusted: false });
    const envelope = buildEnvelope({
      callId: "c1",
      server: "files",
      tool: "read_file",
      arguments: {},
      argumentsDigest: `sha256:${"0".repeat(64)}`,
      registry: facts,
      action: "read",
      subject: { id: "alice" },
      time: "2026-01-01T00:00:00Z",
    });
    expect(envelope.server).toMatchObject({ registered: true, id: "files", environment: "prod", trusted: false });
  });
});
