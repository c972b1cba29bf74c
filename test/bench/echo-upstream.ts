/**
 * @module A minimal MCP server over Streamable HTTP on 127.0.0.1 for the
 * gateway benchmark: one `echo` tool, JSON responses, one session per client.
 * Prints its URL on stdout.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const transports = new Map<string, StreamableHTTPServerTransport>();

function mcpServer(): Server {
  const server = new Server({ name: "bench-echo", version: "1.0.0" }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [{ name: "echo", description: "Returns its text.", inputSchema: { type: "object", properties: { text: { type: "string" } } } }],
  }));
  server.setRequestHandler(CallToolRequestSchema, (request) => ({
    content: [{ type: "text", text: String(request.params.arguments?.["text"] ?? "") }],
  }));
  return server;
}

const http = createServer((req, res) => {
  const id = req.headers["mcp-session-id"];
  const existing = typeof id === "string" ? transports.get(id) : undefined;
  if (existing) {
    void existing.handleRequest(req, res);
    return;
  }
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    enableJsonResponse: true,
    onsessioninitialized: (sid) => void transports.set(sid, transport),
  });
  void mcpServer()
    .connect(transport)
    .then(() => transport.handleRequest(req, res));
});
http.keepAliveTimeout = 60_000;
http.listen(0, "127.0.0.1", () => {
  console.log(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
});
process.on("SIGTERM", () => process.exit(0));
