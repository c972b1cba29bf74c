/**
 * @module A client asking for a server that is not in the registry: the
 * policy decides (it denies), and the attempt is counted and recorded as a
 * `server.unknown` event (no tool was called, so no call record).
 */
import { randomUUID } from "node:crypto";
import { buildEnvelope } from "../core/envelope.js";
import { jsonDigest } from "../bundle/hash.js";
import { appendEvent } from "../audit/audit-event.js";
import type { Subject } from "./auth.js";
import type { GatewayContext } from "./context.js";
import type { Transport } from "./pipeline/request.js";

/** How the client asked: /mcp/{server} asks at initialize over HTTP; the aggregated endpoint asks by a request's namespaced name. */
export interface UnknownServerAttempt {
  transport: Transport;
  method: string;
}

export async function denyUnknownServer(
  ctx: GatewayContext,
  serverId: string,
  subject: Subject,
  requestId: string | undefined,
  attempt: UnknownServerAttempt = { transport: "streamable-http", method: "initialize" },
): Promise<string> {
  ctx.metrics.unknownServer.inc();
  const callId = randomUUID();
  // The id came from a URL; keep it bounded and printable in the record.
  const safeId = serverId.replace(/[^\w.-]/g, "_").slice(0, 128) || "_";
  // The policy still sees the attempt (it may count or alert on it); the envelope is its input, not evidence.
  const envelope = buildEnvelope({
    callId,
    method: "tools/list",
    server: safeId,
    tool: "(session)",
    arguments: {},
    argumentsDigest: jsonDigest({}),
    action: "destructive",
    subject,
    time: ctx.clock().toISOString(),
    ...(requestId ? { requestId } : {}),
    transport: attempt.transport,
  });
  const started = process.hrtime.bigint();
  // In a policy worker under the deadline: the server id comes from the URL, and a policy may loop on it.
  let decision = await ctx.bundles.current().isolated.decideValid(envelope);
  const decisionLatencyUs = Number(process.hrtime.bigint() - started) / 1000;
  if (decision.decision !== "DENY") {
    // Registry membership is not the policy's to waive: no upstream exists to forward to.
    decision = { ...decision, decision: "DENY", rules: ["mcpgov.unknown-server"], reason: `mcpgov.unknown-server: server "${safeId}" is not in the registry` };
  }
  ctx.metrics.decisions.inc({ decision: decision.decision, rule: decision.rules[0] ?? "", server: ctx.metrics.serverLabel(safeId) });
  await appendEvent(
    { audit: ctx.audit, logger: ctx.logger, failures: ctx.metrics.auditEventWriteFailures },
    {
      event: "server.unknown",
      time: envelope.context.time,
      subject: { id: subject.id, ...(subject.tenant !== undefined ? { tenant: subject.tenant } : {}) },
      server: safeId,
      bundle: decision.bundle,
      callId,
      details: {
        method: attempt.method,
        rules: decision.rules.join(","),
        reason: decision.reason,
        decision_latency_us: Math.round(decisionLatencyUs),
        ...(requestId ? { request_id: requestId.slice(0, 200) } : {}),
      },
    },
  );
  return `mcpgov denied access to server "${safeId}": ${decision.reason} (call id ${callId})`;
}
