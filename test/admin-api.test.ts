/**
 * @module AdminApi against a loopback HTTP server that answers as a gateway,
 * or a proxy in front of it, might: the error names the request, the
 * status and the reason, and never the token.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminApi } from "../src/admin/admin-api.js";
import { McpgovError } from "../src/core/errors.js";

const TOKEN = "admin-api-unit-token-9f8e7d6c5b4a";
let server: Server;
let base: string;
const seen: Array<{ method: string; url: string; authorization: string | undefined; body: string }> = [];

/** Each path answers one way. */
const ANSWERS: Record<string, { status: number; type: string; body: string }> = {
  "/admin/quarantine": { status: 200, type: "application/json", body: '{"items":[]}' },
  "/admin/quarantine/q-1/release": { status: 409, type: "application/json", body: '{"error":"q-1 was already released by rita","code":"wrong_state"}' },
  "/admin/quarantine/q-2": { status: 502, type: "text/html", body: "<html><body>Bad gateway from the proxy</body></html>" },
  "/admin/quarantine/q-3": { status: 200, type: "text/plain", body: "not json" },
  "/admin/approvals": { status: 401, type: "application/json", body: '{"jsonrpc":"2.0","error":{"code":-32001,"message":"Unauthorized: unknown API key"},"id":null}' },
};

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      seen.push({ method: request.method!, url: request.url!, authorization: request.headers.authorization, body });
      const answer = ANSWERS[new URL(request.url!, "http://x").pathname] ?? { status: 404, type: "application/json", body: '{"error":"no route"}' };
      response.writeHead(answer.status, { "content-type": answer.type }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function failure(promise: Promise<unknown>): Promise<McpgovError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(McpgovError);
  expect((error as Error).message).not.toContain(TOKEN);
  return error as McpgovError;
}

describe("AdminApi", () => {
  it("sends the bearer token, the query and the review body", async () => {
    const api = new AdminApi(base, TOKEN);
    expect(await api.quarantineList("all", 5)).toEqual({ items: [] });
    await failure(api.quarantineReview("q-1", "release", "checked"));
    expect(seen.slice(-2)).toEqual([
      { method: "GET", url: "/admin/quarantine?state=all&limit=5", authorization: `Bearer ${TOKEN}`, body: "" },
      { method: "POST", url: "/admin/quarantine/q-1/release", authorization: `Bearer ${TOKEN}`, body: '{"reason":"checked"}' },
    ]);
  });

  it("names the request, the status, the gateway's reason and its code", async () => {
    const error = await failure(new AdminApi(base, TOKEN).quarantineReview("q-1", "release", "again"));
    expect(error.message).toBe("POST /admin/quarantine/q-1/release: the gateway answered HTTP 409: q-1 was already released by rita [wrong_state]");
  });

  it("reads a JSON-RPC error as the gateway's reason", async () => {
    const error = await failure(new AdminApi(base, TOKEN).list(""));
    expect(error.message).toBe("GET /admin/approvals: the gateway answered HTTP 401: Unauthorized: unknown API key");
  });

  it("quotes the first bytes of a refusal that is not JSON (a proxy's page)", async () => {
    const error = await failure(new AdminApi(base, TOKEN).quarantineShow("q-2"));
    expect(error.message).toBe("GET /admin/quarantine/q-2: the gateway answered HTTP 502: <html><body>Bad gateway from the proxy</body></html>");
  });

  it("refuses a 200 answer that is not JSON rather than guessing", async () => {
    const error = await failure(new AdminApi(base, TOKEN).quarantineShow("q-3"));
    expect(error).toMatchObject({ code: "io_error", message: "GET /admin/quarantine/q-3: the gateway answered HTTP 200 with a non-JSON body" });
  });

  it("says why a gateway cannot be reached, not just that fetch failed", async () => {
    // A port that was just free: nothing listens there now.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failure(new AdminApi(`http://127.0.0.1:${port}`, TOKEN).quarantineList("held", 1));
    expect(error).toMatchObject({ code: "io_error", message: `GET /admin/quarantine: cannot reach the gateway at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}` });
  });
});
