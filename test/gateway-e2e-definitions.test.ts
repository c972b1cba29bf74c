/**
 * End to end: tool-definition safety. A hostile server whose tools carry
 * poisoned definitions is registered next to an honest "mail" server and
 * pinned (pins alone do not judge content). Through the gateway, the
 * reference catalog policy hides the clear cases from tools/list and
 * denies calls to them before dispatch, keeps the doubtful ones listed,
 * and counts both; `mcpgov registry pin` refuses to pin a hidden tool.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, runCli } from "./helpers/cli.js";
import { decisionOf, disposeGateway, referenceWorkspace, startTestGateway, type TestGateway, textOf, type Workspace, writeGatewayConfig } from "./helpers/gateway.js";

const HOSTILE_SERVER = join(repoRoot, "test", "fixtures", "hostile-tools-server.mjs");
const LOOKALIKE = "\u0455end_email"; // Cyrillic dze, then "end_email"

const HIDDEN: Record<string, string> = {
  important_note: "hide-instruction-text",
  read_notes: "hide-instruction-text",
  tagged_title: "hide-hidden-unicode",
  [LOOKALIKE]: "hide-lookalike-names",
};
const FLAGGED = ["pick_mode", "padded", "summarise", "Send_Email"];

let ws: Workspace;
let gw: TestGateway;
let hostile: Client;
let events: string;

function serverSpec(id: string, role: string, tools: string[]) {
  return {
    id,
    environment: "staging",
    risk_tags: ["non_prod"],
    transport: { type: "stdio", command: process.execPath, args: [HOSTILE_SERVER], env: { HOSTILE_ROLE: role, HOSTILE_EVENTS: events } },
    tools: Object.fromEntries(tools.map((name) => [name, "read"])),
  };
}

/** The tools/call requests each server received, from its own record. */
const received = (server: string): string[] =>
  existsSync(events)
    ? readFileSync(events, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { server: string; tool: string })
        .filter((e) => e.server === server)
        .map((e) => e.tool)
    : [];

beforeAll(async () => {
  ws = await referenceWorkspace();
  events = join(ws.dir, "hostile-events.jsonl");
  await writeGatewayConfig(ws, {
    servers: [serverSpec("hostile", "hostile", ["add", ...FLAGGED, ...Object.keys(HIDDEN)]), serverSpec("mail", "mail", ["send_email"])],
  });
  gw = await startTestGateway(ws);
  hostile = await gw.connect("hostile");
});

afterAll(() => disposeGateway(gw, ws));

