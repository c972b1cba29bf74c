/**
 * @module A minimal MCP server over Streamable HTTP for the gateway
 * benchmark's throughput ceiling: no SDK, one `echo` tool, every POST
 * answered with plain JSON. It costs a fraction of the SDK server's CPU per
 * call, so the gateway, not the upstream, is what a run measures.
 * Prints its URL on stdout.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const sessions = new Set<string>();
const TOOLS = [{ name: "echo", description: "Returns its text.", inputSchema: { type: "object", properties: { text: { type: "string" } } } }];

function answer(message: { method?: string; id?: unknown; params?: Record<string, unknown> }): unknown {
  switch (message.method) {
    case "initialize":
      return {
        protocolVersion: (message.params?.["protocolVersion"] as string | undefined) ?? "2025-06-18",
        capabilities: { tools: {} },
        serverInfo: { name: "bench-json-echo", version: "1.0.0" },
      };
    case "tools/list":
      return { tools: TOOLS };
    case "tools/call": {
      const args = (message.params?.["arguments"] ?? {}) as Record<string, unknown>;
      return { content: [{ type: "text", text: String(args["text"] ?? "") }] };
    }
    case "ping":
      return {};
    default:
      return undefined;
  }
}

const http = createServer((req, res) => {
  if (req.method === "DELETE") {
    sessions.delete(String(req.headers["mcp-session-id"]));
    res.writeHead(200).end();
    return;
  }
  if (req.method !== "POST") {
    res.writeHead(405, { allow: "POST, DELETE" }).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const message = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { method?: string; id?: unknown; params?: Record<string, unknown> };
    const headers: Record<string, string> = {};
    if (message.method === "initialize") {
      const id = randomUUID();
      sessions.add(id);
      headers["mcp-session-id"] = id;
    } else if (!sessions.has(String(req.headers["mcp-session-id"]))) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32001, message: "Session not found" } }));
      return;
    }
    if (message.id === undefined) {
      res.writeHead(202, headers).end();
      return;
    }
    const result = answer(message);
    const body =
      result === undefined
        ? { jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "Method not found" } }
        : { jsonrpc: "2.0", id: message.id, result };
    res.writeHead(200, { ...headers, "content-type": "application/json" }).end(JSON.stringify(body));
  });
});
http.keepAliveTimeout = 60_000;
http.listen(0, "127.0.0.1", () => {
  console.log(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
});
process.on("SIGTERM", () => process.exit(0));
