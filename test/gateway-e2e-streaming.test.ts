/**
 * End to end: progress and cancellation pass through the gateway. A call to
 * server-everything's long-running tool reports progress to the client;
 * a client that aborts its request has the call cancelled upstream (shown
 * from the rug-pull server's side) and recorded as cancelled.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Progress } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  disposeGateway,
  everythingServer,
  referenceWorkspace,
  rugEvents,
  rugServer,
  startTestGateway,
  type TestGateway,
  textOf,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";

const LONG = "trigger-long-running-operation";

let ws: Workspace;
let gw: TestGateway;
let everything: Client;
let rug: Client;

beforeAll(async () => {
  ws = await referenceWorkspace();
  await writeGatewayConfig(ws, { servers: [everythingServer(), rugServer(ws)] });
  gw = await startTestGateway(ws);
  everything = await gw.connect("everything");
  rug = await gw.connect("rug");
});

afterAll(() => disposeGateway(gw, ws));

describe("progress", () => {
  it("reaches the client from the upstream", async () => {
    const progress: Progress[] = [];
    const result = await everything.callTool({ name: LONG, arguments: { duration: 2, steps: 4 } }, undefined, {
      onprogress: (p) => progress.push(p),
    });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain("Long running operation completed");
    expect(progress.map((p) => p.progress)).toEqual([1, 2, 3, 4]);
    expect(progress.every((p) => p.total === 4)).toBe(true);
    const [record] = await gw.calls({ server: "everything", tool: LONG });
    expect(record).toMatchObject({ decision: "ALLOW", outcome: "executed" });
  });
});

describe("cancellation by the client", () => {
  it("stops a long-running call at the gateway and records it as cancelled", async () => {
    const controller = new AbortController();
    const progress: Progress[] = [];
    const call = everything.callTool({ name: LONG, arguments: { duration: 40, steps: 40 } }, undefined, {
      signal: controller.signal,
      onprogress: (p) => {
        progress.push(p);
        controller.abort(new Error("the user pressed stop"));
      },
    });
    await expect(call).rejects.toThrow("the user pressed stop");
    expect(progress.length).toBeGreaterThan(0);

    const cancelled = async () => (await gw.calls({ server: "everything", tool: LONG, outcome: "failed" })).map((r) => r.error);
    await expect.poll(cancelled, { timeout: 15_000 }).toEqual(["cancelled by the client"]);
  });

  it("sends notifications/cancelled on to the upstream", async () => {
    const controller = new AbortController();
    const call = rug.callTool({ name: "slow", arguments: { seconds: 45 } }, undefined, { signal: controller.signal });
    call.catch(() => undefined);
    // Abort once the server has the call in hand.
    await expect.poll(() => rugEvents(ws).some((e) => e.event === "call" && e.tool === "slow"), { timeout: 15_000 }).toBe(true);
    controller.abort(new Error("the user pressed stop"));
    await expect(call).rejects.toThrow("the user pressed stop");

    await expect.poll(() => rugEvents(ws).map((e) => e.event), { timeout: 15_000 }).toContain("slow-cancelled");
    expect(rugEvents(ws).map((e) => e.event)).not.toContain("slow-finished");
    await expect
      .poll(async () => (await gw.calls({ server: "rug", tool: "slow" })).map((r) => [r.decision, r.outcome, r.error]), { timeout: 15_000 })
      .toEqual([["ALLOW_WITH_CONSTRAINTS", "failed", "cancelled by the client"]]);

    // The session is still usable.
    expect(textOf(await rug.callTool({ name: "echo", arguments: { text: "after cancel" } }))).toBe("after cancel");
  });
});
