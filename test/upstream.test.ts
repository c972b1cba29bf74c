import { mkdirSync, realpathSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { McpgovError } from "../src/core/errors.js";
import { RegistryEntrySchema } from "../src/core/gateway-config.js";
import { HttpUpstream } from "../src/upstream/http-upstream.js";
import { StdioUpstream } from "../src/upstream/stdio-upstream.js";
import type { UpstreamEvent } from "../src/upstream/upstream.js";
import { memoryLogger, rugPullHttp, rugPullStdio, serverScript, stdioEntry } from "./helpers/rug-pull.js";
import { upstreamContract } from "./upstream.contract.js";

upstreamContract("StdioUpstream", async () => {
  const rug = rugPullStdio();
  return { upstream: new StdioUpstream(rug.entry), cleanup: async () => rmSync(rug.dir, { recursive: true, force: true }) };
});

upstreamContract("HttpUpstream", async () => {
  const server = await rugPullHttp();
  const entry = RegistryEntrySchema.parse({ id: "rug-http", transport: { type: "streamable_http", url: server.url } });
  return { upstream: new HttpUpstream(entry), cleanup: () => server.close() };
});

const text = (result: Record<string, unknown>) => (result.content as Array<{ text: string }>)[0]!.text;

describe("HttpUpstream", () => {
  it("sends only the headers the registry configures, with secrets resolved from the gateway's environment", async () => {
    const server = await rugPullHttp();
    const entry = RegistryEntrySchema.parse({
      id: "rug-http",
      transport: { type: "streamable_http", url: server.url, headers: { Authorization: { from_env: "RUG_TOKEN" }, "X-Team": "platform" } },
    });
    const upstream = new HttpUpstream(entry, { env: { RUG_TOKEN: "Bearer upstream-token" } });
    try {
      await upstream.listToolsRaw();
      // tools/call goes out without the SDK client (lean-http-call.ts): the same headers, none of the client's.
      await upstream.request("tools/call", { name: "echo", arguments: { text: "x" } });
      expect(server.headers.length).toBeGreaterThan(1);
      for (const headers of server.headers) {
        expect(headers.authorization).toBe("Bearer upstream-token");
        expect(headers["x-team"]).toBe("platform");
        expect(headers.cookie).toBeUndefined();
      }
    } finally {
      await upstream.close();
      await server.close();
    }
  });

  it("reports an unreachable server as unavailable", async () => {
    const server = await rugPullHttp();
    const entry = RegistryEntrySchema.parse({ id: "rug-http", transport: { type: "streamable_http", url: server.url } });
    const upstream = new HttpUpstream(entry);
    try {
      await upstream.connect();
      await server.close();
      await expect(upstream.request("tools/list")).rejects.toMatchObject({ code: "upstream_unavailable", message: expect.stringContaining("cannot reach http://127.0.0.1:") });
    } finally {
      await upstream.close();
    }
  });

  it("names the field and the variable when a header's secret is missing", async () => {
    const entry = RegistryEntrySchema.parse({
      id: "rug-http",
      transport: { type: "streamable_http", url: "http://127.0.0.1:9/mcp", headers: { Authorization: { from_env: "RUG_TOKEN" } } },
    });
    const upstream = new HttpUpstream(entry, { env: {} });
    await expect(upstream.connect()).rejects.toMatchObject({
      code: "config_invalid",
      message: "servers.rug-http.transport.headers.Authorization: environment variable RUG_TOKEN is not set",
    });
  });
});

describe("StdioUpstream", () => {
  const open: StdioUpstream[] = [];
  const started = (upstream: StdioUpstream) => (open.push(upstream), upstream);
  afterEach(async () => {
    for (const upstream of open.splice(0)) await upstream.close();
  });

  it("sends the child's stderr to the logger, not to stdout", async () => {
    const logger = memoryLogger();
    const upstream = started(new StdioUpstream(rugPullStdio().entry, { logger }));
    await upstream.connect();
    await expect.poll(() => logger.entries.map((e) => e.fields.stderr), { timeout: 10_000 }).toContain("rug-pull-server ready");
    expect(logger.entries.find((e) => e.fields.stderr)).toMatchObject({ level: "info", fields: { upstream: "rug" } });
  });

  it("reports tools/list_changed", async () => {
    const upstream = started(new StdioUpstream(rugPullStdio().entry));
    const events: UpstreamEvent[] = [];
    upstream.on((event) => events.push(event));
    await upstream.request("tools/call", { name: "announce", arguments: {} });
    await expect.poll(() => events, { timeout: 10_000 }).toContainEqual({ type: "tools_list_changed", upstream: "rug" });
  });

  it("restarts a server that crashes: the call in flight fails cleanly, the next one works", async () => {
    const upstream = started(new StdioUpstream(rugPullStdio().entry, { restart: { initialDelayMs: 20 } }));
    const events: string[] = [];
    upstream.on((event) => events.push(event.type));
    const before = text(await upstream.request("tools/call", { name: "pid", arguments: {} }));

    const crash = await upstream.request("tools/call", { name: "crash", arguments: {} }).catch((e: unknown) => e);
    expect(crash).toBeInstanceOf(McpgovError);
    expect(crash).toMatchObject({ code: "upstream_unavailable", message: "server 'rug': the connection closed during tools/call" });

    const after = text(await upstream.request("tools/call", { name: "pid", arguments: {} }));
    expect(after).not.toBe(before);
    expect(upstream.state).toBe("connected");
    expect(events).toEqual(["exited", "restarting", "restarted"]);
  });

  it("gives up after the bounded attempts, and the next call tries again", async () => {
    const rug = rugPullStdio();
    const upstream = started(new StdioUpstream(rug.entry, { restart: { initialDelayMs: 10, maxAttempts: 3 } }));
    const events: UpstreamEvent[] = [];
    upstream.on((event) => events.push(event));
    await upstream.connect();

    rug.setState({ failOnStart: true });
    await upstream.request("tools/call", { name: "crash", arguments: {} }).catch(() => undefined);
    await expect(upstream.listToolsRaw()).rejects.toMatchObject({ code: "upstream_unavailable" });
    expect(upstream.state).toBe("failed");
    expect(events.filter((e) => e.type === "restarting").map((e) => (e as { attempt: number }).attempt)).toEqual([1, 2, 3]);
    expect(events.at(-1)).toMatchObject({ type: "gave_up", attempts: 3 });

    rug.setState({});
    expect((await upstream.listToolsRaw()).length).toBe(4);
    expect(upstream.state).toBe("connected");
  });

  it("gives the child only its configured environment, never the gateway's", async () => {
    process.env.MCPGOV_TEST_GATEWAY_SECRET = "gateway-only";
    try {
      const entry = stdioEntry("everything", [serverScript("everything"), "stdio"], {});
      const withEnv = RegistryEntrySchema.parse({ ...entry, transport: { ...entry.transport, env: { PASSED: { from_env: "FOR_CHILD" } } } });
      const upstream = started(new StdioUpstream(withEnv, { env: { FOR_CHILD: "child-value" } }));
      const result = await upstream.request("tools/call", { name: "get-env", arguments: {} });
      const env = JSON.parse(text(result)) as Record<string, string>;
      expect(env.PASSED).toBe("child-value");
      expect(env.MCPGOV_TEST_GATEWAY_SECRET).toBeUndefined();
    } finally {
      delete process.env.MCPGOV_TEST_GATEWAY_SECRET;
    }
  });

  it("shows the server the operator's roots, and a client can only narrow them", async () => {
    const rug = rugPullStdio();
    const sandbox = realpathSync(join(rug.dir));
    mkdirSync(join(sandbox, "project"));
    mkdirSync(join(sandbox, "from-args"));
    // The server starts on a folder of its command line and replaces it with the roots it asks for: seeing
    // exactly the operator's roots first shows the server fetched them, so the narrowing below cannot race that fetch.
    const entry = stdioEntry("files", [serverScript("filesystem"), join(sandbox, "from-args")], { roots: [sandbox] });
    const upstream = started(new StdioUpstream(entry));
    const allowed = async () =>
      text(await upstream.request("tools/call", { name: "list_allowed_directories", arguments: {} }))
        .split("\n")
        .filter((line) => line.startsWith("/"));
    await upstream.connect();
    await expect.poll(allowed, { timeout: 20_000 }).toEqual([sandbox]);

    const narrowed = await upstream.setRoots([join(sandbox, "project"), "/etc"]);
    expect(narrowed).toEqual({ allowed: [join(sandbox, "project")], refused: ["/etc"] });
    await expect.poll(allowed, { timeout: 20_000 }).toEqual([join(sandbox, "project")]);
  });
});
