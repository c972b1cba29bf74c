/** @module Stage 2, decide: the bundle's decision for the envelope. The engine never throws; it fails closed. */
import type { CallState } from "./state.js";

export function decide(state: CallState): CallState {
  const { ctx, engine, envelope } = state;
  const started = process.hrtime.bigint();
  const decision = engine.decideValid(envelope);
  const decisionLatencyUs = Number(process.hrtime.bigint() - started) / 1000;
  ctx.metrics.decisionLatency.observe(decisionLatencyUs / 1e6);
  return { ...state, decision, decisionLatencyUs };
}
