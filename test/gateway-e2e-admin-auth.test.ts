/**
 * End to end: `admin_auth` is its own set of API keys, kept apart from the
 * MCP clients' `auth`. An approver key from `admin_auth` works the approval
 * queue (API and console) but opens no MCP session; an MCP client key, even
 * one whose subject holds approver or admin roles in `auth`, gets nowhere on
 * the admin side. Config mistakes in `admin_auth` name the field.
 */
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { McpgovError } from "../src/core/errors.js";
import { loadGatewayConfig } from "../src/gateway/config.js";
import { approverApi } from "./helpers/approvals.js";
import {
  decisionOf,
  disposeGateway,
  filesystemServer,
  INITIALIZE,
  KEY_ENV,
  KEYS,
  mcpHeaders,
  referenceWorkspace,
  startTestGateway,
  type TestGateway,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";

/** Keys that exist only in admin_auth. */
const ADMIN_KEYS = { dave: "dave-admin-only-approver-key-0123", root: "root-admin-only-key-456789abcdef" } as const;
const ADMIN_ENV = { MCPGOV_E2E_ADMIN_DAVE: ADMIN_KEYS.dave, MCPGOV_E2E_ADMIN_ROOT: ADMIN_KEYS.root };

const ADMIN_AUTH = {
  mode: "api_keys",
  keys: [
    // Scopes that would let an MCP client call tools: they must not open the MCP door from here.
    { id: "dave", key_env: "MCPGOV_E2E_ADMIN_DAVE", subject: "dave", tenant: "acme", roles: ["approver"], scopes: ["tools:call"] },
    { id: "root", key_env: "MCPGOV_E2E_ADMIN_ROOT", subject: "root", tenant: "acme", roles: ["mcpgov-admin"], scopes: [] },
  ],
};

let ws: Workspace;
let gw: TestGateway;
let alice: Client;

beforeAll(async () => {
  ws = await referenceWorkspace();
  await writeGatewayConfig(ws, {
    servers: [filesystemServer(ws)],
    approvals: { wait_sec: 0, groups: { default: { roles: ["approver"] } } },
    env: ADMIN_ENV,
    extra: { admin_auth: ADMIN_AUTH },
  });
  gw = await startTestGateway(ws, { env: ADMIN_ENV });
  alice = await gw.connect("filesystem");
});

afterAll(() => disposeGateway(gw, ws));

const write = (name: string) => alice.callTool({ name: "write_file", arguments: { path: join(ws.sandbox, name), content: `${name}\n` } });

/** Status of a fresh MCP initialize with this key. */
async function mcpStatus(key: string): Promise<number> {
  const response = await gw.fetch("/mcp/filesystem", { method: "POST", headers: mcpHeaders(key), body: JSON.stringify(INITIALIZE) });
  await response.body?.cancel();
  return response.status;
}

/** Signs in to the console as a browser would (CSRF cookie and field, same origin); answers the status. */
async function consoleSignIn(key: string): Promise<number> {
  const login = await gw.fetch("/console/login");
  const cookie = login.headers
    .getSetCookie()
    .map((line) => line.split(";")[0])
    .join("; ");
  const csrf = /name="csrf" value="([^"]+)"/.exec(await login.text())?.[1];
  expect(csrf, "the sign-in page has a CSRF field").toBeDefined();
  const response = await gw.fetch("/console/login", {
    method: "POST",
    redirect: "manual",
    headers: { cookie, origin: gw.url, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf: csrf!, token: key }).toString(),
  });
  await response.body?.cancel();
  return response.status;
}

