/**
 * End to end: the gateway's HTTP edge. The client's token stops at the
 * gateway (an HTTP upstream sees only the registry's header), and bad
 * requests — invalid JSON, oversized bodies, unknown sessions, missing or
 * wrong tokens, foreign Host or Origin — get the right status and JSON-RPC
 * error while the gateway keeps serving.
 */
import { rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildReferenceBundle,
  createWorkspace,
  INITIALIZE,
  KEYS,
  mcpHeaders,
  rugServer,
  type TestGateway,
  startTestGateway,
  textOf,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";
import { rugPullHttp } from "./helpers/rug-pull.js";

const UPSTREAM_ENV = { E2E_UPSTREAM_TOKEN: "Bearer upstream-secret" };
const MAX_BODY = 64 * 1024;

let ws: Workspace;
let gw: TestGateway;
let remote: Awaited<ReturnType<typeof rugPullHttp>>;

beforeAll(async () => {
  ws = await createWorkspace();
  remote = await rugPullHttp();
  await buildReferenceBundle(ws.bundlePath);
  await writeGatewayConfig(ws, {
    servers: [
      rugServer(ws),
      {
        id: "remote",
        environment: "staging",
        transport: { type: "streamable_http", url: remote.url, headers: { Authorization: { from_env: "E2E_UPSTREAM_TOKEN" } } },
        tools: { echo: "read" },
      },
    ],
    limits: { max_body_bytes: MAX_BODY },
    env: UPSTREAM_ENV,
  });
  gw = await startTestGateway(ws, { env: UPSTREAM_ENV });
});

afterAll(async () => {
  await gw?.close();
  await remote?.close();
  if (ws) await rm(ws.dir, { recursive: true, force: true });
});

interface JsonRpcError {
  jsonrpc: string;
  error: { code: number; message: string };
}

async function errorOf(response: Response): Promise<JsonRpcError> {
  expect(response.headers.get("content-type")).toContain("application/json");
  const body = (await response.json()) as JsonRpcError;
  expect(body.jsonrpc).toBe("2.0");
  return body;
}

/** node:http, because fetch does not let a caller set Host. */
function rawPost(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", headers: { ...headers, "content-length": String(Buffer.byteLength(body)) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("credentials", () => {
  it("sends the upstream only the registry's header, never the client's token", async () => {
    remote.headers.length = 0;
    const client = await gw.connect("remote");
    const result = await client.callTool({ name: "echo", arguments: { text: "through the gateway" } });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe("through the gateway");

    expect(remote.headers.length).toBeGreaterThan(0);
    for (const headers of remote.headers) {
      expect(headers.authorization).toBe("Bearer upstream-secret");
      expect(JSON.stringify(headers)).not.toContain(KEYS.alice);
    }
    // Nor does the client's key end up in the audit record.
    const records = await gw.calls({ server: "remote" });
    expect(records.length).toBeGreaterThan(0);
    expect(JSON.stringify(records)).not.toContain(KEYS.alice);
  });
});

describe("bad requests", () => {
  let rug: Client;
  beforeAll(async () => {
    rug = await gw.connect("rug");
  });

  it("invalid JSON: 400, -32700", async () => {
    const response = await gw.fetch("/mcp/rug", { method: "POST", headers: mcpHeaders(), body: '{"jsonrpc": "2.0", "method": ' });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).error.code).toBe(-32700);
  });

  it(`a body over limits.max_body_bytes: 413`, async () => {
    const big = { ...INITIALIZE, params: { ...INITIALIZE.params, padding: "x".repeat(MAX_BODY + 1) } };
    const response = await gw.fetch("/mcp/rug", { method: "POST", headers: mcpHeaders(), body: JSON.stringify(big) });
    expect(response.status).toBe(413);
    const body = await errorOf(response);
    expect(body.error.code).toBe(-32600);
    expect(body.error.message).toContain(String(MAX_BODY));
  });

  it("an unknown session id, or another subject's session: 404", async () => {
    const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} });
    const unknown = await gw.fetch("/mcp/rug", { method: "POST", headers: mcpHeaders(KEYS.alice, { "mcp-session-id": "6d1c0f1e-0000-4000-8000-000000000000" }), body: list });
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).error.message).toContain("Session not found");

    // A session answers only the subject that opened it.
    const sessionId = (rug.transport as StreamableHTTPClientTransport).sessionId!;
    expect(sessionId).toBeTruthy();
    const stolen = await gw.fetch("/mcp/rug", { method: "POST", headers: mcpHeaders(KEYS.admin, { "mcp-session-id": sessionId }), body: list });
    expect(stolen.status).toBe(404);
  });

  it("a missing or unknown token: 401 with WWW-Authenticate", async () => {
    for (const key of [null, "not-a-key-of-this-gateway-0000"]) {
      const response = await gw.fetch("/mcp/rug", { method: "POST", headers: mcpHeaders(key), body: JSON.stringify(INITIALIZE) });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer /);
      const body = await errorOf(response);
      expect(body.error.code).toBe(-32001);
      expect(body.error.message).toContain("Unauthorized");
    }
  });

  it("a foreign Host header: 403", async () => {
    const response = await rawPost(`${gw.url}/mcp/rug`, { ...mcpHeaders(), host: "attacker.example:8787" }, JSON.stringify(INITIALIZE));
    expect(response.status).toBe(403);
    const body = JSON.parse(response.body) as JsonRpcError;
    expect(body.error).toMatchObject({ code: -32000, message: expect.stringContaining("Host") });
  });

  it("a foreign Origin: 403", async () => {
    const response = await gw.fetch("/mcp/rug", { method: "POST", headers: mcpHeaders(KEYS.alice, { origin: "https://attacker.example" }), body: JSON.stringify(INITIALIZE) });
    expect(response.status).toBe(403);
    expect((await errorOf(response)).error).toMatchObject({ code: -32000, message: expect.stringContaining("Origin") });
  });

  it("keeps serving afterwards", async () => {
    const result = await rug.callTool({ name: "echo", arguments: { text: "still here" } });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe("still here");
    const fresh = await gw.connect("rug");
    expect((await fresh.listTools()).tools.map((t) => t.name)).toContain("echo");
    expect((await gw.fetch("/healthz")).status).toBe(200);
  });
});
