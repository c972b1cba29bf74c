/**
 * End to end: the quarantine. A file holding a private key is read through
 * the gateway from the real server-filesystem; the output policy withholds
 * it, the gateway keeps it and names the quarantine id, a reviewer lists,
 * inspects and releases it, and the client it was withheld from — and only
 * that client — fetches the original bytes. Discarded content is gone, and
 * every step is on the audit chain, which still verifies.
 */
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expireQuarantine } from "../src/gateway/quarantine-review.js";
import { STATE_FILE } from "../src/state/state-db.js";
import { runCli } from "./helpers/cli.js";
import { memoryLogger } from "./helpers/rug-pull.js";
import {
  disposeGateway,
  filesystemServer,
  KEYS,
  referenceWorkspace,
  startTestGateway,
  type TestGateway,
  textOf,
  type ToolResult,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";
import { expectExample } from "./helpers/readme.js";

const PRIVATE_KEY = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
// Built from parts so the source itself does not look like a leaked credential.
const AWS_KEY = ["AK", "IA", "R5TWQ8ZK3MXN7BLC"].join("");

/** Subjects beyond alice (developer) and ops (mcpgov-admin): a reviewer, a colleague, and alice of another tenant. */
const EXTRA = {
  rita: "rita-e2e-reviewer-key-5a6b7c8d9e",
  bob: "bob-e2e-developer-key-1f2e3d4c5b",
  aliceGlobex: "alice-globex-e2e-key-0a9b8c7d6e",
} as const;
const EXTRA_ENV = { MCPGOV_E2E_KEY_RITA: EXTRA.rita, MCPGOV_E2E_KEY_BOB_DEV: EXTRA.bob, MCPGOV_E2E_KEY_ALICE_GLOBEX: EXTRA.aliceGlobex };
const MAX_SCAN_BYTES = 4096;
const MAX_HELD_BYTES = 32 * 1024;

let ws: Workspace;
let gw: TestGateway;
let filesystem: Client;
const logger = memoryLogger();

beforeAll(async () => {
  ws = await referenceWorkspace();
  await writeGatewayConfig(ws, {
    servers: [filesystemServer(ws)],
    env: EXTRA_ENV,
    keys: [
      { id: "rita", key_env: "MCPGOV_E2E_KEY_RITA", subject: "rita", tenant: "acme", roles: ["mcpgov-reviewer"] },
      { id: "bob-dev", key_env: "MCPGOV_E2E_KEY_BOB_DEV", subject: "bob", tenant: "acme", roles: ["developer"] },
      { id: "alice-globex", key_env: "MCPGOV_E2E_KEY_ALICE_GLOBEX", subject: "alice", tenant: "globex", roles: ["developer"] },
    ],
    output: { max_scan_bytes: MAX_SCAN_BYTES, max_held_bytes: MAX_HELD_BYTES },
  });
  gw = await startTestGateway(ws, { env: EXTRA_ENV, logger });
  filesystem = await gw.connect("filesystem");
});

afterAll(() => disposeGateway(gw, ws));

interface OutputMeta {
  call_id: string;
  decision: string;
  rules: string[];
  quarantine_id?: string;
  quarantine_error?: string;
}

async function read(name: string, content: string): Promise<ToolResult> {
  writeFileSync(join(ws.sandbox, name), content);
  return (await filesystem.callTool({ name: "read_text_file", arguments: { path: join(ws.sandbox, name) } })) as ToolResult;
}

const outputMeta = (result: ToolResult): OutputMeta => {
  const meta = result._meta?.["mcpgov/output"];
  if (!meta) throw new Error(`no mcpgov/output in ${JSON.stringify(result)}`);
  return meta as OutputMeta;
};

function api(path: string, key: string | null, init: { method?: string; body?: unknown } = {}) {
  return gw.fetch(path, {
    method: init.method ?? "GET",
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(init.body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(init.body !== undefined ? { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) } : {}),
  });
}

const review = (id: string, action: "release" | "discard", key: string, reason: unknown = "checked with the file's owner") =>
  api(`/admin/quarantine/${id}/${action}`, key, { method: "POST", body: { reason } });

/** The state database and its WAL, as raw text, to look for content that must be gone. */
const stateFiles = (): string =>
  [STATE_FILE, `${STATE_FILE}-wal`]
    .map((f) => {
      try {
        return readFileSync(join(ws.dataDir, f)).toString("latin1");
      } catch {
        return "";
      }
    })
    .join("");

describe("quarantine through the gateway", () => {
  let keyItem: string;
  let keyCall: string;
  const keyFile = `# deploy key for the staging bastion\n${PRIVATE_KEY}`;

  it("withholds a private key, keeps it held and names the quarantine id in the tool error", async () => {
    const result = await read("id_ed25519", keyFile);
    expect(result.isError).toBe(true);
    const meta = outputMeta(result);
    expect(meta).toMatchObject({ decision: "QUARANTINE", rules: ["quarantine-credentials"], quarantine_id: expect.stringMatching(/^q-[0-9a-f-]{36}$/) });
    keyItem = meta.quarantine_id!;
    keyCall = meta.call_id;
    expect(textOf(result)).toContain(`quarantine id ${keyItem}`);
    expect(textOf(result)).toContain(`GET /mcp/filesystem/quarantine/${keyItem}`);
    expectExample("quarantine-tool-error", textOf(result));
    expect(JSON.stringify(result)).not.toContain("PRIVATE KEY-----\n");
    const [record] = await gw.calls({ callId: keyCall });
    expect(record).toMatchObject({ outcome: "executed", extra: { output_verdict: "QUARANTINE", quarantine_id: keyItem, findings: { private_key: 2 } } });
    expect(JSON.stringify(record)).not.toContain(PRIVATE_KEY.split("\n")[1]!);
    expect(statSync(join(ws.dataDir, STATE_FILE)).mode & 0o777).toBe(0o600);
  });

  it("lists held items to reviewers as metadata only, and to nobody else", async () => {
    const response = await api("/admin/quarantine?state=held", EXTRA.rita);
    expect(response.status).toBe(200);
    const text = await response.text();
    const { items } = JSON.parse(text) as { items: Array<Record<string, unknown>> };
    expect(items.find((i) => i["id"] === keyItem)).toMatchObject({
      call_id: keyCall,
      state: "held",
      subject: { id: "alice", tenant: "acme" },
      server: "filesystem",
      tool: "read_text_file",
      rules: ["quarantine-credentials"],
      findings: { private_key: 2 },
      content_kept: true,
      size_bytes: expect.any(Number),
    });
    expect(text).not.toContain(PRIVATE_KEY.split("\n")[1]!);
    expect((await api("/admin/quarantine", KEYS.alice)).status).toBe(403);
    expect(await (await api("/admin/quarantine", KEYS.alice)).json()).toMatchObject({ code: "forbidden" });
    expect((await api("/admin/quarantine", null)).status).toBe(401);
    expect(await (await api("/admin/quarantine?state=pending", EXTRA.rita)).json()).toMatchObject({ code: "invalid_state" });
  });

  it("tells the client its output is still held before anyone releases it", async () => {
    const response = await api(`/mcp/filesystem/quarantine/${keyItem}`, KEYS.alice);
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ code: "held" });
  });

  it("shows a reviewer the withheld content, but not the subject it was withheld from", async () => {
    const response = await api(`/admin/quarantine/${keyItem}`, EXTRA.rita);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const shown = (await response.json()) as { item: { id: string }; result: ToolResult };
    expect(shown.item.id).toBe(keyItem);
    expect(shown.result.content?.[0]?.text).toBe(keyFile);
    expect((await api(`/admin/quarantine/q-00000000-0000-0000-0000-000000000000`, EXTRA.rita)).status).toBe(404);
  });

  it("refuses a release without a reason or without the role, then releases once", async () => {
    for (const reason of [undefined, "", "   ", 42]) {
      const response = await api(`/admin/quarantine/${keyItem}/release`, EXTRA.rita, { method: "POST", body: { reason } });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: "reason_required", error: expect.stringContaining("reason") });
    }
    expect((await api(`/admin/quarantine/${keyItem}/release`, EXTRA.rita, { method: "POST", body: "{not json" })).status).toBe(400);
    expect((await review(keyItem, "release", KEYS.alice)).status).toBe(403);
    expect((await review("q-unknown", "release", EXTRA.rita)).status).toBe(404);

    const released = await review(keyItem, "release", EXTRA.rita, "test fixture key, never deployed");
    expect(released.status).toBe(200);
    expect(await released.json()).toMatchObject({ item: { id: keyItem, state: "released", reviewer: "rita", review_reason: "test fixture key, never deployed" } });

    const again = await review(keyItem, "release", KEYS.admin);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: "wrong_state", item: { state: "released", reviewer: "rita" } });
    expect((await review(keyItem, "discard", KEYS.admin)).status).toBe(409);
  });

  it("hands the released output to the original client byte for byte, and to no other subject", async () => {
    const response = await api(`/mcp/filesystem/quarantine/${keyItem}`, KEYS.alice);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const text = await response.text();
    expectExample("quarantine-fetch", `GET /mcp/filesystem/quarantine/${keyItem}\nAuthorization: Bearer <the client's own token>\n→ ${response.status} ${text}`);
    const body = JSON.parse(text) as { quarantine_id: string; call_id: string; released_by: string; result: ToolResult & { structuredContent?: unknown } };
    expect(body).toMatchObject({ quarantine_id: keyItem, call_id: keyCall, released_by: "rita" });
    // Exactly what server-filesystem returned, as a clean read passes it.
    expect(JSON.stringify(body.result)).toBe(JSON.stringify({ content: [{ type: "text", text: keyFile }], structuredContent: { content: keyFile } }));

    for (const key of [EXTRA.bob, EXTRA.aliceGlobex, KEYS.admin]) {
      const other = await api(`/mcp/filesystem/quarantine/${keyItem}`, key);
      expect(other.status).toBe(404);
      expect(await other.text()).not.toContain("PRIVATE KEY");
    }
    expect((await api(`/mcp/memory/quarantine/${keyItem}`, KEYS.alice)).status).toBe(404);
    expect((await api(`/mcp/filesystem/quarantine/${keyItem}`, null)).status).toBe(401);
  });

  it("discards a held output: the content is deleted, from the store files too, and the client hears so", async () => {
    const result = await read("deploy.env", `AWS_ACCESS_KEY_ID=${AWS_KEY}\nREGION=eu-west-1\n`);
    const id = outputMeta(result).quarantine_id!;
    expect(stateFiles()).toContain(AWS_KEY);
    const discarded = await review(id, "discard", KEYS.admin, "a live key: the owner rotates it");
    expect(discarded.status).toBe(200);
    expect(await discarded.json()).toMatchObject({ item: { state: "discarded", content_kept: false, reviewer: "ops" } });
    const shown = (await (await api(`/admin/quarantine/${id}`, EXTRA.rita)).json()) as { item: { state: string }; result: unknown };
    expect(shown).toMatchObject({ item: { state: "discarded" }, result: null });
    expect(stateFiles()).not.toContain(AWS_KEY);
    const fetched = await api(`/mcp/filesystem/quarantine/${id}`, KEYS.alice);
    expect(fetched.status).toBe(410);
    expect(await fetched.json()).toMatchObject({ code: "discarded" });
    expect((await review(id, "release", EXTRA.rita)).status).toBe(409);
  });

  it("does not let a reviewer release an output withheld from themselves", async () => {
    const rita = await gw.connect("filesystem", EXTRA.rita);
    writeFileSync(join(ws.sandbox, "rita.pem"), PRIVATE_KEY);
    const result = (await rita.callTool({ name: "read_text_file", arguments: { path: join(ws.sandbox, "rita.pem") } })) as ToolResult;
    const id = outputMeta(result).quarantine_id!;
    const own = await review(id, "release", EXTRA.rita);
    expect(own.status).toBe(403);
    expect(await own.json()).toMatchObject({ code: "own_output" });
    expect((await api(`/admin/quarantine/${id}`, EXTRA.rita)).status).toBe(403);
    expect((await review(id, "release", KEYS.admin)).status).toBe(200);
  });

  it("quarantines an output over output.max_scan_bytes unscanned, and keeps it", async () => {
    const big = `${"log line without secrets\n".repeat(Math.ceil((MAX_SCAN_BYTES + 1) / 25))}`;
    const result = await read("big.log", big);
    const meta = outputMeta(result);
    expect(meta).toMatchObject({ decision: "QUARANTINE", rules: ["mcpgov.output.not-fully-scanned"], quarantine_id: expect.any(String) });
    const [record] = await gw.calls({ callId: meta.call_id });
    expect(record?.extra).toMatchObject({ findings: { oversize: 1 }, quarantine_id: meta.quarantine_id });
    const small = await read("small.log", "log line without secrets\n");
    expect(small.isError).toBeFalsy();
  });

  it("withholds but does not keep an output over output.max_held_bytes", async () => {
    const result = await read("huge.log", "x".repeat(MAX_HELD_BYTES + 1));
    const meta = outputMeta(result);
    expect(meta.quarantine_id).toBeUndefined();
    expect(meta.quarantine_error).toContain("output.max_held_bytes");
    expect(textOf(result)).toContain("could not be kept for review");
    const [record] = await gw.calls({ callId: meta.call_id });
    expect(record?.extra).toMatchObject({ output_verdict: "QUARANTINE", quarantine_error: expect.stringContaining("max_held_bytes") });
  });

  it("still withholds the output when the quarantine store refuses it (fail closed)", async () => {
    const db = new Database(join(ws.dataDir, STATE_FILE));
    db.exec("CREATE TRIGGER refuse_hold BEFORE INSERT ON quarantine BEGIN SELECT RAISE(ABORT, 'refused by test'); END");
    try {
      const result = await read("again.pem", PRIVATE_KEY);
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result)).not.toContain(PRIVATE_KEY.split("\n")[1]!);
      const meta = outputMeta(result);
      expect(meta).toMatchObject({ decision: "QUARANTINE", quarantine_error: "the quarantine store failed" });
      expect(textOf(result)).toContain("could not be kept for review");
      const [record] = await gw.calls({ callId: meta.call_id });
      expect(record?.extra).toMatchObject({ quarantine_error: "the quarantine store failed" });
      const logged = logger.entries.find((e) => e.level === "error" && e.fields["call_id"] === meta.call_id);
      expect(logged?.fields["error"]).toContain("refused by test");
    } finally {
      db.exec("DROP TRIGGER refuse_hold");
      db.close();
    }
  });

  it("exports the held backlog and the quarantine ratio", async () => {
    const held = JSON.parse(await (await api("/admin/quarantine?state=held", EXTRA.rita)).text()) as { items: unknown[] };
    expect(held.items.length).toBeGreaterThan(0);
    expect(await gw.metric("mcpgov_quarantine_held")).toBe(held.items.length);
    const quarantined = await gw.metric("mcpgov_output_verdicts_total", { verdict: "QUARANTINE" });
    const total = await gw.metric("mcpgov_output_verdicts_total");
    expect(quarantined).toBeGreaterThan(0);
    expect(quarantined).toBeLessThan(total);
    expect(await gw.metric("mcpgov_output_quarantine_ratio")).toBeCloseTo(quarantined / total, 10);
    expect(await gw.metric("mcpgov_quarantine_reviews_total", { action: "released" })).toBe(2);
    expect(await gw.metric("mcpgov_quarantine_reviews_total", { action: "discarded" })).toBe(1);
  });

  it("leaves a linked audit record for each step, and the chain verifies", async () => {
    // The call's outcome, then one event per review step (no made-up envelope or decision); intents left out.
    const records = (await gw.records({ callId: keyCall })).filter((r) => r.kind !== "intent");
    expect(records.map((r) => [r.kind === "event" ? r.event : "call", r.subject?.id, r.kind === "event" ? r.quarantine_id : r.extra["quarantine_id"]])).toEqual([
      ["call", "alice", keyItem],
      ["quarantine.inspected", "rita", keyItem],
      ["quarantine.released", "rita", keyItem],
      ["quarantine.delivered", "alice", keyItem],
      ["quarantine.refused", "bob", keyItem],
      ["quarantine.refused", "alice", keyItem],
      ["quarantine.refused", "ops", keyItem],
    ]);
    expect(records[2]).toMatchObject({ kind: "event", details: { reason: expect.stringContaining("test fixture key, never deployed") } });
    expect(records[2]).not.toHaveProperty("envelope");
    expect(records[5]?.subject).toEqual({ id: "alice", tenant: "globex" });
    expect(JSON.stringify(records)).not.toContain(PRIVATE_KEY.split("\n")[1]!);
    // Neither the withheld content nor a reviewer's token reaches the log.
    const log = JSON.stringify(logger.entries);
    expect(logger.entries.filter((e) => e.message === "quarantine reviewed").length).toBe(3);
    for (const secret of [PRIVATE_KEY.split("\n")[1]!, AWS_KEY, EXTRA.rita, KEYS.alice]) expect(log).not.toContain(secret);
    const verify = await runCli(["audit", "verify", "--data-dir", ws.dataDir]);
    expect(verify.stderr).toBe("");
    expect(verify.code).toBe(0);
  });

  it("deletes withheld content once output.retention_hours have passed, and audits it", async () => {
    expect(stateFiles()).toContain(PRIVATE_KEY.split("\n")[1]!);
    const held = (await gw.gateway.ctx.quarantine.countByState()).held;
    expect(held).toBeGreaterThan(0);
    expect(await expireQuarantine(gw.gateway.ctx, new Date(Date.now() + 60_000))).toBe(0);

    const later = new Date(Date.now() + 169 * 3_600_000);
    const expired = await expireQuarantine(gw.gateway.ctx, later);
    expect(expired).toBeGreaterThan(held);
    expect((await gw.gateway.ctx.quarantine.countByState()).held).toBe(0);
    expect(await gw.metric("mcpgov_quarantine_held")).toBe(0);
    expect(stateFiles()).not.toContain(PRIVATE_KEY.split("\n")[1]!);

    const fetched = await api(`/mcp/filesystem/quarantine/${keyItem}`, KEYS.alice);
    expect(fetched.status).toBe(410);
    expect(await fetched.json()).toMatchObject({ code: "expired" });
    const records = await gw.records({ callId: keyCall });
    expect(records.at(-1)).toMatchObject({
      kind: "event",
      event: "quarantine.expired",
      subject: { id: "mcpgov" },
      quarantine_id: keyItem,
      details: { state: "released", reason: expect.stringContaining("retention of 168 h expired") },
    });
    expect((await runCli(["audit", "verify", "--data-dir", ws.dataDir])).code).toBe(0);
  });
});
