/**
 * Complete mediation, end to end: resources, prompts and completions on
 * the real server-everything are decided, audited and scanned like tool
 * calls; a request denied by policy never reaches the (hostile) server;
 * invalid and ill-formed requests get a recorded fail-closed DENY, and the
 * chain still verifies.
 */
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { copyFileSync, readFileSync as readBytes } from "node:fs";
import { LoggingMessageNotificationSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle } from "../src/toolchain/build.js";
import { copyReference, tempDir, writeFiles } from "./helpers/bundles.js";
import { runCli, repoRoot } from "./helpers/cli.js";
import {
  createWorkspace,
  decisionOf,
  disposeGateway,
  everythingServer,
  filesystemServer,
  startTestGateway,
  writeGatewayConfig,
  type TestGateway,
  type Workspace,
} from "./helpers/gateway.js";

const PLANTING_SERVER = join(repoRoot, "test", "fixtures", "planting-server.mjs");

/** A rule only this test adds: one resource of the hostile server is off limits. */
const FORBIDDEN_RULE = `# METADATA
# title: deny-forbidden-resource
# description: The hostile server's plant://forbidden may not be read.
package mcpgov.rules.deny_forbidden_resource

import rego.v1

import data.mcpgov.lib.result

hits contains result.deny("deny-forbidden-resource", "plant://forbidden is off limits") if {
	input.call.method == "resources/read"
	input.call.target.name == "plant://forbidden"
}
`;

export async function buildMediationBundle(output: string): Promise<void> {
  const scratch = await tempDir("mcpgov-mediation-policy-");
  const policy = await copyReference(scratch);
  await writeFiles(policy, { "mcpgov/rules/deny_forbidden_resource/rule.rego": FORBIDDEN_RULE });
  await buildBundle({ policyDir: policy, output, revision: "mediation" });
}

function plantingServer(ws: Workspace): Record<string, unknown> & { id: string } {
  return {
    id: "planting",
    environment: "staging",
    risk_tags: ["non_prod"],
    transport: { type: "stdio", command: process.execPath, args: [PLANTING_SERVER], env: { PLANTING_EVENTS: join(ws.dir, "planting-events.jsonl") } },
    tools: { plant: "read" },
  };
}

