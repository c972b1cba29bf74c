/**
 * End to end: the reference pack's require-scope rule through the gateway.
 * A token without mcp:write is refused a write with a reason naming the
 * scope, and the upstream never hears of the call; with the scope the same
 * call runs.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decisionOf, disposeGateway, KEYS, referenceWorkspace, rugEvents, rugServer, startTestGateway, type TestGateway, textOf, type Workspace, writeGatewayConfig } from "./helpers/gateway.js";

const READER_KEY = "reader-e2e-key-only-mcp-read-0123";
const ENV = { MCPGOV_E2E_KEY_READER: READER_KEY };

let ws: Workspace;
let gw: TestGateway;
let reader: Client;
let alice: Client;

beforeAll(async () => {
  ws = await referenceWorkspace();
  await writeGatewayConfig(ws, {
    servers: [rugServer(ws)],
    env: ENV,
    keys: [{ id: "reader", key_env: "MCPGOV_E2E_KEY_READER", subject: "rex", tenant: "acme", roles: ["developer"], scopes: ["tools:call", "mcp:read"] }],
  });
  gw = await startTestGateway(ws, { env: ENV });
  reader = await gw.connect("rug", READER_KEY);
  alice = await gw.connect("rug", KEYS.alice);
});

afterAll(() => disposeGateway(gw, ws));

const slowCalls = () => rugEvents(ws).filter((e) => e.event === "call" && e.tool === "slow");

describe("require-scope on a non-production server", () => {
  it("runs a read for a token with mcp:read", async () => {
    const result = await reader.callTool({ name: "echo", arguments: { text: "hello" } });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe("hello");
  });

  it("denies a write to a token without mcp:write, naming the scope, and the server never sees it", async () => {
    const result = await reader.callTool({ name: "slow", arguments: { seconds: 0 } });
    expect(result.isError).toBe(true);
    const decision = decisionOf(result);
    expect(decision).toMatchObject({ decision: "DENY", rules: ["require-scope"], reason: 'require-scope: token lacks scope "mcp:write" needed for write calls' });
    expect(textOf(result)).toContain('token lacks scope "mcp:write" needed for write calls');
    expect(slowCalls()).toEqual([]);
    const [record] = await gw.calls({ callId: decision.call_id });
    expect(record).toMatchObject({ decision: "DENY", outcome: "blocked", rules: ["require-scope"], subject: { id: "rex" } });
    expect(await gw.metric("mcpgov_blocked_calls_total", { reason: "require-scope", server: "rug" })).toBe(1);
  });

  it("runs the same write for a token with mcp:write", async () => {
    const result = await alice.callTool({ name: "slow", arguments: { seconds: 0 } });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toMatch(/^slow /);
    expect(slowCalls()).toHaveLength(1);
    const [record] = await gw.calls({ server: "rug", tool: "slow", decision: "ALLOW_WITH_CONSTRAINTS" });
    expect(record).toMatchObject({ outcome: "executed", rules: ["constrain-non-prod-write"], subject: { id: "alice" } });
  });
});
