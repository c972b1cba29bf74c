/**
 * @module The approval step of a tools/call: a `REQUIRE_APPROVAL` call
 * waits for its request to be decided (sending progress if the client asked
 * for it) and runs only on an approval it consumes itself.
 */
import { callDigestOf, type ApprovalService } from "../approvals/approval-service.js";
import type { ApprovalRequest } from "../core/approval.js";
import type { Outcome } from "../core/audit-record.js";
import type { Decision } from "../core/decision.js";
import type { Envelope } from "../core/envelope.js";
import type { ApprovalsConfig } from "../core/gateway-config.js";
import { ShutdownCancelled } from "./drain.js";

export type GateResult = { run: true; request: ApprovalRequest } | { run: false; outcome: Outcome; text: string; request?: ApprovalRequest };

export interface GateCall {
  envelope: Envelope;
  decision: Decision;
  callId: string;
  signal: AbortSignal;
  sendProgress?: (progress: { progress: number; message?: string }) => Promise<void>;
}

function waitingText(request: ApprovalRequest): string {
  return (
    `mcpgov: this call needs human approval (${request.reason}). Approval request ${request.id} is waiting in the "${request.group}" queue ` +
    `until ${request.expires_at}; the identical call will run once it is approved.`
  );
}

export async function gateApproval(approvals: ApprovalService, config: ApprovalsConfig, call: GateCall): Promise<GateResult> {
  const { request: opened } = await approvals.open({ envelope: call.envelope, decision: call.decision, digest: callDigestOf(call.envelope) });
  let request = opened;
  if (request.state === "pending" && config.wait_sec > 0) {
    const progress = (waitedMs: number) =>
      void call.sendProgress?.({ progress: Math.round(waitedMs / 100) / 10, message: `waiting for approval ${request.id} (group ${request.group})` }).catch(() => undefined);
    progress(0);
    request =
      (await approvals.waitForDecision(request.id, {
        timeoutMs: config.wait_sec * 1000,
        signal: call.signal,
        tickMs: config.progress_interval_sec * 1000,
        onTick: progress,
      })) ?? request;
  }
  if (call.signal.aborted && call.signal.reason instanceof ShutdownCancelled && request.state === "pending") {
    // The request stays in the shared queue: the identical call, retried on another gateway, runs once it is approved.
    return { run: false, outcome: "pending", text: `${waitingText(request)} This gateway shut down while the call waited; retry it on another.`, request };
  }
  if (call.signal.aborted) return { run: false, outcome: "failed", text: `cancelled by the client while waiting for approval ${request.id}`, request };
  if (request.state === "pending") return { run: false, outcome: "pending", text: waitingText(request), request };

  if (request.state === "approved") {
    const used = await approvals.consume(request, call.callId);
    if (used.ok) return { run: true, request: used.request };
    request = used.request ?? request;
  }
  return { run: false, outcome: "blocked", text: `mcpgov did not run this call: ${approvals.explain(request)}`, request };
}
