/**
 * @module Graceful shutdown of mediated calls: which calls are running,
 * whether the gateway is draining, and the grace after which the calls
 * still running are cancelled (their upstream hears notifications/cancelled,
 * their record says "cancelled by shutdown").
 */

/** The abort reason of a call cancelled because the gateway shut down. */
export class ShutdownCancelled extends Error {
  constructor(readonly graceSec: number) {
    super(`cancelled by gateway shutdown (still running after shutdown.grace_sec ${graceSec})`);
    this.name = "ShutdownCancelled";
  }
}

/** What a drain did: calls that finished within the grace, and calls cancelled past it. */
export interface DrainResult {
  finished: number;
  cancelled: number;
}

/**
 * How long cancelled calls get to write their records after the grace: the
 * upstream was told, the pipeline only has to record and answer. Bounded so
 * a wedged store cannot hold the process forever (the audit store's close
 * then reports what it could not write).
 */
const SETTLE_AFTER_CANCEL_MS = 5_000;

export class CallDrain {
  /**
   * One signal for every call, aborted when the grace runs out: a per-call
   * AbortController would cost microseconds on every call (an AbortSignal
   * is an EventTarget), this costs the stages that wait one listener.
   */
  private readonly cancel = new AbortController();
  private running = 0;
  private idle: (() => void) | undefined;
  private drainingSince: number | undefined;
  private finishedWhileDraining = 0;

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  get inFlight(): number {
    return this.running;
  }

  /** Aborts with a ShutdownCancelled when the grace runs out; the stages that wait (approve, execute) follow it. */
  get signal(): AbortSignal {
    return this.cancel.signal;
  }

  /** Runs one call under the drain, so shutdown waits for it. */
  async track<T>(run: () => Promise<T>): Promise<T> {
    this.running += 1;
    try {
      return await run();
    } finally {
      this.running -= 1;
      if (this.draining && !this.cancel.signal.aborted) this.finishedWhileDraining += 1;
      if (this.running === 0) this.idle?.();
    }
  }

  /** Marks the gateway as draining (readiness fails, new sessions are refused) without waiting. */
  begin(now = Date.now()): void {
    this.drainingSince ??= now;
  }

  /** Waits up to graceSec for the running calls, cancels the rest, and waits briefly for them to record. */
  async drain(graceSec: number): Promise<DrainResult> {
    this.begin();
    const allDone = (): Promise<void> =>
      this.running === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            this.idle = resolve;
          });
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<"grace">((resolve) => {
      timer = setTimeout(() => resolve("grace"), graceSec * 1000);
    });
    const first = await Promise.race([allDone().then(() => "done" as const), graceOver]);
    clearTimeout(timer);
    let cancelled = 0;
    if (first === "grace" && this.running > 0) {
      cancelled = this.running;
      this.cancel.abort(new ShutdownCancelled(graceSec));
      let settleTimer: NodeJS.Timeout | undefined;
      await Promise.race([allDone(), new Promise<void>((resolve) => (settleTimer = setTimeout(resolve, SETTLE_AFTER_CANCEL_MS)))]);
      clearTimeout(settleTimer);
    }
    this.idle = undefined;
    return { finished: this.finishedWhileDraining, cancelled };
  }
}
