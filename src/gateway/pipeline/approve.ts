/**
 * @module Stage 4, approve: a REQUIRE_APPROVAL call waits for a human and
 * runs only on an approval it consumes itself. Last of the checks, so an
 * approval is never spent on a call something else would stop.
 */
import { describeThrown } from "../../core/errors.js";
import type { Envelope } from "../../core/envelope.js";
import { gateApproval, type GateResult } from "../approval-gate.js";
import { followAbort } from "../constrained-call.js";
import { refuse, type CallState, type StageResult } from "./state.js";

export async function approve(state: CallState): Promise<StageResult> {
  const { ctx, request, decision, envelope, callId } = state;
  if (decision.decision !== "REQUIRE_APPROVAL") {
    // The rollout gate's invariant: a prod write that ran without an approval is the policy's choice, and it is counted.
    if (isHighRiskWrite(envelope)) ctx.approvalMetrics.unapprovedHighRisk.inc({ server: ctx.metrics.serverLabel(request.serverId) });
    return state;
  }
  if (request.method !== "tools/call") {
    // Approvals are bound to a tool call (server, tool, arguments); no other method can be held and replayed.
    return refuse(state, "blocked", `mcpgov denied this request: ${decision.reason}; approval is only available for tools/call, so ${request.method} is refused (call id ${callId})`);
  }
  let gate: GateResult;
  // The wait for an approver ends on the client's cancellation or on the gateway's shutdown past its grace.
  const waiting = new AbortController();
  const unfollowClient = followAbort(waiting, request.signal);
  const unfollowShutdown = followAbort(waiting, ctx.drain?.signal);
  try {
    gate = await gateApproval(ctx.approvals, ctx.config.approvals, {
      envelope,
      decision,
      callId,
      signal: waiting.signal,
      ...(request.sendProgress ? { sendProgress: request.sendProgress } : {}),
    });
  } catch (error) {
    // Without a stored request there is nothing an approver could approve: the call does not run.
    state.logger.error({ call_id: callId, error: describeThrown(error) }, "approval store failed");
    const text = `mcpgov did not run this call: it needs approval, and the approval request could not be stored (call id ${callId})`;
    return refuse(state, "error", text, { error: `approval store: ${describeThrown(error)}` });
  } finally {
    unfollowClient();
    unfollowShutdown();
  }
  if (!gate.run) {
    const approvalId = gate.request ? { approval_id: gate.request.id } : {};
    return refuse(state, gate.outcome, gate.text, { extra: approvalId, meta: approvalId });
  }
  return { ...state, approval: gate.request, extra: { ...state.extra, approval_id: gate.request.id } };
}

/** A write or destructive call to a server or tool tagged prod. */
function isHighRiskWrite(envelope: Envelope): boolean {
  const action = envelope.labels["mcp.action"];
  return (action === "write" || action === "destructive") && envelope.risk_tags.includes("prod");
}
