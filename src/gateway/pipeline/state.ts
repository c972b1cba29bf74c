/**
 * @module The state a mediated request carries from stage to stage, and
 * the refusal any stage may return instead. A stage is a small function:
 * state in, next state or refusal out. The record is written once, by
 * `mediate`, from whatever the last stage returned.
 */
import type { ApprovalRequest } from "../../core/approval.js";
import type { AuditExtra, Outcome } from "../../core/audit-record.js";
import type { Decision } from "../../core/decision.js";
import type { Envelope } from "../../core/envelope.js";
import type { Logger } from "../../logger.js";
import type { CallTrace } from "../../telemetry/call-trace.js";
import type { Upstream } from "../../upstream/upstream.js";
import type { ActiveEngine } from "../bundle-manager.js";
import type { GatewayContext } from "../context.js";
import type { RegistryEntry } from "../../core/gateway-config.js";
import type { ToolLookup } from "../tool-catalog.js";
import type { MediatedRequest, RequestFacts } from "./request.js";

export interface CallState {
  ctx: GatewayContext;
  request: MediatedRequest;
  logger: Logger;
  callId: string;
  /** The request's span (the shared no-op when untraced). */
  trace: CallTrace;
  /** The bundle that decides this call, from prepare to record (a swap mid-call does not change it). */
  engine: ActiveEngine;
  facts: RequestFacts;
  entry: RegistryEntry | undefined;
  upstream: Upstream | undefined;
  /** tools/call: what the pinned catalog says of the tool. */
  lookup?: ToolLookup;
  envelope: Envelope;
  envelopeDigest?: string;
  decision: Decision;
  decisionLatencyUs: number;
  approval?: ApprovalRequest;
  /** seq of the durable intent record, once written, and its masked envelope (the outcome record reuses it). */
  intentSeq?: number;
  maskedEnvelope?: Envelope;
  upstreamMs?: number;
  /** What the recipient answered, before and after the output guard. */
  result?: unknown;
  extra: AuditExtra;
}

/** Why a request does not run (or did not finish as asked): what the record and the caller are told. */
export interface Refusal {
  refused: true;
  decision: Decision;
  outcome: Outcome;
  /** Said to the client (a tool error's text, or a JSON-RPC error's message). */
  text: string;
  /** For the record; secrets masked when the record is built. */
  error?: string;
  extra?: AuditExtra;
  /** The upstream's own JSON-RPC error, passed on (after the guard) instead of a refusal text. */
  upstreamError?: unknown;
  /** Facts for the caller's _meta or error data (approval id, `mcpgov/output`). */
  meta?: Record<string, unknown>;
  /** The JSON-RPC code for a withheld non-tool result (-32003) instead of a refusal's. */
  withheldCode?: number;
  /** Carried from the state when the request was dispatched before it was refused. */
  intentSeq?: number;
  upstreamMs?: number;
}

export type StageResult = CallState | Refusal;
export type Stage = (state: CallState) => Promise<StageResult> | StageResult;

export const isRefusal = (value: StageResult): value is Refusal => (value as Refusal).refused === true;

/** A decision the gateway makes itself (pins, registry, egress), recorded under the active bundle. */
export function gatewayDecision(rule: string, reason: string, base: Pick<Decision, "bundle" | "constraints" | "matched">): Decision {
  return { decision: "DENY", rules: [rule], reason: `${rule}: ${reason}`, constraints: base.constraints, matched: base.matched, bundle: base.bundle };
}

export function refuse(
  state: Pick<CallState, "decision"> & Partial<Pick<CallState, "intentSeq" | "upstreamMs">>,
  outcome: Outcome,
  text: string,
  more: Omit<Refusal, "refused" | "decision" | "outcome" | "text"> & { decision?: Decision } = {},
): Refusal {
  const { decision, ...rest } = more;
  return {
    refused: true,
    decision: decision ?? state.decision,
    outcome,
    text,
    ...(state.intentSeq !== undefined ? { intentSeq: state.intentSeq } : {}),
    ...(state.upstreamMs !== undefined ? { upstreamMs: state.upstreamMs } : {}),
    ...rest,
  };
}