describe("admin_auth apart from auth", () => {
  it("lets an approver key from admin_auth list and approve, and the approval runs the client's retry", async () => {
    const first = decisionOf(await write("approved.txt"));
    expect(first.decision).toBe("REQUIRE_APPROVAL");
    const dave = approverApi(gw, ADMIN_KEYS.dave);
    expect((await dave.list("state=pending")).map((r) => r.id)).toContain(first.approval_id);
    const approved = await dave.approve(first.approval_id!, "admin-only approver");
    expect(approved.status).toBe(200);
    expect(approved.body["approval"]).toMatchObject({ state: "approved", decided_by: { id: "dave", via: "admin-api" } });
    expect((await write("approved.txt")).isError).toBeFalsy();
  });

  it("refuses an admin_auth key at the MCP endpoint, however broad its scopes", async () => {
    expect(await mcpStatus(ADMIN_KEYS.dave)).toBe(401);
    expect(await mcpStatus(ADMIN_KEYS.root)).toBe(401);
    expect(await mcpStatus(KEYS.alice)).toBe(200);
  });

  it("refuses MCP client keys on the admin API, approver and admin roles in auth notwithstanding", async () => {
    const pending = decisionOf(await write("pending.txt")).approval_id!;
    for (const key of [KEYS.bob, KEYS.admin, KEYS.alice]) {
      const api = approverApi(gw, key);
      expect((await api.call("")).status).toBe(401);
      expect((await api.get(pending)).status).toBe(401);
      expect((await api.approve(pending, "should not count")).status).toBe(401);
      expect((await gw.fetch("/admin/quarantine", { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
      expect((await gw.fetch("/admin/bundle", { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
    }
    expect((await gw.gateway.ctx.approvals.store.get(pending))?.state).toBe("pending");
    expect((await gw.fetch("/admin/bundle", { headers: { authorization: `Bearer ${ADMIN_KEYS.root}` } })).status).toBe(200);
  });

  it("signs approvers in to the console with admin_auth keys only", async () => {
    expect(await consoleSignIn(ADMIN_KEYS.dave)).toBe(303);
    expect(await consoleSignIn(KEYS.bob)).toBe(401);
  });
});

describe("admin_auth config errors name the field", () => {
  const rewrite = (extra: Record<string, unknown>) => writeGatewayConfig(ws, { servers: [filesystemServer(ws)], pin: false, env: ADMIN_ENV, extra });
  /** The problems loading reports, one line each as the CLI prints them: file:line: message. */
  async function problems(): Promise<string[]> {
    const error = await loadGatewayConfig(ws.configPath, { env: { ...KEY_ENV, ...ADMIN_ENV } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, "the config must be refused").toBeInstanceOf(McpgovError);
    expect((error as McpgovError).code).toBe("config_invalid");
    return ((error as McpgovError).data.diagnostics ?? []).map((d) => `${d.file}:${d.line ?? "?"}: ${d.message}`);
  }

  it("refuses admin_auth mode none when listening beyond loopback", async () => {
    await rewrite({ listen: { host: "0.0.0.0", port: 0 }, allowed_hosts: ["gateway.internal"], auth: ADMIN_AUTH, admin_auth: { mode: "none" } });
    expect(await problems()).toEqual([expect.stringMatching(/mcpgov\.yaml:\d+: admin_auth\.mode.*loopback/)]);
  });

  it("refuses an admin_auth key whose variable is not set", async () => {
    await rewrite({ admin_auth: { ...ADMIN_AUTH, keys: [{ ...ADMIN_AUTH.keys[0], key_env: "MCPGOV_E2E_UNSET_ADMIN_KEY" }] } });
    expect(await problems()).toEqual([expect.stringMatching(/mcpgov\.yaml:\d+: admin_auth\.keys\[0\]\.key_env: .*MCPGOV_E2E_UNSET_ADMIN_KEY is not set/)]);
  });

  it("refuses an inline admin_auth key, naming where it is and not what it is", async () => {
    await rewrite({ admin_auth: { mode: "api_keys", keys: [{ id: "x", key: "inline-secret-value-1234567890", subject: "x", roles: ["approver"] }] } });
    const found = await problems();
    expect(found).toEqual([expect.stringMatching(/mcpgov\.yaml:\d+: admin_auth\.keys\[0\]\.key: inline keys are refused/)]);
    expect(found.join("\n")).not.toContain("inline-secret-value-1234567890");
  });
});
