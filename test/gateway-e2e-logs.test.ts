/**
 * End to end: the gateway's logs carry what operators need (call ids,
 * decisions, outcomes) and never the tool arguments or a client's key.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  disposeGateway,
  KEYS,
  memoryServer,
  referenceWorkspace,
  startTestGateway,
  type TestGateway,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";
import { memoryLogger } from "./helpers/rug-pull.js";

const ARGUMENT_SECRET = "hunter2-do-not-log-me";

let ws: Workspace;
let gw: TestGateway;
const logger = memoryLogger();

beforeAll(async () => {
  ws = await referenceWorkspace();
  await writeGatewayConfig(ws, { servers: [memoryServer(ws)] });
  gw = await startTestGateway(ws, { logger });
});

afterAll(() => disposeGateway(gw, ws));

describe("gateway logs", () => {
  it("record the call's id, decision and outcome, not its arguments or the client's key", async () => {
    const memory = await gw.connect("memory");
    await memory.callTool({ name: "create_entities", arguments: { entities: [{ name: "e", entityType: "t", observations: [ARGUMENT_SECRET] }] } });
    await memory.callTool({ name: "add_observations", arguments: { observations: [{ entityName: "e", contents: [`see https://off-list.example/${ARGUMENT_SECRET}`] }] } });
    await gw.fetch("/mcp/memory", { method: "POST", headers: { authorization: "Bearer wrong-key-0123456789" }, body: "{}" });

    const calls = logger.entries.filter((e) => e.message === "tools/call");
    expect(calls.map((e) => [e.fields["decision"], e.fields["outcome"]])).toEqual([
      ["ALLOW_WITH_CONSTRAINTS", "executed"],
      ["DENY", "blocked"],
    ]);
    expect(calls.every((e) => typeof e.fields["call_id"] === "string")).toBe(true);
    const everything = JSON.stringify(logger.entries);
    expect(everything).not.toContain(ARGUMENT_SECRET);
    expect(everything).not.toContain(KEYS.alice);
    expect(everything).not.toContain("wrong-key-0123456789");
  });

  it("carry the HTTP request id on the call's log line, on the lean path and the SDK path alike", async () => {
    // A client that declares sampling is answered over SSE by the SDK server; a plain one on the lean path.
    for (const [requestId, capabilities] of [["e2e-lean-7", {}], ["e2e-sdk-8", { sampling: {} }]] as const) {
      const client = new Client({ name: "logs", version: "1" }, { capabilities });
      let answeredId: string | null = null;
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp/memory`), {
          requestInit: { headers: { Authorization: `Bearer ${KEYS.alice}`, "X-Request-Id": requestId } },
          fetch: async (input, init) => {
            const response = await fetch(input, init);
            if (typeof init?.body === "string" && init.body.includes('"tools/call"')) answeredId = response.headers.get("x-request-id");
            return response;
          },
        }),
      );
      try {
        await client.callTool({ name: "read_graph", arguments: {} });
      } finally {
        await client.close();
      }
      expect(answeredId).toBe(requestId);
      const line = logger.entries.filter((e) => e.message === "tools/call").at(-1)!;
      expect(line.fields).toMatchObject({ request_id: requestId, decision: "ALLOW", outcome: "executed" });
    }
  });
});
