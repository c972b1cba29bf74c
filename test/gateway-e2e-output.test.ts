/**
 * End to end: output safety through the gateway. What a tool returns is
 * scanned and decided by the bundle's output policy before the client sees
 * it — clean output untouched, PII and tokens redacted, cloud credentials
 * withheld — and the audit record says which, with counts, never values.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  disposeGateway,
  everythingServer,
  filesystemServer,
  referenceWorkspace,
  startTestGateway,
  type TestGateway,
  textOf,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";

// Built from parts so the source itself does not look like a leaked credential.
const AWS_KEY = ["AK", "IA", "Q3EGRH7WJX2LMN4P"].join("");
const GITHUB_TOKEN = ["gh", "p_", "R8fK2mQ9xL4vB7nT1cW6yH3jD5sA0pZeUoIq"].join("");
const EMAIL = "dana.okafor@example.org";

let ws: Workspace;
let gw: TestGateway;
let filesystem: Client;
let everything: Client;

beforeAll(async () => {
  ws = await referenceWorkspace();
  const base = everythingServer();
  const transport = base["transport"] as Record<string, unknown>;
  await writeGatewayConfig(ws, {
    servers: [
      filesystemServer(ws),
      {
        ...base,
        transport: { ...transport, env: { DEPLOY_TOKEN: GITHUB_TOKEN } },
        tools: { ...(base["tools"] as Record<string, string>), "get-env": "read" },
      },
    ],
  });
  gw = await startTestGateway(ws);
  filesystem = await gw.connect("filesystem");
  everything = await gw.connect("everything");
});

afterAll(() => disposeGateway(gw, ws));

async function read(name: string, content: string) {
  writeFileSync(join(ws.sandbox, name), content);
  return filesystem.callTool({ name: "read_text_file", arguments: { path: join(ws.sandbox, name) } });
}

async function lastRecord(tool: string) {
  const records = await gw.calls({ tool });
  return records[records.length - 1]!;
}

describe("output safety through the gateway", () => {
  it("passes clean output byte for byte", async () => {
    const content = "release checklist: tag v1.4.2, build 7f3c9e1, ship on 2026-05-04\n";
    const result = await read("clean.txt", content);
    expect(JSON.stringify(result)).toBe(JSON.stringify({ content: [{ type: "text", text: content }], structuredContent: { content } }));
    expect((await lastRecord("read_text_file")).extra).toMatchObject({ output_verdict: "PASS" });
  });

  it("redacts personal data the policy says to redact", async () => {
    const result = await read("contacts.txt", `owner: ${EMAIL}\nteam: payments\n`);
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain("owner: [REDACTED:email]");
    expect(JSON.stringify(result)).not.toContain(EMAIL);
    const record = await lastRecord("read_text_file");
    // Once in the text item and once in structuredContent.
    expect(record.extra).toMatchObject({ output_verdict: "REDACT", findings: { email: 2 } });
    expect(JSON.stringify(record)).not.toContain(EMAIL);
  });

  it("withholds a file with a cloud access key and says why", async () => {
    const result = await read("deploy.env", `AWS_ACCESS_KEY_ID=${AWS_KEY}\nREGION=eu-west-1\n`);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("mcpgov withheld this tool's output");
    expect(JSON.stringify(result)).not.toContain(AWS_KEY);
    expect((result._meta as Record<string, { decision: string }>)["mcpgov/output"]?.decision).toBe("QUARANTINE");
    const record = await lastRecord("read_text_file");
    expect(record).toMatchObject({ outcome: "executed", extra: { output_verdict: "QUARANTINE", findings: { aws_access_key: 2 } } });
    expect(JSON.stringify(record)).not.toContain(AWS_KEY);
  });

  it("catches server-everything's environment tool leaking a secret-bearing variable", async () => {
    const result = await everything.callTool({ name: "get-env", arguments: {} });
    expect(JSON.stringify(result)).not.toContain(GITHUB_TOKEN);
    expect(textOf(result)).toContain("[REDACTED:github_token]");
    expect((await lastRecord("get-env")).extra).toMatchObject({ output_verdict: "REDACT", findings: { github_token: 1 } });
    expect(await gw.metric("mcpgov_output_verdicts_total", { verdict: "REDACT" })).toBeGreaterThanOrEqual(2);
  });
});
