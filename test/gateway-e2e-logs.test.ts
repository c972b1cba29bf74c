/**
 * End to end: the gateway's logs carry what operators need (call ids,
 * decisions, outcomes) and never the tool arguments or a client's key.
 */
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
});
