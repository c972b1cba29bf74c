/**
 * @module Stage 7, record: the evidence. An intent record, durable before
 * any dispatch, and exactly one record of what became of the request,
 * written before the caller hears anything.
 */
import { jsonDigest } from "../../bundle/hash.js";
import { buildAuditEntry, buildIntentEntry, type AuditExtra, type Outcome } from "../../core/audit-record.js";
import type { Decision } from "../../core/decision.js";
import type { Envelope } from "../../core/envelope.js";
import { describeThrown } from "../../core/errors.js";
import type { Begun } from "./prepare.js";
import type { CallState } from "./state.js";

/**
 * Writes the intent record (decision, envelope digest, bundle, subject)
 * and resolves with its seq once it is durable; throws when the store
 * cannot take it, and then nothing may be dispatched.
 */
export async function writeIntent(state: CallState): Promise<{ seq: number; maskedEnvelope: Envelope }> {
  const intent = await state.ctx.audit.append(
    buildIntentEntry({
      envelope: state.envelope,
      envelopeDigest: digestOf(state),
      decision: state.decision,
      decisionLatencyUs: state.decisionLatencyUs,
      // The approval it runs on, so `audit why` shows intent and approval together.
      extra: withTraceId(state, state.approval ? { approval_id: state.approval.id } : {}),
    }),
  );
  return { seq: intent.seq, maskedEnvelope: (intent as { envelope: Envelope }).envelope };
}

/** The call's trace id joins the record's extra (sealed with it), so a record leads to its trace and back. */
function withTraceId(of: Pick<Begun, "trace">, extra: AuditExtra): AuditExtra {
  return of.trace.traceId === undefined ? extra : { ...extra, trace_id: of.trace.traceId };
}

/** The envelope's digest, computed once per call. */
function digestOf(state: Pick<CallState, "envelope" | "envelopeDigest">): string {
  return state.envelopeDigest ?? jsonDigest(state.envelope);
}

/** An approval consumed for this call learns what became of it; a failure here is the store's, not the upstream's. */
export async function settleApproval(state: CallState, outcome: Outcome): Promise<AuditExtra> {
  if (!state.approval) return {};
  try {
    await state.ctx.approvals.recordExecution(state.approval, state.callId, outcome);
    return {};
  } catch (error) {
    state.logger.error({ call_id: state.callId, approval_id: state.approval.id, error: describeThrown(error) }, "approval bookkeeping failed after the call ran");
    return { approval_record_error: describeThrown(error) };
  }
}

export interface Final {
  envelope: Envelope;
  envelopeDigest?: string;
  /** The intent's masked envelope: the outcome reuses it instead of masking again. */
  maskedEnvelope?: Envelope;
  decision: Decision;
  decisionLatencyUs: number;
  outcome: Outcome;
  error?: string;
  upstreamMs?: number;
  intentSeq?: number;
  extra: AuditExtra;
}

/** The one record of a request. */
export async function recordOutcome(begun: Begun, final: Final): Promise<void> {
  const { ctx, request, callId } = begun;
  const { decision, outcome } = final;
  ctx.metrics.decisions.inc({ decision: decision.decision, rule: decision.rules[0] ?? "", server: ctx.metrics.serverLabel(request.serverId) });
  if (outcome === "blocked" || outcome === "pending") ctx.metrics.blocked.inc({ reason: decision.rules[0] ?? "", server: ctx.metrics.serverLabel(request.serverId) });
  const record = await ctx.audit.append(
    buildAuditEntry({
      envelope: final.envelope,
      envelopeDigest: digestOf(final),
      decision,
      outcome,
      decisionLatencyUs: final.decisionLatencyUs,
      ...(final.error !== undefined ? { error: final.error } : {}),
      ...(final.upstreamMs !== undefined ? { upstreamLatencyMs: final.upstreamMs } : {}),
      ...(final.intentSeq !== undefined ? { intentSeq: final.intentSeq } : {}),
      ...(final.maskedEnvelope ? { maskedEnvelope: final.maskedEnvelope } : {}),
      extra: withTraceId(begun, final.extra),
    }),
  );
  // Durable now; the SIEM feed gets a copy without waiting (offer never throws or blocks).
  ctx.decisionLogs?.offer(record);
  begun.logger.info(
    // The tool's name, never a resource URI or arguments: those may carry secrets.
    { call_id: callId, method: request.method, server: ctx.metrics.serverLabel(request.serverId), ...(final.envelope.call.tool ? { tool: final.envelope.call.tool } : {}), decision: decision.decision, rules: decision.rules, outcome },
    request.method,
  );
}
