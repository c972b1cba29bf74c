/**
 * End to end: requests a server sends to its client (sampling, elicitation)
 * reach the client whose tool call is running, through the gateway; a client
 * that cannot answer them gets the server's request refused, not hung.
 */
import { CreateMessageRequestSchema, ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  disposeGateway,
  everythingServer,
  referenceWorkspace,
  startTestGateway,
  type TestGateway,
  textOf,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";

let ws: Workspace;
let gw: TestGateway;

beforeAll(async () => {
  ws = await referenceWorkspace();
  const everything = everythingServer();
  await writeGatewayConfig(ws, {
    servers: [{ ...everything, tools: { ...(everything["tools"] as Record<string, string>), "trigger-sampling-request": "read", "trigger-elicitation-request": "read" } }],
  });
  gw = await startTestGateway(ws);
});

afterAll(() => disposeGateway(gw, ws));

describe("server-to-client requests", () => {
  it("relays sampling/createMessage to the calling client and returns its answer to the server", async () => {
    const prompts: string[] = [];
    const client = await gw.connect("everything", undefined, (c) => {
      c.registerCapabilities({ sampling: {} });
      c.setRequestHandler(CreateMessageRequestSchema, async (request) => {
        const content = request.params.messages[0]?.content as { type: string; text?: string };
        prompts.push(content.text ?? "");
        return { model: "test-model", role: "assistant", content: { type: "text", text: "sampled by the e2e client" } };
      });
    });
    const result = await client.callTool({ name: "trigger-sampling-request", arguments: { prompt: "what is mcpgov?", maxTokens: 10 } });
    expect(result.isError).toBeFalsy();
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toContain("what is mcpgov?");
    expect(textOf(result)).toContain("sampled by the e2e client");
  });

  it("relays elicitation/create to the calling client", async () => {
    let asked = 0;
    const client = await gw.connect("everything", undefined, (c) => {
      c.registerCapabilities({ elicitation: {} });
      c.setRequestHandler(ElicitRequestSchema, async () => {
        asked++;
        return { action: "decline" };
      });
    });
    const result = await client.callTool({ name: "trigger-elicitation-request", arguments: {} });
    expect(asked).toBe(1);
    expect(textOf(result).toLowerCase()).toContain("decline");
  });

  it("refuses the server's request when the calling client cannot sample", async () => {
    const client = await gw.connect("everything");
    const outcome = await client.callTool({ name: "trigger-sampling-request", arguments: { prompt: "x", maxTokens: 5 } }).then(
      (result) => textOf(result),
      (error: Error) => error.message,
    );
    expect(outcome).toContain("does not support sampling");
  });
});
