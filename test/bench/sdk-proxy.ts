/**
 * @module A bare MCP proxy on the SDK, for the gateway benchmark: the
 * low-level `Server` per client session over Streamable HTTP, forwarding
 * tools/list and tools/call through one SDK `Client` to the upstream. No
 * policy, no audit, no scanning: what "a proxy built on the MCP SDK" costs.
 * Run as `node sdk-proxy.js UPSTREAM_URL`; prints its URL.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const upstream = new Client({ name: "bench-sdk-proxy", version: "1.0.0" });
await upstream.connect(new StreamableHTTPClientTransport(new URL(process.argv[2]!)));

const sessions = new Map<string, StreamableHTTPServerTransport>();

async function session(): Promise<StreamableHTTPServerTransport> {
  const server = new Server({ name: "bench-sdk-proxy", version: "1.0.0" }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, (request) => upstream.listTools(request.params));
  server.setRequestHandler(CallToolRequestSchema, (request) => upstream.callTool(request.params));
  const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    enableJsonResponse: true,
    onsessioninitialized: (id) => void sessions.set(id, transport),
  });
  await server.connect(transport);
  return transport;
}

function body(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8"))));
    req.on("error", reject);
  });
}

const http = createServer((req, res) => {
  void (async () => {
    const id = req.headers["mcp-session-id"];
    const parsed = req.method === "POST" ? await body(req) : undefined;
    const transport = typeof id === "string" ? sessions.get(id) : await session();
    if (!transport) {
      res.writeHead(404).end();
      return;
    }
    await transport.handleRequest(req, res, parsed);
  })().catch(() => {
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});
http.keepAliveTimeout = 60_000;
http.listen(0, "127.0.0.1", () => console.log(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`));
process.on("SIGTERM", () => process.exit(0));