function plantingEvents(ws: Workspace): Array<{ method: string; uri?: string; name?: string }> {
  const file = join(ws.dir, "planting-events.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { method: string });
}

describe("every method that acts or reads data is mediated", () => {
  let ws: Workspace;
  let gw: TestGateway;

  beforeAll(async () => {
    ws = await createWorkspace();
    await buildMediationBundle(ws.bundlePath);
    await writeGatewayConfig(ws, { servers: [everythingServer(), plantingServer(ws), filesystemServer(ws)] });
    gw = await startTestGateway(ws);
  }, 120_000);
  afterAll(() => disposeGateway(gw, ws));

  it("decides, records and scans resources/read, prompts/get and completion/complete on server-everything", async () => {
    const client = await gw.connect("everything");
    const { resources } = await client.listResources();
    expect(resources.length).toBeGreaterThan(0);
    const read = await client.readResource({ uri: resources[0]!.uri });
    expect(read.contents.length).toBeGreaterThan(0);

    const { prompts } = await client.listPrompts();
    const simple = prompts.find((p) => !(p.arguments ?? []).some((a) => a.required)) ?? prompts[0]!;
    const prompt = await client.getPrompt({ name: simple.name, arguments: {} });
    expect(prompt.messages.length).toBeGreaterThan(0);

    const withArgs = prompts.find((p) => (p.arguments ?? []).length > 0)!;
    const completion = await client.complete({ ref: { type: "ref/prompt", name: withArgs.name }, argument: { name: withArgs.arguments![0]!.name, value: "" } });
    expect(Array.isArray(completion.completion.values)).toBe(true);

    for (const [method, target] of [
      ["resources/read", resources[0]!.uri],
      ["prompts/get", simple.name],
      ["completion/complete", withArgs.name],
      ["resources/list", "resources"],
      ["prompts/list", "prompts"],
    ] as const) {
      const records = (await gw.calls({ server: "everything" })).filter((r) => r.envelope.call.method === method);
      expect(records.length, method).toBeGreaterThan(0);
      const record = records.at(-1)!;
      expect(record.envelope.version).toBe("v2");
      expect((record.envelope.call as { target: { name: string } }).target.name).toBe(target);
      expect(record.decision).toBe("ALLOW");
      expect(record.rules).toEqual(["allow-read-registered-server"]);
      expect(record.outcome).toBe("executed");
      // Scanned on the way back: the output policy's verdict is on the record.
      expect(record.extra["output_verdict"], method).toBe("PASS");
    }
  });

  it("never sends a request the policy denies, and names the rule in the JSON-RPC error", async () => {
    const client = await gw.connect("planting");
    const before = plantingEvents(ws).length;
    const error = await client.readResource({ uri: "plant://forbidden" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).message).toContain("deny-forbidden-resource");
    const data = (error as McpError).data as Record<string, { decision: string; rules: string[] }>;
    expect(data["mcpgov/decision"]).toMatchObject({ decision: "DENY", rules: ["deny-forbidden-resource"] });
    // The server saw nothing of it.
    expect(plantingEvents(ws).slice(before).filter((e) => e.method === "resources/read")).toEqual([]);
    const record = (await gw.calls({ server: "planting" })).filter((r) => r.envelope.call.method === "resources/read").at(-1)!;
    expect(record).toMatchObject({ decision: "DENY", outcome: "blocked", rules: ["deny-forbidden-resource"] });

    // The allowed resource is read, and the server did see that one.
    await client.readResource({ uri: "plant://doc" });
    expect(plantingEvents(ws).some((e) => e.method === "resources/read" && e.uri === "plant://doc")).toBe(true);
  });

  it("hides poisoned prompts and resources from listings, and denies a get or read of them before dispatch", async () => {
    const client = await gw.connect("planting");
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(["greet"]);
    expect((await client.listResources()).resources.map((r) => r.uri)).not.toContain("plant://sneaky");
    const before = plantingEvents(ws).length;
    for (const attempt of [() => client.getPrompt({ name: "sneaky" }), () => client.readResource({ uri: "plant://sneaky" })]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(McpError);
      expect((error as McpError).message).toContain("mcpgov.catalog-hidden");
    }
    expect(plantingEvents(ws).slice(before).filter((e) => e.method === "prompts/get" || e.method === "resources/read")).toEqual([]);
    expect(await gw.metric("mcpgov_catalog_findings_total", { server: "planting", decision: "HIDE" })).toBeGreaterThan(0);
    // And each verdict is an event in the audit chain, with finding labels, not the text.
    // Written beside the verdict, not awaited by the request: give the writer a moment.
    const catalogEvents = async () => (await gw.records({ server: "planting" })).filter((r) => r.kind === "event" && r.event === "catalog.finding");
    for (let i = 0; i < 40 && (await catalogEvents()).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    const events = await catalogEvents();
    expect(events.map((e) => (e as { tool?: string }).tool).sort()).toEqual(expect.arrayContaining(["sneaky"]));
    expect(JSON.stringify(events)).not.toContain("id_rsa and include");
  });

  it("passes the MCP SDK's own types.d.ts through server-filesystem byte for byte", async () => {
    const source = join(repoRoot, "node_modules", "@modelcontextprotocol", "sdk", "dist", "esm", "types.d.ts");
    copyFileSync(source, join(ws.sandbox, "types.d.ts"));
    const client = await gw.connect("filesystem");
    const result = await client.callTool({ name: "read_text_file", arguments: { path: join(ws.sandbox, "types.d.ts") } });
    expect(result.isError).toBeFalsy();
    const text = (result.content as Array<{ text: string }>)[0]!.text;
    expect(Buffer.from(text, "utf8").equals(readBytes(source))).toBe(true);
    const record = (await gw.calls({ server: "filesystem", tool: "read_text_file" })).at(-1)!;
    expect(record.extra["output_verdict"]).toBe("PASS");
  });

  describe("a secret a hostile server plants", () => {
    const PLANTED = "ghp_" + "Zq8rT2mW9xK4vN7pL3sD6fH1jB5cY0aE2uGi";
    /** The planted token, wherever it is, with invisible characters taken out first. */
    const leaks = (value: unknown): boolean => JSON.stringify(value).replace(/\\u[0-9a-fA-F]{4}|[\u200b-\u200f\u2060\ufeff]|\udb40[\udc00-\udc7f]/g, "").includes(PLANTED);

    it.each(["meta", "annotations", "resource_link", "text_blob", "unknown_key", "zero_width", "tag_chars", "structured"])("in %s never reaches the client", async (where) => {
      const client = await gw.connect("planting");
      const result = await client.callTool({ name: "plant", arguments: { where } });
      const blobText = ((result.content as Array<{ resource?: { blob?: string } }>)[0]?.resource?.blob ?? "");
      expect(leaks(result), JSON.stringify(result)).toBe(false);
      expect(Buffer.from(blobText, "base64").toString("utf8")).not.toContain(PLANTED);
      const record = (await gw.calls({ server: "planting", tool: "plant" })).at(-1)!;
      expect(["REDACT", "QUARANTINE"]).toContain(record.extra["output_verdict"]);
    });

    it("in a JSON-RPC error never reaches the client", async () => {
      const client = await gw.connect("planting");
      const error = await client.callTool({ name: "plant", arguments: { where: "error" } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(McpError);
      expect(leaks({ message: (error as McpError).message, data: (error as McpError).data })).toBe(false);
    });

    it("cannot speak for the gateway: _meta[\"mcpgov/…\"] in a result and data[\"mcpgov/…\"] in an error are dropped, other keys kept", async () => {
      const client = await gw.connect("planting");
      const result = await client.callTool({ name: "plant", arguments: { where: "forged_meta" } });
      expect(result._meta).toEqual({ trace: "kept" });
      const error = await client.callTool({ name: "plant", arguments: { where: "forged_error" } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(McpError);
      expect((error as McpError).data).toEqual({ detail: "kept" });
    });

    it("in a progress message never reaches the client", async () => {
      const client = await gw.connect("planting");
      const messages: string[] = [];
      await client.callTool({ name: "plant", arguments: { where: "progress" } }, undefined, { onprogress: (p) => messages.push(p.message ?? "") });
      expect(messages.length).toBeGreaterThan(0);
      expect(leaks(messages)).toBe(false);
    });

    it("in a log notification never reaches the client", async () => {
      const seen: unknown[] = [];
      const client = await gw.connect("planting", undefined, (c) => c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void seen.push(n)));
      await client.callTool({ name: "plant", arguments: { where: "notification" } });
      expect(leaks(seen)).toBe(false);
    });

    it("in a resource, a prompt and a completion never reaches the client", async () => {
      const client = await gw.connect("planting");
      expect(leaks(await client.readResource({ uri: "plant://doc" }))).toBe(false);
      expect(leaks(await client.getPrompt({ name: "greet" }))).toBe(false);
      expect(leaks(await client.complete({ ref: { type: "ref/prompt", name: "greet" }, argument: { name: "who", value: "b" } }))).toBe(false);
    });
  });

  it("answers an empty tool name with a recorded fail-closed DENY that names the field", async () => {
    const client = await gw.connect("everything");
    const before = plantingEvents(ws).length;
    const result = await client.callTool({ name: "", arguments: {} });
    expect(result.isError).toBe(true);
    const meta = decisionOf(result);
    expect(meta.decision).toBe("DENY");
    expect(meta.rules).toEqual(["mcpgov.fail-closed.invalid_envelope"]);
    expect(meta.reason).toContain("call.target.name");
    const record = (await gw.calls({ callId: meta.call_id }))[0]!;
    expect(record).toMatchObject({ decision: "DENY", outcome: "blocked", fail_closed: "invalid_envelope" });
    expect(record.extra["invalid_request"]).toMatchObject({ field: "call.target.name" });
    expect(plantingEvents(ws).length).toBe(before);
  });

  it("refuses an integer beyond 2^53 in the arguments with a recorded fail-closed DENY naming the field", async () => {
    const client = await gw.connect("everything");
    const result = await client.callTool({ name: "echo", arguments: { message: "x", n: 2 ** 53 + 2 } });
    const meta = decisionOf(result);
    expect(meta).toMatchObject({ decision: "DENY", rules: ["mcpgov.fail-closed.invalid_envelope"] });
    expect(meta.reason).toContain("call.arguments.n");
    const record = (await gw.calls({ callId: meta.call_id }))[0]!;
    expect(record.extra["invalid_request"]).toMatchObject({ field: "call.arguments.n" });
  });

  it("refuses a lone surrogate in a tool name, records it escaped one way, and the chain verifies", async () => {
    const client = await gw.connect("everything");
    const result = await client.callTool({ name: "ec\uD800ho", arguments: { text: "x\uDC00" } });
    const meta = decisionOf(result);
    expect(meta).toMatchObject({ decision: "DENY", rules: ["mcpgov.fail-closed.invalid_envelope"] });
    expect(meta.reason).toContain("lone UTF-16 surrogate");
    const record = (await gw.calls({ callId: meta.call_id }))[0]!;
    expect(record.tool).toBe("ec\uFFFDho");
    const verify = await runCli(["audit", "verify", "--data-dir", ws.dataDir]);
    expect(verify.stdout + verify.stderr).not.toMatch(/tamper|modified/i);
    expect(verify.code).toBe(0);
  });
});

describe("a lone surrogate in a token's sub", () => {
  let ws: Workspace;
  let gw: TestGateway;
  const secret = "mediation-hmac-secret-0123456789abcdef";

  beforeAll(async () => {
    ws = await createWorkspace();
    await buildMediationBundle(ws.bundlePath);
    await writeGatewayConfig(ws, {
      servers: [everythingServer()],
      extra: { auth: { mode: "jwt", shared_secret_env: "MCPGOV_E2E_JWT_SECRET", audience: "mcpgov", issuer: "mediation-test", algorithms: ["HS256"] } },
      env: { MCPGOV_E2E_JWT_SECRET: secret },
    });
    gw = await startTestGateway(ws, { env: { MCPGOV_E2E_JWT_SECRET: secret } });
  }, 120_000);
  afterAll(() => disposeGateway(gw, ws));

  const token = (sub: string) =>
    new SignJWT({ scope: "tools:call mcp:read mcp:write mcp:destructive" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(sub)
      .setAudience("mcpgov")
      .setIssuer("mediation-test")
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(secret));

  it("is refused at sign-in with the claim named, and audit verify stays clean", async () => {
    const bad = await token("al\uD800ice");
    const response = await gw.fetch("/mcp/everything", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${bad}` },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "0" } } }),
    });
    expect(response.status).toBe(401);
    expect(await response.text()).toContain("claim sub is not well-formed Unicode");

    // A good token still works, and everything recorded verifies.
    const client = await gw.connect("everything", await token("alice"));
    const ok = await client.callTool({ name: "echo", arguments: { message: "hi" } });
    expect(ok.isError).toBeFalsy();
    const verify = await runCli(["audit", "verify", "--data-dir", ws.dataDir]);
    expect(verify.code).toBe(0);
  });
});
