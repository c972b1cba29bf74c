/**
 * @module The life of one mediated request, in order: prepare → decide →
 * gateway checks → approve → execute → guard → record. Each stage returns
 * the next state or a refusal; the record is written exactly once, here,
 * before the caller hears anything. Both the lean HTTP path and the SDK
 * server path call `mediate`.
 */
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { approve } from "./approve.js";
import { gatewayChecks } from "./checks.js";
import { decide } from "./decide.js";
import { checkHiddenDefinition, filterListing } from "./definitions.js";
import { execute } from "./execute.js";
import { guard, guardServerRequest, guardUpstreamError } from "./guard.js";
import { begin, type Begun, prepare } from "./prepare.js";
import { type Final, recordOutcome, settleApproval } from "./record.js";
import type { MediatedRequest } from "./request.js";
import { describeThrown } from "../../core/errors.js";
import { type CallState, isRefusal, type Refusal, refuse, type Stage, type StageResult } from "./state.js";
import type { GatewayContext } from "../context.js";
import { describeOutcome, stageSpan } from "./trace-stages.js";

/** What became of a request: the recipient's (guarded) answer, or a refusal for the caller to phrase. */
export type Mediated = { ok: true; callId: string; result: unknown } | { ok: false; callId: string; refusal: Refusal; upstreamError?: McpError };

/** A server's request to the client is guarded on its way out (its params), not on the way back. */
const guardOutbound: Stage = (state) => (state.envelope.call.direction === "server_to_client" ? guardServerRequest(state) : state);

const AFTER_PREPARE: readonly Stage[] = [decide, gatewayChecks, checkHiddenDefinition, approve, guardOutbound, execute, filterListing, guard];
const TRACED_STAGES = { decide, approve, guard, guardOutbound };

/**
 * Writes the one record; when the store refuses it, the caller still gets
 * an answer — a refusal saying the evidence is missing, never a result
 * nobody recorded — and the failure is logged and counted.
 */
async function recordOrRefuse(begun: Begun, final: Final, ran: boolean): Promise<Refusal | undefined> {
  try {
    await recordOutcome(begun, final);
    describeOutcome(begun.trace, begun.callId, final.decision, final.outcome);
    return undefined;
  } catch (error) {
    begun.logger.error({ call_id: begun.callId, error: describeThrown(error) }, "audit store refused the outcome record");
    begun.ctx.metrics.upstreamErrors.inc({ server: begun.ctx.metrics.serverLabel(begun.request.serverId), kind: "audit_unavailable" });
    describeOutcome(begun.trace, begun.callId, final.decision, "error");
    const text = ran
      ? `mcpgov withheld this request's result: it ran (its intent is recorded), but the outcome record could not be written (${describeThrown(error)}) (call id ${begun.callId})`
      : `mcpgov did not run this request, and its record could not be written (${describeThrown(error)}) (call id ${begun.callId})`;
    return refuse({ decision: final.decision }, "error", text, { error: describeThrown(error) });
  }
}

/**
 * Mediates one request. Under a gateway's drain (graceful shutdown) the
 * request is tracked, so shutdown waits for it; when the grace runs out,
 * the drain's signal cancels it in the stage that waits (approve, execute).
 */
export async function mediate(ctx: GatewayContext, request: MediatedRequest): Promise<Mediated> {
  return ctx.drain ? ctx.drain.track(() => mediateOnce(ctx, request)) : mediateOnce(ctx, request);
}

async function mediateOnce(ctx: GatewayContext, request: MediatedRequest): Promise<Mediated> {
  const begun = begin(ctx, request);
  try {
    return await mediateBegun(begun);
  } finally {
    // After the record: the request's span covers the whole mediation, evidence included.
    begun.trace.end();
  }
}

async function mediateBegun(begun: Begun): Promise<Mediated> {
  const prepared = await prepare(begun);
  if (isRefusal(prepared)) {
    const unrecorded = await recordOrRefuse(begun, {
      envelope: prepared.envelope,
      decision: prepared.decision,
      decisionLatencyUs: 0,
      outcome: prepared.outcome,
      ...(prepared.error !== undefined ? { error: prepared.error } : {}),
      extra: prepared.extra ?? {},
    }, false);
    return { ok: false, callId: begun.callId, refusal: unrecorded ?? prepared };
  }

  let state: CallState = prepared;
  let last: StageResult = prepared;
  for (const stage of AFTER_PREPARE) {
    const traced = stageSpan(state, stage, TRACED_STAGES);
    try {
      last = await stage(state);
      traced.describe?.(traced.span, last);
    } catch (error) {
      traced.span.fail(`${stage.name} stage failed`);
      // A stage that throws is the gateway's own fault: nothing more runs,
      // nothing the upstream may have answered is passed on, and the record
      // says which stage failed.
      state.logger.error({ call_id: state.callId, stage: stage.name, error: describeThrown(error) }, "pipeline stage failed");
      last = refuse(state, "error", `mcpgov failed in its ${stage.name} stage and did not pass this request's result on (call id ${state.callId})`, {
        error: `${stage.name}: ${describeThrown(error)}`,
      });
    } finally {
      traced.span.end();
    }
    if (isRefusal(last)) break;
    state = last;
  }

  const dispatched = state.intentSeq !== undefined || (isRefusal(last) ? last.upstreamMs !== undefined : state.upstreamMs !== undefined);
  if (isRefusal(last)) {
    let upstreamError: McpError | undefined;
    if (last.upstreamError instanceof McpError) upstreamError = await guardUpstreamError(state, last.upstreamError);
    const settled = dispatched ? await settleApproval(state, last.outcome) : {};
    const unrecorded = await recordOrRefuse(begun, {
      envelope: state.envelope,
      ...(state.envelopeDigest ? { envelopeDigest: state.envelopeDigest } : {}),
      ...(state.maskedEnvelope && last.intentSeq !== undefined ? { maskedEnvelope: state.maskedEnvelope } : {}),
      decision: last.decision,
      decisionLatencyUs: state.decisionLatencyUs,
      outcome: last.outcome,
      ...(last.error !== undefined ? { error: last.error } : {}),
      ...(last.upstreamMs !== undefined ? { upstreamMs: last.upstreamMs } : {}),
      ...(last.intentSeq !== undefined ? { intentSeq: last.intentSeq } : {}),
      extra: { ...state.extra, ...(last.extra ?? {}), ...settled },
    }, dispatched);
    if (unrecorded) return { ok: false, callId: begun.callId, refusal: unrecorded };
    return { ok: false, callId: begun.callId, refusal: last, ...(upstreamError ? { upstreamError } : {}) };
  }

  const settled = await settleApproval(state, "executed");
  const unrecorded = await recordOrRefuse(begun, {
    envelope: state.envelope,
    ...(state.envelopeDigest ? { envelopeDigest: state.envelopeDigest } : {}),
    ...(state.maskedEnvelope ? { maskedEnvelope: state.maskedEnvelope } : {}),
    decision: state.decision,
    decisionLatencyUs: state.decisionLatencyUs,
    outcome: "executed",
    ...(state.upstreamMs !== undefined ? { upstreamMs: state.upstreamMs } : {}),
    ...(state.intentSeq !== undefined ? { intentSeq: state.intentSeq } : {}),
    extra: { ...state.extra, ...settled },
  }, true);
  if (unrecorded) return { ok: false, callId: begun.callId, refusal: unrecorded };
  return { ok: true, callId: begun.callId, result: state.result };
}
