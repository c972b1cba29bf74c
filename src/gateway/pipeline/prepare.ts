/**
 * @module Stage 1, prepare: read the request, classify it and build its
 * envelope. Anything that keeps a valid envelope from being built — an
 * empty tool name, arguments that are not an object, ill-formed Unicode —
 * is a fail-closed DENY that names the field; nothing here throws.
 */
import { randomUUID } from "node:crypto";
import { jsonDigest } from "../../bundle/hash.js";
import { failClosed } from "../../core/decision.js";
import { findUnsafeNumber } from "../../core/numbers.js";
import { buildEnvelope, type Action, type Envelope } from "../../core/envelope.js";
import { egressOfArguments } from "../../core/egress-of.js";
import { describeThrown } from "../../core/errors.js";
import { findIllFormed, toWellFormed, wellFormedJson } from "../../core/well-formed.js";
import type { GatewayContext } from "../context.js";
import { lazyChildLogger } from "../../logger.js";
import { NOOP_TRACE } from "../../telemetry/call-trace.js";
import { startCallTrace } from "./trace-stages.js";
import { classifyTool, registryFacts } from "../registry.js";
import { type MediatedRequest, requestFacts } from "./request.js";
import { type CallState, type Refusal, refuse } from "./state.js";

/** What every request has, valid or not: enough to record it. */
export interface Begun {
  ctx: GatewayContext;
  request: MediatedRequest;
  callId: string;
  logger: CallState["logger"];
  trace: CallState["trace"];
  engine: CallState["engine"];
  facts: CallState["facts"];
}

export function begin(ctx: GatewayContext, request: MediatedRequest): Begun {
  const facts = requestFacts(request.method, request.params);
  const logger = request.logger ?? ctx.logger;
  const trace = ctx.tracing ? startCallTrace(ctx.tracing, request, facts) : NOOP_TRACE;
  return {
    ctx,
    request,
    callId: randomUUID(),
    // The call's log lines carry its trace id, as its audit records do.
    logger: trace.traceId === undefined ? logger : lazyChildLogger(logger, { trace_id: trace.traceId }),
    trace,
    engine: ctx.bundles.current(),
    facts,
  };
}

/**
 * A request whose envelope cannot be built: DENY, fail-closed, naming the
 * field. Its record carries a stand-in envelope — ill-formed text escaped
 * to U+FFFD, a missing target shown as "(missing)", arguments that are not
 * an object wrapped — and `extra.invalid_request` says what was wrong, so
 * the record, its hash and what was decided agree.
 */
export function invalidRequest(begun: Begun, field: string, problem: string): Refusal & { envelope: Envelope } {
  const decision = failClosed("invalid_envelope", `${field}: ${problem}`, begun.engine.bundle);
  const text = `mcpgov denied this request: ${decision.reason} (call id ${begun.callId})`;
  const invalid = { field, problem };
  return { ...refuse({ decision }, "blocked", text, { error: `invalid request: ${field}: ${problem}`, extra: { invalid_request: invalid } }), envelope: standIn(begun) };
}

function standIn(begun: Begun): Envelope {
  const { ctx, request, facts } = begun;
  const rawArgs = wellFormedJson(facts.arguments as unknown).value;
  const args: Record<string, unknown> =
    typeof rawArgs === "object" && rawArgs !== null && !Array.isArray(rawArgs) ? (rawArgs as Record<string, unknown>) : { "mcpgov.invalid_arguments": String(JSON.stringify(rawArgs) ?? "undefined").slice(0, 256) };
  const subject = wellFormedJson(request.subject).value;
  const entry = ctx.registry.get(request.serverId);
  return buildEnvelope({
    callId: begun.callId,
    method: request.method,
    server: toWellFormed(request.serverId) || "(missing)",
    target: toWellFormed(facts.target) || "(missing)",
    arguments: args,
    argumentsDigest: jsonDigest(args),
    egress: [],
    ...(entry ? { registry: registryFacts(entry) } : {}),
    action: "destructive",
    subject: { ...subject, id: subject.id || "(missing)" },
    time: ctx.clock().toISOString(),
    ...(request.requestId ? { requestId: toWellFormed(request.requestId) } : {}),
    transport: request.transport,
  });
}

