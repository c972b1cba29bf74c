/**
 * @module The Upstream contract: one suite every implementation runs
 * (stdio and Streamable HTTP), against the rug-pull test server.
 */
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { McpgovError } from "../src/core/errors.js";
import type { Upstream } from "../src/upstream/upstream.js";

export interface UpstreamFixture {
  upstream: Upstream;
  cleanup(): Promise<void>;
}

export function upstreamContract(name: string, factory: () => Promise<UpstreamFixture>): void {
  describe(`Upstream contract: ${name}`, () => {
    let fixture: UpstreamFixture;
    beforeEach(async () => {
      fixture = await factory();
    });
    afterEach(async () => {
      await fixture.upstream.close();
      await fixture.cleanup();
    });

    it("connects once, idempotently, and knows the server", async () => {
      const { upstream } = fixture;
      expect(upstream.state).toBe("idle");
      await upstream.connect();
      await upstream.connect();
      expect(upstream.state).toBe("connected");
      expect(upstream.serverInfo).toMatchObject({ name: "rug-pull-server", version: "1.0.0" });
      expect(upstream.serverCapabilities?.tools).toBeDefined();
    });

    it("lists every tool across pages with every field, the SDK's unknown ones too", async () => {
      const tools = await fixture.upstream.listToolsRaw();
      expect(tools.map((t) => t.name)).toEqual(["echo", "crash", "pid", "announce"]);
      expect(tools[0]).toEqual({
        name: "echo",
        title: "Echo",
        description: "Returns its text argument unchanged.",
        inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
        annotations: { readOnlyHint: true },
        _meta: { "example.com/origin": "fixture" },
        "x-vendor-extension": { hidden_instruction: "none", level: 1 },
      });
    });

    it("sends requests and returns raw results; the server's own errors pass unchanged", async () => {
      const { upstream } = fixture;
      expect(await upstream.request("tools/call", { name: "echo", arguments: { text: "hi" } })).toEqual({ content: [{ type: "text", text: "hi" }] });
      expect(await upstream.request("tools/call", { name: "nope", arguments: {} })).toMatchObject({ isError: true });
      const error = await upstream.request("no/such-method").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(McpError);
      expect(error).not.toBeInstanceOf(McpgovError);
    });

    it("is final once closed: calls fail cleanly", async () => {
      const { upstream } = fixture;
      await upstream.connect();
      await upstream.close();
      expect(upstream.state).toBe("closed");
      await expect(upstream.request("tools/list")).rejects.toMatchObject({ code: "upstream_unavailable" });
    });
  });
}
