/**
 * @module Which stages of a mediated request get a span, and what each span
 * says. The request's span is the parent; decide, approve (only when the
 * decision asks for approval), the upstream call (one per attempt) and the
 * output guard are its children. A span reads facts of the call's state —
 * ids, the decision, rule ids, the bundle, verdicts — never the arguments or
 * what the upstream answered. With tracing off every span here is the
 * shared no-op and nothing is read.
 */
import type { Decision } from "../../core/decision.js";
import { parseTraceparent } from "../../core/traceparent.js";
import * as attr from "../../telemetry/attributes.js";
import { type CallTrace, callSpanName, NOOP_SPAN, type Tracing, type TraceSpan } from "../../telemetry/call-trace.js";
import type { MediatedRequest, RequestFacts } from "./request.js";
import { type CallState, isRefusal, type Stage, type StageResult } from "./state.js";

export const DECIDE_SPAN = "mcpgov.decide";
export const APPROVAL_SPAN = "mcpgov.approval";
export const OUTPUT_GUARD_SPAN = "mcpgov.output_guard";

/** The span-name target: a tool's or prompt's name (low cardinality), never a resource URI. */
function spanTarget(method: MediatedRequest["method"], facts: Pick<RequestFacts, "target">): { tool?: string; prompt?: string } {
  if (facts.target === "") return {};
  if (method === "tools/call") return { tool: facts.target };
  if (method === "prompts/get") return { prompt: facts.target };
  return {};
}

export function startCallTrace(tracing: Tracing, request: MediatedRequest, facts: RequestFacts): CallTrace {
  const parent = parseTraceparent(request.traceparent);
  return tracing.startCall({
    method: request.method,
    serverId: request.serverId,
    ...spanTarget(request.method, facts),
    ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
    ...(request.sessionId !== undefined ? { sessionId: request.sessionId } : {}),
    transport: request.transport,
    ...(parent ? { parent } : {}),
  });
}

function decisionFacts(span: TraceSpan, decision: Decision): void {
  span.set(attr.DECISION, decision.decision);
  span.set(attr.RULES, decision.rules);
  span.set(attr.BUNDLE_HASH, decision.bundle.hash);
  span.set(attr.BUNDLE_REVISION, decision.bundle.revision || undefined);
  span.set(attr.FAIL_CLOSED, decision.fail_closed);
}

type Described = (span: TraceSpan, result: StageResult) => void;

const describeDecide: Described = (span, result) => decisionFacts(span, result.decision);

const describeApproval: Described = (span, result) => {
  const approvalId = result.extra?.approval_id;
  span.set(attr.APPROVAL_ID, typeof approvalId === "string" ? approvalId : undefined);
  // Approved: the call goes on; otherwise the refusal's outcome (pending, blocked, timed out…).
  span.set(attr.OUTCOME, isRefusal(result) ? result.outcome : "approved");
};

const describeGuard: Described = (span, result) => {
  const verdict = result.extra?.output_verdict;
  const rules = result.extra?.["output_rules"];
  span.set(attr.OUTPUT_VERDICT, verdict);
  if (Array.isArray(rules)) span.set(attr.OUTPUT_RULES, rules.filter((r): r is string => typeof r === "string"));
};

export interface StageSpan {
  span: TraceSpan;
  describe?: Described;
}

const UNTRACED: StageSpan = { span: NOOP_SPAN };

/**
 * The span for one stage about to run, or the no-op. `stages` names the
 * stage functions (they live in mediate.ts's list), so this module imports
 * none of them.
 */
export function stageSpan(state: CallState, stage: Stage, stages: { decide: Stage; approve: Stage; guard: Stage; guardOutbound: Stage }): StageSpan {
  if (state.trace.traceId === undefined) return UNTRACED;
  const outbound = state.envelope.call.direction === "server_to_client";
  if (stage === stages.decide) return { span: state.trace.child(DECIDE_SPAN), describe: describeDecide };
  if (stage === stages.approve && state.decision.decision === "REQUIRE_APPROVAL") return { span: state.trace.child(APPROVAL_SPAN), describe: describeApproval };
  if ((stage === stages.guard && !outbound) || (stage === stages.guardOutbound && outbound)) return { span: state.trace.child(OUTPUT_GUARD_SPAN), describe: describeGuard };
  return UNTRACED;
}

/** The client span of one dispatch attempt, named as the MCP conventions name a request. */
export function upstreamSpan(state: CallState, attempt: number): TraceSpan {
  if (state.trace.traceId === undefined) return NOOP_SPAN;
  const { request } = state;
  const span = state.trace.child(callSpanName({ method: request.method, ...spanTarget(request.method, state.facts) }), "client");
  span.set(attr.MCP_METHOD_NAME, request.method);
  span.set(attr.SERVER_ID, request.serverId);
  span.set(attr.ATTEMPT, attempt);
  return span;
}

const FAILED: ReadonlySet<string> = new Set(["failed", "timed_out", "error"]);

/** The request's outcome on its span: a DENY or a pending approval is a mediation that worked; failures are errors. */
export function describeOutcome(trace: CallTrace, callId: string, decision: Decision, outcome: string): void {
  if (trace.traceId === undefined) return;
  trace.set(attr.CALL_ID, callId);
  decisionFacts(trace, decision);
  trace.set(attr.OUTCOME, outcome);
  if (FAILED.has(outcome)) {
    trace.set(attr.ERROR_TYPE, outcome);
    trace.fail(outcome);
  }
}
