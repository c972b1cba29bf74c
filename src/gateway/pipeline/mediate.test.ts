/**
 * The pipeline on in-memory doubles (a static engine, a recording upstream,
 * an audit store that keeps entries in an array): the order of evidence
 * and dispatch, and that every request leaves exactly one outcome record
 * whatever stage stops it. End-to-end behaviour is in test/gateway-e2e-*.
 */
import { describe, expect, it, vi } from "vitest";
import type { AuditStore } from "../../audit/audit-store.js";
import { GENESIS_HASH, type AuditEntry, type AuditRecord } from "../../core/audit-record.js";
import type { BundleRef, Decision, DecisionKind } from "../../core/decision.js";
import type { OutputDecision } from "../../core/output-decision.js";
import type { PolicyEngine } from "../../engine/policy-engine.js";
import { silentLogger } from "../../logger.js";
import { parseGatewayConfig } from "../config.js";
import type { GatewayContext } from "../context.js";
import { createMetrics } from "../metrics.js";
import { Registry } from "../registry.js";
import type { AttributeValue, CallTrace, Tracing, TraceSpan } from "../../telemetry/call-trace.js";
import { mediate } from "./mediate.js";
import type { MediatedRequest } from "./request.js";

const BUNDLE: BundleRef = { hash: `sha256:${"c".repeat(64)}`, revision: "double" };

class StaticEngine implements PolicyEngine {
  readonly bundle = BUNDLE;
  outputThrows = false;
  constructor(private readonly kind: DecisionKind) {}
  decide(): Decision {
    return this.decideValid();
  }
  decideValid(): Decision {
    return { decision: this.kind, rules: ["double"], reason: "double: says so", constraints: {}, matched: [{ rule: "double", decision: this.kind }], bundle: BUNDLE };
  }
  decideOutput(): OutputDecision {
    return this.decideOutputValid();
  }
  decideOutputValid(): OutputDecision {
    if (this.outputThrows) throw new Error("output policy double broke");
    return { decision: "PASS", rules: ["pass"], reason: "pass", matched: [], redact_types: [], bundle: BUNDLE };
  }
  decideCatalog(): never {
    throw new Error("not used");
  }
}

/** Keeps entries in order; `failOn(n)` makes the n-th append call (1-based) throw. */
class MemoryAudit {
  readonly entries: AuditEntry[] = [];
  private calls = 0;
  private readonly failing = new Set<number>();
  failOn(n: number): void {
    this.failing.add(n);
  }
  async append(entry: AuditEntry): Promise<AuditRecord> {
    if (this.failing.has(++this.calls)) throw new Error("disk full (double)");
    this.entries.push(entry);
    return { ...entry, seq: this.entries.length, prev_hash: GENESIS_HASH, hash: GENESIS_HASH } as AuditRecord;
  }
}

function context(engine: PolicyEngine, audit: MemoryAudit, dispatch = vi.fn(async () => ({ content: [{ type: "text", text: "done" }] }))) {
  const config = parseGatewayConfig(
    "bundle: b.tar.gz\nauth: {mode: none}\nservers:\n  - id: s\n    transport: {type: stdio, command: node}\n    tools: {echo: read}\n",
    "/tmp/mcpgov-pipeline-test/mcpgov.yaml",
  );
  const ctx = {
    config,
    registry: new Registry(config.servers),
    // The gateway decides in policy workers (engine.isolated); the double answers both ways.
    bundles: { current: () => Object.assign(engine, { isolated: engine }) },
    audit: audit as unknown as AuditStore,
    quarantine: {},
    metrics: createMetrics(),
    logger: silentLogger,
    upstreams: new Map([["s", { id: "s", serverCapabilities: { tools: {} } }]]),
    catalogs: new Map([["s", { lookup: async (name: string) => ({ ok: true, tool: { name, inputSchema: { type: "object" } } }), registryView: () => undefined }]]),
    clock: () => new Date("2026-12-07T10:00:00Z"),
    relay: {},
    approvals: {},
    approvalMetrics: { unapprovedHighRisk: { inc: () => undefined } },
  } as unknown as GatewayContext;
  return { ctx, dispatch };
}

