/**
 * @module Stage 3, gateway checks: what the gateway enforces whatever the
 * policy said — the registry, the pinned catalog, the egress allowlist.
 * Pins are checked after the policy so the record still shows what policy
 * would have said; a changed or unpinned tool never runs either way.
 */
import { checkEgress, urlTarget } from "../../core/egress.js";
import { gatewayDecision, refuse, type CallState, type StageResult } from "./state.js";

export function gatewayChecks(state: CallState): StageResult {
  const { ctx, request, entry, lookup, envelope } = state;
  let decision = state.decision;
  const callId = state.callId;
  const denied = (rule: string, reason: string): StageResult => {
    decision = gatewayDecision(rule, reason, decision);
    return refuse(state, "blocked", `mcpgov denied this request: ${decision.reason} (call id ${callId})`, { decision });
  };

  if (!entry) ctx.metrics.unknownServer.inc();
  if (entry && lookup && !lookup.ok && lookup.kind !== "unavailable") {
    const rule = lookup.kind === "unknown" ? "mcpgov.unknown-tool" : lookup.kind === "hidden" ? "mcpgov.catalog-hidden" : "mcpgov.pin-violation";
    return denied(rule, lookup.reason);
  }
  if (decision.decision === "DENY") {
    return refuse(state, "blocked", `mcpgov denied this request: ${decision.reason} (call id ${callId})`);
  }
  if (!entry || !state.upstream) return denied("mcpgov.unknown-server", `server "${request.serverId}" is not in the registry`);
  if (lookup && !lookup.ok && lookup.kind === "unavailable") {
    // The policy would let it run, but without the server's tools no pin can be checked: fail closed.
    ctx.metrics.upstreamErrors.inc({ server: ctx.metrics.serverLabel(request.serverId), kind: "unavailable" });
    const text = `mcpgov could not reach server "${request.serverId}": ${lookup.reason} (call id ${callId})`;
    return refuse(state, "failed", text, { error: lookup.reason });
  }

  const allowlist = decision.constraints.network_allowlist;
  if (allowlist) {
    const targets = [...envelope.call.egress];
    if (entry.transport.type === "streamable_http") {
      const upstream = urlTarget(entry.transport.url, "$upstream");
      if (upstream) targets.push(upstream);
    }
    const verdict = checkEgress(targets, allowlist);
    if (!verdict.ok) return denied("mcpgov.network-allowlist", verdict.reason);
  }
  return state;
}
