/**
 * @module Stage 5, execute: evidence first — a durable intent record —
 * then the dispatch under the decision's constraints. Only the dispatch's
 * own errors are caught here, and they are upstream failures; nothing the
 * gateway does after the request ran is reported as one.
 */
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { describeThrown, McpgovError } from "../../core/errors.js";
import { DeadlineExceeded, runConstrained } from "../constrained-call.js";
import { ShutdownCancelled } from "../drain.js";
import { writeIntent } from "./record.js";
import { refuse, type CallState, type StageResult } from "./state.js";
import { upstreamSpan } from "./trace-stages.js";

/** Why a dispatch attempt ended without a result, for its span (no upstream text: it is a stranger's). */
function attemptFailure(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) return "cancelled (deadline or client)";
  if (error instanceof McpError) return `upstream error ${error.code}`;
  return "upstream unavailable";
}

const isTransportError = (error: unknown): boolean => error instanceof McpgovError && error.code === "upstream_unavailable";

export async function execute(state: CallState): Promise<StageResult> {
  const { ctx, request, decision, callId } = state;
  let intent: Awaited<ReturnType<typeof writeIntent>>;
  try {
    intent = await writeIntent(state);
  } catch (error) {
    // No evidence, no call: the upstream never hears of it.
    state.logger.error({ call_id: callId, error: describeThrown(error) }, "audit store refused the intent record; call not dispatched");
    ctx.metrics.upstreamErrors.inc({ server: ctx.metrics.serverLabel(request.serverId), kind: "audit_unavailable" });
    const text = `mcpgov did not run this request: its audit record could not be written (${describeThrown(error)}), and nothing runs without evidence (call id ${callId})`;
    return refuse(state, "error", text, { error: `audit store: ${describeThrown(error)}` });
  }
  const withIntent: CallState = { ...state, intentSeq: intent.seq, maskedEnvelope: intent.maskedEnvelope };

  const maxRuntime = decision.constraints.max_runtime_sec ?? ctx.config.limits.upstream_timeout_sec;
  const started = Date.now();
  let attempts = 0;
  try {
    const { result } = await runConstrained(
      async (signal) => {
        const span = upstreamSpan(withIntent, ++attempts);
        const traceparent = span.traceparent();
        try {
          return await request.dispatch(state.facts.forward, {
            signal,
            // Our own deadline governs; the SDK's default 60 s must not cut in first.
            timeoutMs: maxRuntime * 1000 + 5_000,
            ...(request.sendProgress ? { onProgress: (p) => void request.sendProgress!(p).catch(() => undefined) } : {}),
            ...(traceparent !== undefined ? { traceparent } : {}),
          });
        } catch (error) {
          span.fail(attemptFailure(error, signal));
          throw error;
        } finally {
          span.end();
        }
      },
      {
        maxRuntimeSec: maxRuntime,
        // Constraints hold on any decision that carries them, ALLOW included.
        maxRetries: decision.constraints.max_retries ?? 0,
        signal: request.signal,
        shutdown: ctx.drain?.signal,
        isTransportError,
        onRetry: () => ctx.metrics.upstreamErrors.inc({ server: ctx.metrics.serverLabel(request.serverId), kind: "retried" }),
      },
    );
    const upstreamMs = Date.now() - started;
    ctx.metrics.upstreamLatency.observe({ server: ctx.metrics.serverLabel(request.serverId) }, upstreamMs / 1000);
    return { ...withIntent, result, upstreamMs };
  } catch (error) {
    const upstreamMs = Date.now() - started;
    const ran: Partial<CallState> = { upstreamMs };
    Object.assign(withIntent, ran);
    if (error instanceof DeadlineExceeded) {
      ctx.metrics.upstreamErrors.inc({ server: ctx.metrics.serverLabel(request.serverId), kind: "timeout" });
      const text = `mcpgov cancelled this call: it exceeded max_runtime_sec ${error.seconds} (call id ${callId}); the server was sent notifications/cancelled`;
      return refuse(withIntent, "timed_out", text, { error: error.message });
    }
    if (error instanceof ShutdownCancelled) {
      const text = `mcpgov cancelled this call: the gateway shut down and the call was still running after shutdown.grace_sec ${error.graceSec} (call id ${callId}); the server was sent notifications/cancelled`;
      return refuse(withIntent, "failed", text, { error: error.message });
    }
    if (request.signal.aborted) return refuse(withIntent, "failed", "cancelled by the client", { error: "cancelled by the client" });
    if (error instanceof McpError) {
      // The server answered with a JSON-RPC error: the client gets it (after the guard) as sent.
      return refuse(withIntent, "failed", error.message, { error: `upstream error ${error.code}`, upstreamError: error });
    }
    ctx.metrics.upstreamErrors.inc({ server: ctx.metrics.serverLabel(request.serverId), kind: "unavailable" });
    const text = `mcpgov could not reach server "${request.serverId}": ${describeThrown(error)} (call id ${callId})`;
    return refuse(withIntent, "failed", text, { error: describeThrown(error) });
  }
}
