/**
 * HttpUpstream's tools/call, which is POSTed without the SDK client
 * (lean-http-call.ts), keeps the Upstream contract against a real SDK
 * server answering over SSE: results, the server's JSON-RPC errors,
 * notifications/cancelled on abort and on timeout, messages other than the
 * response handed to the SDK client, progress through the SDK client.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema, LoggingMessageNotificationSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryEntrySchema } from "../src/core/gateway-config.js";
import { HttpUpstream } from "../src/upstream/http-upstream.js";

interface Served {
  url: string;
  /** Server-side events: "cancelled:<tool>" when a call's signal was aborted. */
  events: string[];
  posts: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** A stateful SDK server over Streamable HTTP that answers POSTs as SSE. */
async function sseServer(): Promise<Served> {
  const events: string[] = [];
  const posts: IncomingHttpHeaders[] = [];
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const mcp = () => {
    const server = new Server({ name: "sse-fixture", version: "1" }, { capabilities: { tools: {}, logging: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [] }));
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      switch (request.params.name) {
        case "chatty":
          await extra.sendNotification({ method: "notifications/message", params: { level: "info", data: "before the result" } });
          return { content: [{ type: "text", text: "done" }] };
        case "progress": {
          const token = request.params._meta?.progressToken;
          if (token !== undefined) await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: 1, total: 1 } });
          return { content: [{ type: "text", text: "progressed" }] };
        }
        case "fail":
          throw new McpError(-32042, "refused", { reason: "fixture" });
        case "wait":
          return new Promise((resolve) => {
            extra.signal.addEventListener("abort", () => {
              events.push("cancelled:wait");
              resolve({ content: [{ type: "text", text: "cancelled" }] });
            });
          });
      }
      return { content: [], isError: true };
    });
    return server;
  };
  const http = createServer((req, res) => {
    if (req.method === "POST") posts.push(req.headers);
    const id = req.headers["mcp-session-id"];
    const existing = typeof id === "string" ? transports.get(id) : undefined;
    if (existing) return void existing.handleRequest(req, res);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (sid) => void transports.set(sid, transport) });
    void mcp()
      .connect(transport)
      .then(() => transport.handleRequest(req, res));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    events,
    posts,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

let served: Served;
let upstream: HttpUpstream;

beforeAll(async () => {
  served = await sseServer();
  const entry = RegistryEntrySchema.parse({ id: "sse", transport: { type: "streamable_http", url: served.url, headers: { "X-Team": "platform" } } });
  upstream = new HttpUpstream(entry, { requestTimeoutMs: 5_000 });
  await upstream.connect();
});

afterAll(async () => {
  await upstream.close();
  await served.close();
});

describe("HttpUpstream tools/call", () => {
  it("reads the result from an SSE answer, on the session, with the registry's headers", async () => {
    const before = served.posts.length;
    expect(await upstream.request("tools/call", { name: "chatty", arguments: {} })).toEqual({ content: [{ type: "text", text: "done" }] });
    const post = served.posts[before]!;
    expect(post["mcp-session-id"]).toEqual(expect.any(String));
    expect(post["mcp-protocol-version"]).toEqual(expect.any(String));
    expect(post["x-team"]).toBe("platform");
  });

  it("hands the server's other messages in the answer to the SDK client", async () => {
    const seen: unknown[] = [];
    upstream.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void seen.push(n.params.data));
    await upstream.request("tools/call", { name: "chatty", arguments: {} });
    expect(seen).toEqual(["before the result"]);
  });

  it("rethrows the server's JSON-RPC error as an McpError with its code and data", async () => {
    const error = await upstream.request("tools/call", { name: "fail", arguments: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect(error).toMatchObject({ code: -32042, data: { reason: "fixture" } });
  });

  it("sends notifications/cancelled when the caller aborts", async () => {
    const controller = new AbortController();
    const call = upstream.request("tools/call", { name: "wait", arguments: {} }, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 200));
    controller.abort("stop");
    // As through the SDK client: an aborted request rejects as a timeout (the pipeline reports the caller's own reason).
    await expect(call).rejects.toMatchObject({ code: "upstream_unavailable" });
    await expect.poll(() => served.events.filter((e) => e === "cancelled:wait").length, { timeout: 5_000 }).toBe(1);
  });

  it("times out as upstream_unavailable and cancels the call at the server", async () => {
    const error = await upstream.request("tools/call", { name: "wait", arguments: {} }, { timeout: 300 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "upstream_unavailable", message: expect.stringContaining("did not answer tools/call in time") });
    await expect.poll(() => served.events.filter((e) => e === "cancelled:wait").length, { timeout: 5_000 }).toBe(2);
  });

  it("leaves a call that wants progress to the SDK client, which delivers the progress", async () => {
    const progress: number[] = [];
    const result = await upstream.request("tools/call", { name: "progress", arguments: {} }, { onprogress: (p) => void progress.push(p.progress) });
    expect(result).toEqual({ content: [{ type: "text", text: "progressed" }] });
    expect(progress).toEqual([1]);
  });

  it("reports a server that went away as unavailable", async () => {
    const other = await sseServer();
    const entry = RegistryEntrySchema.parse({ id: "gone", transport: { type: "streamable_http", url: other.url } });
    const gone = new HttpUpstream(entry);
    try {
      await gone.connect();
      await other.close();
      await expect(gone.request("tools/call", { name: "chatty", arguments: {} })).rejects.toMatchObject({
        code: "upstream_unavailable",
        message: expect.stringContaining("cannot reach http://127.0.0.1:"),
      });
    } finally {
      await gone.close();
    }
  });
});