export async function prepare(begun: Begun): Promise<CallState | (Refusal & { envelope: Envelope })> {
  const { ctx, request, facts } = begun;
  // Ill-formed text is refused before anything reads it: the engine, the
  // store and OPA would each see a different string.
  const illFormed =
    findIllFormed(facts.target, "call.target.name") ??
    findIllFormed(facts.arguments, "call.arguments") ??
    findIllFormed(request.subject, "subject");
  if (illFormed) return invalidRequest(begun, illFormed, "contains a lone UTF-16 surrogate (ill-formed Unicode)");
  // Numbers JSON.parse did not read exactly would be decided on other values than OPA reads from the same text.
  const unsafe = findUnsafeNumber(facts.arguments, "call.arguments") ?? findUnsafeNumber(request.subject, "subject");
  if (unsafe) return invalidRequest(begun, unsafe, "is a number JSON cannot carry exactly (non-finite, or an integer beyond ±(2^53 − 1)); send it as a string");

  const entry = ctx.registry.get(request.serverId);
  let lookup: CallState["lookup"];
  let action: Action = "read";
  let toolRiskTags: string[] = [];
  if (request.method === "tools/call") {
    const catalog = ctx.catalogs.get(request.serverId);
    try {
      lookup = catalog && facts.target ? await catalog.lookup(facts.target) : undefined;
    } catch (error) {
      lookup = { ok: false, kind: "unavailable", reason: describeThrown(error) };
    }
    const tool = lookup?.ok ? lookup.tool : undefined;
    const toolClass = entry ? classifyTool(entry, facts.target, tool) : { action: "destructive" as const, risk_tags: [] };
    action = toolClass.action;
    toolRiskTags = toolClass.risk_tags;
  } else if (!entry) {
    // Nothing is known of an unregistered server: the worst case.
    action = "destructive";
  }

  let envelope: CallState["envelope"];
  try {
    const args = facts.arguments;
    envelope = buildEnvelope({
      callId: begun.callId,
      method: request.method,
      server: request.serverId,
      target: facts.target,
      arguments: args,
      argumentsDigest: jsonDigest(args),
      egress: typeof args === "object" && args !== null && !Array.isArray(args) ? egressOfArguments(args) : [],
      ...(entry ? { registry: registryFacts(entry) } : {}),
      action,
      toolRiskTags,
      subject: request.subject,
      time: ctx.clock().toISOString(),
      ...(request.requestId ? { requestId: request.requestId } : {}),
      transport: request.transport,
    });
  } catch (error) {
    const { field, problem } = firstIssue(error);
    return invalidRequest(begun, field, problem);
  }
  return {
    ...begun,
    entry,
    upstream: ctx.upstreams.get(request.serverId),
    ...(lookup ? { lookup } : {}),
    envelope,
    envelopeDigest: jsonDigest(envelope),
    decision: { decision: "DENY", rules: [], reason: "not decided yet", constraints: {}, matched: [], bundle: begun.engine.bundle },
    decisionLatencyUs: 0,
    extra: {},
  };
}

/** The schema's first complaint, as "field: problem". */
function firstIssue(error: unknown): { field: string; problem: string } {
  const issues = (error as { issues?: { path?: PropertyKey[]; message?: string }[] } | undefined)?.issues;
  const first = Array.isArray(issues) ? issues[0] : undefined;
  if (!first) return { field: "envelope", problem: describeThrown(error) };
  const field = (first.path ?? []).map(String).join(".") || "envelope";
  return { field, problem: first.message ?? "invalid" };
}