describe("poisoned tool definitions through the gateway", () => {
  it("lists the clean and the flagged tools, never the hidden ones", async () => {
    const names = (await hostile.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(["add", "pick_mode", "padded", "summarise", "Send_Email"]);
    for (const hidden of Object.keys(HIDDEN)) expect(names).not.toContain(hidden);
  });

  it("denies a call to each hidden tool before dispatch, naming the catalog rule", async () => {
    for (const [name, rule] of Object.entries(HIDDEN)) {
      const result = await hostile.callTool({ name, arguments: { text: "hello" } });
      expect(result.isError).toBe(true);
      const decision = decisionOf(result);
      expect(decision.decision).toBe("DENY");
      expect(decision.rules).toEqual(["mcpgov.catalog-hidden"]);
      expect(decision.reason).toContain(`is hidden by the catalog policy (${rule})`);
      expect(textOf(result)).toContain(rule);
    }
    expect(received("hostile")).toEqual([]);
  });

  it("runs the clean and the flagged tools", async () => {
    expect(textOf(await hostile.callTool({ name: "add", arguments: { a: 2, b: 3 } }))).toBe("5");
    expect(textOf(await hostile.callTool({ name: "Send_Email", arguments: { text: "hi" } }))).toBe("Send_Email ran");
    expect(received("hostile")).toEqual(["add", "Send_Email"]);
  });

  it("keeps the honest original listed and callable; only the imitation is hidden", async () => {
    const mail = await gw.connect("mail");
    expect((await mail.listTools()).tools.map((t) => t.name)).toEqual(["send_email"]);
    expect(textOf(await mail.callTool({ name: "send_email", arguments: { text: "hi" } }))).toBe("send_email ran");
  });

  it("counts the findings by the decision on their definition", async () => {
    // important_note 1, read_notes 3 (phrase, two paths), tagged_title 1, the lookalike 1.
    expect(await gw.metric("mcpgov_catalog_findings_total", { server: "hostile", decision: "HIDE" })).toBe(6);
    // pick_mode, padded, summarise, Send_Email: one each.
    expect(await gw.metric("mcpgov_catalog_findings_total", { server: "hostile", decision: "FLAG" })).toBe(4);
    // The original's name differs only in case from the hostile Send_Email: flagged, not hidden.
    expect(await gw.metric("mcpgov_catalog_findings_total", { server: "mail", decision: "FLAG" })).toBe(1);
  });
});

describe("mcpgov registry pin on the hostile server", () => {
  it("refuses to pin hidden tools, naming tool and rule, reports the flags, and leaves the lock alone", async () => {
    const before = readFileSync(ws.lockPath, "utf8");
    const pin = await runCli(["registry", "pin", "hostile", "--config", ws.configPath]);
    expect(pin.code).toBe(1);
    expect(pin.stderr).toContain("refusing to pin: the catalog policy hides");
    expect(pin.stderr).toContain("hostile/important_note (hide-instruction-text)");
    expect(pin.stderr).toContain("hostile/\\u{455}end_email (hide-lookalike-names)");
    expect(pin.stdout).toMatch(/^ {2}FLAG hostile\/pick_mode {2}flag-invisible-text {2}\[zero_width\]$/m);
    expect(pin.stdout).toMatch(/^ {2}FLAG hostile\/Send_Email {2}flag-cross-server-references {2}\[name_collision_case\]$/m);
    expect(pin.stdout).toMatch(/^ {2}HIDE hostile\/tagged_title {2}hide-hidden-unicode {2}\[unicode_tag_chars\] \(refused\)$/m);
    expect(pin.stdout).toContain("$.inputSchema.properties.text.description: sensitive path ~/.ssh");
    expect(readFileSync(ws.lockPath, "utf8")).toBe(before);

    const check = await runCli(["registry", "check", "hostile", "--config", ws.configPath]);
    expect(check.code).toBe(2);
    expect(check.stdout).toContain("hostile: ok, 9 tools match their pins");
    expect(check.stdout).toMatch(/^ {2}HIDE hostile\/read_notes {2}hide-instruction-text {2}\[concealment_phrase, sensitive_path\] \(hidden from clients\)$/m);
  });

  it("puts the verdicts and findings (labels, never text) in the JSON output", async () => {
    const check = await runCli(["registry", "check", "hostile", "--config", ws.configPath, "--format", "json"]);
    const report = JSON.parse(check.stdout) as { servers: Array<{ id: string; definitions: Array<{ name: string; decision: string; rules: string[]; findings: Array<{ type: string; field: string }> }> }> };
    const summarise = report.servers[0]!.definitions.find((d) => d.name === "summarise");
    expect(summarise).toMatchObject({ decision: "FLAG", rules: ["flag-cross-server-references"], findings: [{ type: "cross_server_tool_reference", field: "$.outputSchema.description" }] });
    expect(check.stdout).not.toContain("so the team sees it");
  });

  it("pins them when each is named in --allow-hidden", async () => {
    const allow = Object.keys(HIDDEN).flatMap((name) => ["--allow-hidden", name]);
    const pin = await runCli(["registry", "pin", "hostile", "--config", ws.configPath, ...allow]);
    expect(pin.stderr).not.toContain("refusing");
    expect(pin.code).toBe(0);
    expect(pin.stdout).toContain("(pinned on --allow-hidden; the gateway still hides it)");
  });
});
