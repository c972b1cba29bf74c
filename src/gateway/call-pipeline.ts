/**
 * @module The life of one tools/call: envelope → decision → enforcement →
 * audit record, before anything is returned to the client.
 */
import { randomUUID } from "node:crypto";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import type { AuditExtra, Outcome } from "../core/audit-record.js";
import type { Decision } from "../core/decision.js";
import { buildEnvelope, type Envelope } from "../core/envelope.js";
import { describeThrown, McpgovError } from "../core/errors.js";
import { hostOfUrl, hostsInArguments, hostsOffList } from "../core/network.js";
import { jsonDigest } from "../bundle/hash.js";
import { auditEntryFor } from "../audit/audit-entry.js";
import type { Logger } from "../logger.js";
import type { Subject } from "./auth.js";
import { DeadlineExceeded, runConstrained } from "./constrained-call.js";
import { guardOutput } from "./output-guard.js";
import { gateApproval, type GateResult } from "./approval-gate.js";
import type { ApprovalRequest } from "../core/approval.js";
import type { GatewayContext } from "./context.js";
import { classifyTool, registryFacts } from "./registry.js";

export interface ToolCallRequest {
  serverId: string;
  params: { name: string; arguments?: Record<string, unknown>; _meta?: Record<string, unknown> };
  subject: Subject;
  transport: "streamable-http" | "stdio";
  requestId?: string;
  signal: AbortSignal;
  /** The request's logger (its lines carry the HTTP request id); the gateway's when absent. */
  logger?: Logger;
  /** Set when the client asked for progress: forwards upstream progress under the client's token. */
  sendProgress?: (progress: { progress: number; total?: number; message?: string }) => Promise<void>;
}

export type ToolCallResult = Record<string, unknown> & { content: unknown[]; isError?: boolean };

/** A decision the gateway makes itself (pins, allowlist), recorded under the active bundle. */
function gatewayDecision(rule: string, reason: string, base: Pick<Decision, "bundle" | "constraints" | "matched">): Decision {
  return { decision: "DENY", rules: [rule], reason: `${rule}: ${reason}`, constraints: base.constraints, matched: base.matched, bundle: base.bundle };
}

function refusal(decision: Decision, callId: string, text: string, more: Record<string, unknown> = {}): ToolCallResult {
  return {
    content: [{ type: "text", text }],
    isError: true,
    _meta: {
      "mcpgov/decision": {
        call_id: callId,
        decision: decision.decision,
        rules: decision.rules,
        reason: decision.reason,
        bundle: decision.bundle,
        ...(Object.keys(decision.constraints).length > 0 ? { constraints: decision.constraints } : {}),
        ...more,
      },
    },
  };
}

const isTransportError = (error: unknown): boolean => error instanceof McpgovError && error.code === "upstream_unavailable";

