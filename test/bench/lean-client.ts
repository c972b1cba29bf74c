/**
 * @module A load generator that costs little per call: MCP over Streamable
 * HTTP by hand (initialize, then tools/call POSTs on keep-alive
 * connections, JSON or SSE answers), so a throughput run on a 2-core
 * machine is not capped by the SDK client in the benchmark's own process.
 */
import { Agent, request } from "node:http";

export interface LeanSession {
  call(text: string): Promise<void>;
  close(): void;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function post(agent: Agent, url: URL, headers: Record<string, string>, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: { ...headers, "content-type": "application/json", accept: "application/json, text/event-stream", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The JSON-RPC message in a JSON body, or the last `data:` line of an SSE body. */
function message(answer: Answer): { result?: unknown; error?: { message: string } } {
  const type = String(answer.headers["content-type"] ?? "");
  if (type.startsWith("text/event-stream")) {
    const data = answer.body.split("\n").filter((l) => l.startsWith("data:") && l.length > 5);
    return JSON.parse(data.at(-1)!.slice(5)) as { result?: unknown };
  }
  return JSON.parse(answer.body) as { result?: unknown };
}

export async function leanSession(endpoint: string, extraHeaders: Record<string, string>, agent: Agent): Promise<LeanSession> {
  const url = new URL(endpoint);
  const init = await post(
    agent,
    url,
    extraHeaders,
    JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench-lean", version: "1" } } }),
  );
  const sessionId = init.headers["mcp-session-id"];
  if (init.status !== 200 || typeof sessionId !== "string") throw new Error(`initialize failed: HTTP ${init.status}`);
  const protocolVersion = (message(init).result as { protocolVersion: string }).protocolVersion;
  const headers = { ...extraHeaders, "mcp-session-id": sessionId, "mcp-protocol-version": protocolVersion };
  await post(agent, url, headers, JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
  let next = 1;
  return {
    async call(text) {
      const answer = await post(agent, url, headers, JSON.stringify({ jsonrpc: "2.0", id: next++, method: "tools/call", params: { name: "echo", arguments: { text } } }));
      const m = message(answer);
      if (answer.status !== 200 || m.error || m.result === undefined) throw new Error(`tools/call failed: HTTP ${answer.status} ${m.error?.message ?? ""}`);
    },
    close() {},
  };
}
