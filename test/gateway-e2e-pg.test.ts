/**
 * End to end on PostgreSQL: two gateways with `state: postgres://…` (the
 * password from state_password_env) write one audit chain; each sees the
 * other's calls, and the chain verifies as one.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyChain } from "../src/audit/hash-chain.js";
import { AUDIT_FILE } from "../src/audit/sqlite-audit-store.js";
import { usePostgres } from "./helpers/embedded-pg.js";
import { disposeGateway, memoryServer, referenceWorkspace, startTestGateway, type TestGateway, type Workspace, writeGatewayConfig } from "./helpers/gateway.js";

const postgres = usePostgres();
let ws: Workspace;
const gateways: TestGateway[] = [];

beforeAll(async () => {
  ws = await referenceWorkspace();
  const { url, password } = postgres();
  const env = { MCPGOV_E2E_PG_PASSWORD: password };
  await writeGatewayConfig(ws, { servers: [memoryServer(ws)], env, extra: { state: url, state_password_env: "MCPGOV_E2E_PG_PASSWORD" } });
  for (let i = 0; i < 2; i++) gateways.push(await startTestGateway(ws, { env }));
}, 120_000);

afterAll(async () => {
  for (const gw of gateways.splice(1)) await gw.close();
  await disposeGateway(gateways[0], ws);
});

describe("two gateways on one PostgreSQL", () => {
  it("record their calls in one chain that both read and that verifies", async () => {
    const [a, b] = gateways as [TestGateway, TestGateway];
    await (await a.connect("memory")).callTool({ name: "read_graph", arguments: {} });
    await (await b.connect("memory")).callTool({ name: "read_graph", arguments: {} });
    const calls = await a.calls();
    expect(calls.map((c) => c.outcome)).toEqual(["executed", "executed"]);
    expect((await b.calls()).map((c) => c.call_id)).toEqual(calls.map((c) => c.call_id));
    const audit = a.gateway.ctx.audit;
    expect(await verifyChain(audit.iterate(), { head: (await audit.head())! })).toMatchObject({ ok: true });
    // Nothing went to SQLite.
    expect(existsSync(join(ws.dataDir, AUDIT_FILE))).toBe(false);
  });
});