function request(dispatch: MediatedRequest["dispatch"], params: Record<string, unknown> = { name: "echo", arguments: { text: "hi" } }): MediatedRequest {
  return { method: "tools/call", serverId: "s", params, subject: { id: "alice", roles: [], scopes: [] }, transport: "stdio", signal: new AbortController().signal, dispatch };
}

const kinds = (audit: MemoryAudit) => audit.entries.map((e) => (e as { kind?: string }).kind ?? "call");

describe("mediate", () => {
  it("writes the intent before dispatch, then exactly one outcome linked to it", async () => {
    const audit = new MemoryAudit();
    const order: string[] = [];
    const { ctx } = context(new StaticEngine("ALLOW"), audit);
    const append = audit.append.bind(audit);
    audit.append = async (entry) => (order.push(`append:${(entry as { kind?: string }).kind}`), append(entry));
    const mediated = await mediate(ctx, request(async () => (order.push("dispatch"), { content: [] })));
    expect(mediated.ok).toBe(true);
    expect(order).toEqual(["append:intent", "dispatch", "append:call"]);
    expect((audit.entries[1] as { intent_seq?: number }).intent_seq).toBe(1);
  });

  it("dispatches nothing on a DENY, and records it once", async () => {
    const audit = new MemoryAudit();
    const { ctx, dispatch } = context(new StaticEngine("DENY"), audit);
    const mediated = await mediate(ctx, request(dispatch));
    expect(mediated.ok).toBe(false);
    expect(dispatch).not.toHaveBeenCalled();
    expect(kinds(audit)).toEqual(["call"]);
    expect(audit.entries[0]).toMatchObject({ decision: "DENY", outcome: "blocked" });
  });

  it("dispatches nothing when the intent cannot be written, and says why", async () => {
    const audit = new MemoryAudit();
    audit.failOn(1);
    const { ctx, dispatch } = context(new StaticEngine("ALLOW"), audit);
    const mediated = await mediate(ctx, request(dispatch));
    expect(dispatch).not.toHaveBeenCalled();
    expect(mediated.ok).toBe(false);
    if (!mediated.ok) expect(mediated.refusal.text).toContain("its audit record could not be written (disk full (double))");
    expect(kinds(audit)).toEqual(["call"]);
    expect(audit.entries[0]).toMatchObject({ outcome: "error" });
  });

  it("records a stage that throws after dispatch as the gateway's error, and passes nothing of the result on", async () => {
    const audit = new MemoryAudit();
    const engine = new StaticEngine("ALLOW");
    engine.outputThrows = true;
    const { ctx, dispatch } = context(engine, audit, vi.fn(async () => ({ content: [{ type: "text", text: "secret result" }] })));
    const mediated = await mediate(ctx, request(dispatch));
    expect(dispatch).toHaveBeenCalledTimes(1);
    expect(mediated.ok).toBe(false);
    expect(JSON.stringify(mediated)).not.toContain("secret result");
    expect(kinds(audit)).toEqual(["intent", "call"]);
    expect(audit.entries[1]).toMatchObject({ outcome: "error" });
    expect((audit.entries[1] as { error?: string }).error).toContain("guard");
  });

  it("answers an invalid request with a recorded fail-closed DENY naming the field", async () => {
    const audit = new MemoryAudit();
    const { ctx, dispatch } = context(new StaticEngine("ALLOW"), audit);
    const mediated = await mediate(ctx, request(dispatch, { name: "echo", arguments: ["not", "an", "object"] }));
    expect(dispatch).not.toHaveBeenCalled();
    expect(mediated.ok).toBe(false);
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]).toMatchObject({ decision: "DENY", fail_closed: "invalid_envelope", extra: { invalid_request: { field: "call.arguments" } } });
  });
});

/** A Tracing double that keeps every span it starts: what the pipeline said, in order. */
interface RecordedSpan {
  name: string;
  kind: "server" | "internal" | "client";
  attributes: Record<string, AttributeValue>;
  failed?: string;
  ended: boolean;
  parent?: RecordedSpan;
}

