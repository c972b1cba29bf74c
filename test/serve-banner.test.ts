/**
 * `mcpgov serve`'s start-up lines say what a client will see of each server:
 * tools offered, and what is not pinned with the command that fixes it (an
 * unpinned server used to read "(connected)" while offering no tool; the
 * README's troubleshooting section starts from this line).
 */
import { afterAll, describe, expect, it } from "vitest";
import { disposeGateway, memoryServer, referenceWorkspace, type Workspace, writeGatewayConfig } from "./helpers/gateway.js";
import { connect, serve, stopServe } from "./helpers/serve-process.js";
import { serverStatus } from "../cli/commands/serve.js";

let ws: Workspace | undefined;
const children: Parameters<typeof stopServe>[0][] = [];
afterAll(async () => {
  for (const child of children) await stopServe(child, "SIGTERM");
  await disposeGateway(undefined, ws);
});

describe("serve's server lines", () => {
  it("say a server with nothing pinned offers no tool, and name the command that pins it; once pinned, the count", { timeout: 120_000 }, async () => {
    ws = await referenceWorkspace();
    await writeGatewayConfig(ws, { servers: [memoryServer(ws)], pin: false });
    const unpinned = await serve(ws);
    children.push(unpinned.child);
    await expect.poll(() => unpinned.stdout.some((l) => l.startsWith("connect an MCP client")), { timeout: 10_000 }).toBe(true);
    const line = unpinned.stdout.find((l) => l.trimStart().startsWith("memory"))!;
    expect(line).toMatch(/\(connected; 0 tools offered, (\d+) not pinned: review them, then `mcpgov registry pin memory`\)$/);
    const client = await connect(unpinned.url, "memory");
    expect((await client.listTools()).tools).toEqual([]);
    await client.close();
    await stopServe(unpinned.child, "SIGTERM");

    await writeGatewayConfig(ws, { servers: [memoryServer(ws)] });
    const pinned = await serve(ws);
    children.push(pinned.child);
    await expect.poll(() => pinned.stdout.some((l) => l.startsWith("connect an MCP client")), { timeout: 10_000 }).toBe(true);
    const count = Number(/\(connected; (\d+) tools offered\)$/.exec(pinned.stdout.find((l) => l.trimStart().startsWith("memory"))!)![1]);
    const again = await connect(pinned.url, "memory");
    expect((await again.listTools()).tools).toHaveLength(count);
    expect(count).toBeGreaterThan(0);
    await again.close();
  });

  it("names changed and hidden tools, and shows a server that is not connected by its state alone", () => {
    expect(serverStatus("gh", "connected", { offered: 1, unpinned: 0, changed: 2, hidden: 1, failed: false })).toBe("connected; 1 tool offered, 2 changed since pinned (hidden), 1 hidden by the catalog policy");
    expect(serverStatus("gh", "failed", { offered: 0, unpinned: 0, changed: 0, hidden: 0, failed: true })).toBe("failed");
  });
});
