import { describe, expect, it } from "vitest";
import type { BundleRef, Decision } from "../src/core/decision.js";
import { buildEnvelope, type Envelope } from "../src/core/envelope.js";
import type { OutputDecision, OutputDecisionKind, OutputPolicyInput } from "../src/core/output-decision.js";
import type { PolicyEngine } from "../src/engine/policy-engine.js";
import {
  guardOutput,
  guardPayload,
  OUTPUT_WITHHELD_ERROR_CODE,
  withheldError,
  withheldNotification,
  withheldProgress,
} from "../src/gateway/output-guard.js";
import type { NewQuarantineItem, QuarantineItem, QuarantineStore } from "../src/quarantine/quarantine-store.js";

const j = (...parts: string[]): string => parts.join("");
const TOKEN = `${j("gh", "p_")}Zq8R3kTn5WmX2pLv9YbC4dHf7JsG1aNe6QuV`;
const BUNDLE: BundleRef = { hash: `sha256:${"b".repeat(64)}`, revision: "test" };

/** An output policy that always answers the same: a hostile or buggy policy when it says PASS. */
class StaticOutputEngine implements PolicyEngine {
  readonly bundle = BUNDLE;
  readonly inputs: OutputPolicyInput[] = [];
  constructor(private readonly kind: OutputDecisionKind, private readonly redactTypes: string[] = []) {}
  decide(): Decision {
    throw new Error("not used");
  }
  decideValid(): Decision {
    throw new Error("not used");
  }
  decideCatalog(): never {
    throw new Error("not used");
  }
  decideOutput(input: unknown): OutputDecision {
    return this.decideOutputValid(input as OutputPolicyInput);
  }
  decideOutputValid(input: OutputPolicyInput): OutputDecision {
    this.inputs.push(input);
    const rule = `static.${this.kind.toLowerCase()}`;
    return { decision: this.kind, rules: [rule], reason: `${rule}: the double says so`, matched: [{ rule, decision: this.kind }], redact_types: this.redactTypes, bundle: BUNDLE };
  }
}

/** Keeps held items in memory; only hold is used by the guard. */
class MemoryQuarantine implements Partial<QuarantineStore> {
  readonly held: NewQuarantineItem[] = [];
  async hold(item: NewQuarantineItem): Promise<QuarantineItem> {
    this.held.push(item);
    const { result_json: _json, ...rest } = item;
    return { ...rest, id: `q-${this.held.length}`, state: "held" } as unknown as QuarantineItem;
  }
}

function context(maxScanBytes = 8 * 1024 * 1024) {
  const quarantine = new MemoryQuarantine();
  const ctx = {
    config: { output: { max_scan_bytes: maxScanBytes, max_held_bytes: 16 * 1024 * 1024, retention_hours: 168 } },
    quarantine: quarantine as unknown as QuarantineStore,
    logger: { error: () => undefined },
    clock: () => new Date("2026-12-07T00:00:00.000Z"),
  } as unknown as Parameters<typeof guardPayload>[0];
  return { ctx, quarantine };
}

const envelope: Envelope = buildEnvelope({
  callId: "c-1",
  server: "files",
  tool: "read_file",
  arguments: {},
  argumentsDigest: `sha256:${"a".repeat(64)}`,
  action: "read",
  subject: { id: "agent" },
  time: "2026-12-07T00:00:00.000Z",
});