function recordingTracing(): Tracing & { spans: RecordedSpan[] } {
  const spans: RecordedSpan[] = [];
  const span = (recorded: RecordedSpan): TraceSpan => {
    spans.push(recorded);
    return {
      set: (key, value) => void (value !== undefined && (recorded.attributes[key] = value)),
      fail: (message) => void (recorded.failed = message),
      traceparent: () => `00-${"a".repeat(32)}-${String(spans.indexOf(recorded) + 1).padStart(16, "0")}-01`,
      end: () => void (recorded.ended = true),
    };
  };
  return {
    spans,
    startCall(start) {
      const root: RecordedSpan = { name: `${start.method} ${start.tool ?? ""}`.trim(), kind: "server", attributes: {}, ended: false };
      const trace: CallTrace = { ...span(root), traceId: "a".repeat(32), child: (name, kind = "internal") => span({ name, kind, attributes: {}, ended: false, parent: root }) };
      return trace;
    },
    flush: async () => undefined,
    shutdown: async () => undefined,
  };
}

describe("mediate, traced", () => {
  const summary = (spans: RecordedSpan[]) => spans.map((s) => `${s.kind}:${s.name}${s.failed ? ` (${s.failed})` : ""}`);

  it("ends every span, children under the request's span, and hands the upstream call's traceparent to dispatch", async () => {
    const audit = new MemoryAudit();
    const { ctx } = context(new StaticEngine("ALLOW"), audit);
    const tracing = recordingTracing();
    ctx.tracing = tracing;
    let sent: string | undefined;
    const mediated = await mediate(ctx, request(async (_params, options) => ((sent = options.traceparent), { content: [] })));
    expect(mediated.ok).toBe(true);
    expect(summary(tracing.spans)).toEqual(["server:tools/call echo", "internal:mcpgov.decide", "client:tools/call echo", "internal:mcpgov.output_guard"]);
    expect(tracing.spans.every((s) => s.ended)).toBe(true);
    expect(tracing.spans.slice(1).every((s) => s.parent === tracing.spans[0])).toBe(true);
    expect(sent).toBe(`00-${"a".repeat(32)}-${"3".padStart(16, "0")}-01`);
    expect(audit.entries.map((e) => (e as { extra?: { trace_id?: string } }).extra?.trace_id)).toEqual(["a".repeat(32), "a".repeat(32)]);
  });

  it("marks a DENY as no failure, and a failed upstream or a stage that throws as one", async () => {
    const deny = context(new StaticEngine("DENY"), new MemoryAudit());
    const denied = recordingTracing();
    deny.ctx.tracing = denied;
    await mediate(deny.ctx, request(deny.dispatch));
    expect(summary(denied.spans)).toEqual(["server:tools/call echo", "internal:mcpgov.decide"]);
    expect(denied.spans[0]!.attributes).toMatchObject({ "mcpgov.decision": "DENY", "mcpgov.outcome": "blocked" });

    const down = context(new StaticEngine("ALLOW"), new MemoryAudit());
    const unreachable = recordingTracing();
    down.ctx.tracing = unreachable;
    await mediate(down.ctx, request(async () => Promise.reject(new Error("ECONNREFUSED (double)"))));
    expect(summary(unreachable.spans)).toEqual(["server:tools/call echo (failed)", "internal:mcpgov.decide", "client:tools/call echo (upstream unavailable)"]);

    const engine = new StaticEngine("ALLOW");
    engine.outputThrows = true;
    const broken = context(engine, new MemoryAudit());
    const thrown = recordingTracing();
    broken.ctx.tracing = thrown;
    await mediate(broken.ctx, request(broken.dispatch));
    expect(summary(thrown.spans)).toEqual(["server:tools/call echo (error)", "internal:mcpgov.decide", "client:tools/call echo", "internal:mcpgov.output_guard (guard stage failed)"]);
    // No span says what the upstream answered or what failed inside it.
    expect(JSON.stringify(thrown.spans.map((s) => s.attributes))).not.toContain("output policy double broke");
  });
});
