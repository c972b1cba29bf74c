/**
 * @module Runs an upstream call under a decision's runtime and retry limits.
 *
 * The deadline covers all attempts together: a retry does not buy more
 * time. Only transport failures are retried — a tool that answered with an
 * error has run, and running it again could repeat its side effects.
 */

export class DeadlineExceeded extends Error {
  constructor(readonly seconds: number) {
    super(`the call exceeded max_runtime_sec ${seconds} and was cancelled`);
    this.name = "DeadlineExceeded";
  }
}

export interface ConstrainedOptions {
  maxRuntimeSec?: number | undefined;
  maxRetries?: number | undefined;
  /** The client's own cancellation. */
  signal?: AbortSignal | undefined;
  /** The gateway's shutdown, past its grace; its reason is thrown as the client's is. */
  shutdown?: AbortSignal | undefined;
  /** True for failures where the call certainly or possibly never ran (connection lost, process died). */
  isTransportError(error: unknown): boolean;
  onRetry?(attempt: number, error: unknown): void;
}

/**
 * Aborts `target` when `source` aborts, with its reason; returns the undo.
 * Used instead of AbortSignal.any, whose weak-reference bookkeeping cost
 * more per call than the rest of the signal handling together; the undo
 * must run when the call ends, so a long-lived source keeps nothing alive.
 */
export function followAbort(target: AbortController, source: AbortSignal | undefined): () => void {
  if (!source) return () => undefined;
  if (source.aborted) {
    target.abort(source.reason);
    return () => undefined;
  }
  const onAbort = () => target.abort(source.reason);
  source.addEventListener("abort", onAbort, { once: true });
  return () => source.removeEventListener("abort", onAbort);
}

export interface ConstrainedOutcome<T> {
  result: T;
  attempts: number;
}

export async function runConstrained<T>(
  attempt: (signal: AbortSignal) => Promise<T>,
  options: ConstrainedOptions,
): Promise<ConstrainedOutcome<T>> {
  const controller = new AbortController();
  const unfollow = followAbort(controller, options.signal);
  const unfollowShutdown = followAbort(controller, options.shutdown);
  const combined = controller.signal;
  let timer: NodeJS.Timeout | undefined;
  let deadline: Promise<never> | undefined;
  if (options.maxRuntimeSec !== undefined) {
    const seconds = options.maxRuntimeSec;
    deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new DeadlineExceeded(seconds);
        // Aborting the signal makes the SDK send notifications/cancelled upstream.
        controller.abort(error);
        reject(error);
      }, seconds * 1000);
    });
    deadline.catch(() => undefined);
  }
  const retries = Math.max(0, options.maxRetries ?? 0);
  try {
    for (let n = 0; ; n++) {
      try {
        const call = attempt(combined);
        const result = await (deadline ? Promise.race([call, deadline]) : call);
        return { result, attempts: n + 1 };
      } catch (error) {
        if (error instanceof DeadlineExceeded || combined.aborted) throw combined.reason ?? error;
        if (n >= retries || !options.isTransportError(error)) throw error;
        options.onRetry?.(n + 1, error);
      }
    }
  } finally {
    clearTimeout(timer);
    unfollow();
    unfollowShutdown();
  }
}
