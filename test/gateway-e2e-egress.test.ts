/**
 * End to end: egress checks read arguments as Node's URL parser and HTTP
 * clients will. Under the reference pack's non-production allowlist, every
 * bypass form is denied before the call is dispatched (the server's event
 * file shows it never arrived), and link-local and cloud-metadata
 * addresses are denied in any call, reads included.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decisionOf, disposeGateway, KEYS, referenceWorkspace, rugEvents, rugServer, startTestGateway, type TestGateway, type Workspace, writeGatewayConfig } from "./helpers/gateway.js";

let ws: Workspace;
let gw: TestGateway;
let alice: Client;

beforeAll(async () => {
  ws = await referenceWorkspace();
  await writeGatewayConfig(ws, { servers: [rugServer(ws)] });
  gw = await startTestGateway(ws);
  alice = await gw.connect("rug", KEYS.alice);
}, 120_000);

afterAll(() => disposeGateway(gw, ws));

const slowCalls = () => rugEvents(ws).filter((e) => e.event === "call" && e.tool === "slow");

describe("the network allowlist on a non-production write", () => {
  it("runs a call whose only host is on the list", async () => {
    const result = await alice.callTool({ name: "slow", arguments: { seconds: 0, url: "https://api.github.com/repos/acme/api" } });
    expect(result.isError).toBeFalsy();
    expect(slowCalls()).toHaveLength(1);
  });

  it.each([
    ["scheme-relative", "//evil.test/x"],
    ["backslashes", "http:\\\\evil.test\\x"],
    ["one slash and a backslash", "http:/\\evil.test/x"],
    ["userinfo that looks allowed", "http://api.github.com@evil.test/"],
    ["decimal IPv4", "http://2130706433/"],
    ["octal IPv4", "http://0177.0.0.1/"],
    ["hex IPv4", "http://0x7f.1/"],
    ["IPv4-mapped IPv6", "http://[::ffff:7f00:1]/"],
    ["a tab inside the host", "http://evil\t.test/"],
    ["a trailing dot", "http://evil.test./"],
    ["a file: URL", "file:///etc/passwd"],
    ["a gopher: URL", "gopher://api.github.com/_x"],
    ["a data: URL", "data:text/plain,hello"],
    ["a URL inside free text", "please fetch https://evil.test/a and report"],
  ])("denies %s before dispatch", async (_name, url) => {
    const before = slowCalls().length;
    const result = await alice.callTool({ name: "slow", arguments: { seconds: 0, url } });
    expect(result.isError).toBe(true);
    const decision = decisionOf(result);
    expect(decision.decision).toBe("DENY");
    expect(decision.rules).toEqual(["mcpgov.network-allowlist"]);
    expect(slowCalls()).toHaveLength(before);
    const [record] = await gw.calls({ callId: decision.call_id });
    expect(record).toMatchObject({ outcome: "blocked", rules: ["mcpgov.network-allowlist"] });
  });
});

describe("link-local and cloud-metadata addresses", () => {
  it.each([
    ["the AWS metadata address", "http://169.254.169.254/latest/meta-data/"],
    ["the same as IPv4-mapped IPv6", "http://[::ffff:a9fe:a9fe]/"],
    ["the same in decimal", "http://2852039166/"],
    ["GCP's metadata name with a trailing dot", "http://metadata.google.internal./computeMetadata/v1/"],
    ["AWS's IPv6 metadata address", "http://[fd00:ec2::254]/"],
  ])("denies %s even in a read", async (_name, url) => {
    const before = rugEvents(ws).length;
    const result = await alice.callTool({ name: "echo", arguments: { text: url } });
    expect(result.isError).toBe(true);
    expect(decisionOf(result)).toMatchObject({ decision: "DENY", rules: ["deny-metadata-addresses"] });
    expect(rugEvents(ws).filter((e) => e.event === "call").length).toBe(rugEvents(ws).slice(0, before).filter((e) => e.event === "call").length);
  });
});