export async function handleToolCall(ctx: GatewayContext, request: ToolCallRequest): Promise<ToolCallResult> {
  const callId = randomUUID();
  const engine = ctx.bundles.current();
  const entry = ctx.registry.get(request.serverId);
  const args = request.params.arguments ?? {};
  const catalog = ctx.catalogs.get(request.serverId);
  const lookup = catalog ? await catalog.lookup(request.params.name) : undefined;
  const tool = lookup?.ok ? lookup.tool : undefined;
  const toolClass = entry ? classifyTool(entry, request.params.name, tool) : { action: "destructive" as const, risk_tags: [] };

  const envelope: Envelope = buildEnvelope({
    callId,
    server: request.serverId,
    tool: request.params.name,
    arguments: args,
    argumentsDigest: jsonDigest(args),
    ...(entry ? { registry: registryFacts(entry) } : {}),
    action: toolClass.action,
    toolRiskTags: toolClass.risk_tags,
    subject: request.subject,
    time: ctx.clock().toISOString(),
    ...(request.requestId ? { requestId: request.requestId } : {}),
    transport: request.transport,
  });

  const started = process.hrtime.bigint();
  let decision = engine.decideValid(envelope);
  const decisionLatencyUs = Number(process.hrtime.bigint() - started) / 1000;
  ctx.metrics.decisionLatency.observe(decisionLatencyUs / 1e6);
  if (!entry) ctx.metrics.unknownServer.inc();

  const finish = async (
    d: Decision,
    outcome: Outcome,
    result: ToolCallResult,
    extra: { error?: string; upstreamMs?: number; audit?: AuditExtra } = {},
  ) => {
    ctx.metrics.decisions.inc({ decision: d.decision, rule: d.rules[0] ?? "", server: request.serverId });
    if (outcome === "blocked" || outcome === "pending") ctx.metrics.blocked.inc({ reason: d.rules[0] ?? "", server: request.serverId });
    // The record is durable before the client hears anything: evidence first.
    await ctx.audit.append(
      auditEntryFor({
        envelope,
        decision: d,
        outcome,
        decisionLatencyUs,
        ...(extra.error ? { error: extra.error } : {}),
        ...(extra.upstreamMs !== undefined ? { upstreamLatencyMs: extra.upstreamMs } : {}),
        ...(extra.audit ? { extra: extra.audit } : {}),
      }),
    );
    (request.logger ?? ctx.logger).info({ call_id: callId, server: request.serverId, tool: request.params.name, decision: d.decision, rules: d.rules, outcome }, "tools/call");
    return result;
  };

  // Pins are checked after the policy so the record still shows what policy
  // would have said; a changed or unpinned tool never runs either way, and
  // neither does one the server does not list (nothing pinned could match it).
  if (entry && lookup && !lookup.ok && lookup.kind !== "unavailable") {
    decision = gatewayDecision(lookup.kind === "unknown" ? "mcpgov.unknown-tool" : "mcpgov.pin-violation", lookup.reason, decision);
    return finish(decision, "blocked", refusal(decision, callId, `mcpgov denied this call: ${decision.reason}`));
  }

  if (decision.decision === "DENY") {
    return finish(decision, "blocked", refusal(decision, callId, `mcpgov denied this call: ${decision.reason}`));
  }
  const upstream = ctx.upstreams.get(request.serverId);
  if (!entry || !upstream) {
    decision = gatewayDecision("mcpgov.unknown-server", `server "${request.serverId}" is not in the registry`, decision);
    return finish(decision, "blocked", refusal(decision, callId, `mcpgov denied this call: ${decision.reason}`));
  }

  if (lookup && !lookup.ok && lookup.kind === "unavailable") {
    // The policy would let it run, but without the server's tools no pin can be checked: fail closed.
    ctx.metrics.upstreamErrors.inc({ server: request.serverId, kind: "unavailable" });
    const text = `mcpgov could not reach server "${request.serverId}": ${lookup.reason} (call id ${callId})`;
    return finish(decision, "failed", refusal(decision, callId, text), { error: lookup.reason });
  }

  const allowlist = decision.constraints.network_allowlist;
  if (decision.decision !== "ALLOW" && allowlist) {
    const hosts = hostsInArguments(args);
    if (entry.transport.type === "streamable_http") {
      const upstreamHost = hostOfUrl(entry.transport.url);
      if (upstreamHost) hosts.push(upstreamHost);
    }
    const off = hostsOffList(hosts, allowlist);
    if (off.length > 0) {
      decision = gatewayDecision("mcpgov.network-allowlist", `host(s) ${off.join(", ")} not on the network allowlist (${allowlist.join(", ") || "empty"})`, decision);
      return finish(decision, "blocked", refusal(decision, callId, `mcpgov denied this call: ${decision.reason}`));
    }
  }

  // Checked last, so an approval is never spent on a call something else would stop.
  let approval: ApprovalRequest | undefined;
  if (decision.decision === "REQUIRE_APPROVAL") {
    let gate: GateResult;
    try {
      gate = await gateApproval(ctx.approvals, ctx.config.approvals, {
        envelope,
        decision,
        callId,
        signal: request.signal,
        ...(request.sendProgress ? { sendProgress: request.sendProgress } : {}),
      });
    } catch (error) {
      // Without a stored request there is nothing an approver could approve: the call does not run.
      ctx.logger.error({ call_id: callId, error: describeThrown(error) }, "approval store failed");
      const text = `mcpgov did not run this call: it needs approval, and the approval request could not be stored (call id ${callId})`;
      return finish(decision, "error", refusal(decision, callId, text), { error: `approval store: ${describeThrown(error)}` });
    }
    if (!gate.run) {
      const approvalId = gate.request ? { approval_id: gate.request.id } : {};
      return finish(decision, gate.outcome, refusal(decision, callId, gate.text, approvalId), { audit: approvalId });
    }
    approval = gate.request;
  } else if (isHighRiskWrite(envelope)) {
    // The rollout gate's invariant: a prod write that ran without an approval is the policy's choice, and it is counted.
    ctx.approvalMetrics.unapprovedHighRisk.inc({ server: request.serverId });
  }
  const approvalExtra: AuditExtra = approval ? { approval_id: approval.id } : {};
  const afterRun = async (outcome: Outcome) => {
    if (approval) await ctx.approvals.recordExecution(approval, callId, outcome);
  };

  const maxRuntime = decision.constraints.max_runtime_sec ?? ctx.config.limits.upstream_timeout_sec;
  const upstreamStarted = Date.now();
  try {
    const { result } = await runConstrained(
      (signal) =>
        upstream.request("tools/call", { name: request.params.name, arguments: args }, {
          signal,
          // Our own deadline governs; the SDK's default 60 s must not cut in first.
          timeout: maxRuntime * 1000 + 5_000,
          ...(request.sendProgress
            ? { onprogress: (p) => void request.sendProgress!({ progress: p.progress, ...(p.total !== undefined ? { total: p.total } : {}), ...(p.message ? { message: p.message } : {}) }) }
            : {}),
        }),
      {
        maxRuntimeSec: maxRuntime,
        maxRetries: decision.decision === "ALLOW" ? 0 : decision.constraints.max_retries,
        signal: request.signal,
        isTransportError,
        onRetry: () => ctx.metrics.upstreamErrors.inc({ server: request.serverId, kind: "retried" }),
      },
    );
    const upstreamMs = Date.now() - upstreamStarted;
    ctx.metrics.upstreamLatency.observe({ server: request.serverId }, upstreamMs / 1000);
    // Output safety: the policy decides whether the model may see what the tool returned.
    const guarded = await guardOutput(ctx, engine, result as ToolCallResult, envelope, callId);
    ctx.metrics.outputVerdicts.inc({ verdict: guarded.verdict.decision, server: request.serverId });
    await afterRun("executed");
    return finish(decision, "executed", guarded.result as ToolCallResult, {
      upstreamMs,
      audit: { ...approvalExtra, output_verdict: guarded.verdict.decision, findings: guarded.findings, output_rules: guarded.verdict.rules, ...guarded.audit },
    });
  } catch (error) {
    const upstreamMs = Date.now() - upstreamStarted;
    if (error instanceof DeadlineExceeded) {
      ctx.metrics.upstreamErrors.inc({ server: request.serverId, kind: "timeout" });
      const text = `mcpgov cancelled this call: it exceeded max_runtime_sec ${error.seconds} (call id ${callId}); the server was sent notifications/cancelled`;
      await afterRun("timed_out");
      return finish(decision, "timed_out", refusal(decision, callId, text), { error: error.message, upstreamMs, audit: approvalExtra });
    }
    if (request.signal.aborted) {
      await afterRun("failed");
      return finish(decision, "failed", refusal(decision, callId, "cancelled by the client"), { error: "cancelled by the client", upstreamMs, audit: approvalExtra });
    }
    if (error instanceof McpError) {
      // The server answered with a JSON-RPC error: the client gets it as sent.
      await afterRun("failed");
      await finish(decision, "failed", refusal(decision, callId, error.message), { error: `upstream error ${error.code}`, upstreamMs, audit: approvalExtra });
      throw error;
    }
    ctx.metrics.upstreamErrors.inc({ server: request.serverId, kind: "unavailable" });
    const text = `mcpgov could not reach server "${request.serverId}": ${describeThrown(error)} (call id ${callId})`;
    await afterRun("failed");
    return finish(decision, "failed", refusal(decision, callId, text), { error: describeThrown(error), upstreamMs, audit: approvalExtra });
  }
}

/** A write or destructive call to a server or tool tagged prod. */
function isHighRiskWrite(envelope: Envelope): boolean {
  const action = envelope.labels["mcp.action"];
  return (action === "write" || action === "destructive") && envelope.risk_tags.includes("prod");
}
