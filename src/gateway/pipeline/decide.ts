/**
 * @module Stage 2, decide: the bundle's decision for the envelope, made in
 * a policy worker under `limits.decision_timeout_ms`, so a policy that runs
 * long on this input stalls neither the event loop nor other sessions. The
 * engine never throws; it fails closed (a `timeout` DENY at the deadline).
 */
import type { CallState } from "./state.js";

export async function decide(state: CallState): Promise<CallState> {
  const { ctx, engine, envelope } = state;
  const started = process.hrtime.bigint();
  const decision = await engine.isolated.decideValid(envelope);
  const decisionLatencyUs = Number(process.hrtime.bigint() - started) / 1000;
  ctx.metrics.decisionLatency.observe(decisionLatencyUs / 1e6);
  return { ...state, decision, decisionLatencyUs };
}