describe("guardPayload: the scan is a floor under any output policy", () => {
  it("quarantines a payload whose scan failed, though the policy says PASS", async () => {
    const { ctx, quarantine } = context();
    const engine = new StaticOutputEngine("PASS");
    const hostile = { content: [{ type: "text", text: "hi" }], get _meta(): unknown { throw new Error("getter exploded"); } };
    const guarded = await guardOutput(ctx, engine, hostile, envelope, "c-1");
    expect(engine.inputs[0]!.scan_error).toBe(true);
    expect(guarded.verdict).toMatchObject({ decision: "QUARANTINE", rules: ["mcpgov.output.scan-error"] });
    expect(guarded.verdict.reason).toContain("the output policy said PASS");
    expect(guarded.result).toMatchObject({ isError: true });
    expect(guarded.findings).toMatchObject({ scan_error: 1 });
    expect(quarantine.held).toHaveLength(0); // the payload could not even be serialized: withheld, not kept
  });

  it("quarantines an oversize payload, though the policy says PASS", async () => {
    const { ctx, quarantine } = context(1000);
    const guarded = await guardPayload(ctx, new StaticOutputEngine("PASS"), { contents: [{ uri: "file:///big", text: "a".repeat(2000) }] }, envelope, "c-2", { kind: "resource" });
    expect(guarded.verdict).toMatchObject({ decision: "QUARANTINE", rules: ["mcpgov.output.not-fully-scanned"] });
    expect(guarded.payload).toBeUndefined();
    expect(guarded.withheld?.quarantine_id).toBe("q-1");
    expect(guarded.withheld?.text).toMatch(/^mcpgov withheld this resource: mcpgov\.output\.not-fully-scanned: the output was not fully scanned \(oversize\)/);
    expect(quarantine.held[0]!.result_json).toContain("file:///big");
  });

  it("quarantines a payload with more findings than the scanner counts, though the policy says PASS or REDACT", async () => {
    for (const kind of ["PASS", "REDACT"] as const) {
      const { ctx } = context();
      const guarded = await guardPayload(ctx, new StaticOutputEngine(kind, ["email"]), { message: "a@b.io ".repeat(10_001) }, envelope, "c-3", { kind: "progress" });
      expect(guarded.verdict).toMatchObject({ decision: "QUARANTINE", rules: ["mcpgov.output.not-fully-scanned"] });
      expect(guarded.findings).toMatchObject({ finding_limit: 1 });
    }
  });

  it("withholds a payload it cannot redact (too deep to rewrite) when the policy says REDACT", async () => {
    const { ctx } = context();
    let deep: unknown = { note: `token ${TOKEN}` };
    for (let i = 0; i < 200_000; i++) deep = { d: deep };
    const guarded = await guardPayload(ctx, new StaticOutputEngine("REDACT", ["github_token"]), deep, envelope, "c-11", { kind: "notification" });
    expect(guarded.verdict).toMatchObject({ decision: "QUARANTINE", rules: ["mcpgov.output.redaction-failed"] });
    expect(guarded.payload).toBeUndefined();
  });

  it("passes a clean payload as the same object when the policy says PASS", async () => {
    const { ctx } = context();
    const payload = { level: "info", logger: "git", data: "cloned 3 files" };
    const guarded = await guardPayload(ctx, new StaticOutputEngine("PASS"), payload, envelope, "c-4", { kind: "notification" });
    expect(guarded.payload).toBe(payload);
    expect(guarded.withheld).toBeUndefined();
  });
});

describe("guardPayload: any payload", () => {
  it("gives the policy the payload kind and the unscanned binary items", async () => {
    const { ctx } = context();
    const engine = new StaticOutputEngine("PASS");
    await guardPayload(ctx, engine, { contents: [{ uri: "file:///a.png", mimeType: "image/png", blob: "iVBORw0KGgoAAAANSUhEUg==" }] }, envelope, "c-5", { kind: "resource" });
    expect(engine.inputs[0]).toMatchObject({ payload_kind: "resource", binary: { count: 1, mime_types: ["image/png"] } });
  });

  it("redacts a progress message and an error object", async () => {
    const { ctx } = context();
    const engine = new StaticOutputEngine("REDACT", ["github_token"]);
    const progress = await guardPayload(ctx, engine, { progressToken: "p", progress: 2, message: `using ${TOKEN}` }, envelope, "c-6", { kind: "progress" });
    expect(progress.payload).toEqual({ progressToken: "p", progress: 2, message: "using [REDACTED:github_token]" });
    const error = await guardPayload(ctx, engine, { code: -32000, message: `bad token ${TOKEN}` }, envelope, "c-7", { kind: "error" });
    expect(error.payload).toEqual({ code: -32000, message: "bad token [REDACTED:github_token]" });
  });

  it("withholds non-tool payloads with something the caller can send instead", async () => {
    const { ctx, quarantine } = context();
    const engine = new StaticOutputEngine("QUARANTINE");
    const prompt = await guardPayload(ctx, engine, { messages: [{ role: "user", content: { type: "text", text: TOKEN } }] }, envelope, "c-8", { kind: "prompt" });
    expect(prompt.withheld).toBeDefined();
    const error = withheldError(prompt.withheld!);
    expect(error).toMatchObject({ code: OUTPUT_WITHHELD_ERROR_CODE, data: { "mcpgov/output": { quarantine_id: "q-1", call_id: "c-8", decision: "QUARANTINE" } } });
    expect(error.message).toMatch(/^mcpgov withheld this prompt: static\.quarantine/);
    expect(JSON.stringify(error)).not.toContain(TOKEN);
    expect(quarantine.held[0]!.result_json).toContain(TOKEN);

    const progress = await guardPayload(ctx, engine, { progressToken: 9, progress: 1, total: 2, message: TOKEN }, envelope, "c-9", { kind: "progress" });
    expect(withheldProgress({ progressToken: 9, progress: 1, total: 2, message: TOKEN }, progress.withheld!)).toEqual({ progressToken: 9, progress: 1, total: 2, message: progress.withheld!.text });
    const note = await guardPayload(ctx, engine, { level: "info", data: TOKEN }, envelope, "c-10", { kind: "notification" });
    expect(JSON.stringify(withheldNotification({ level: "info", data: TOKEN }, note.withheld!))).not.toContain(TOKEN);
  });
});
