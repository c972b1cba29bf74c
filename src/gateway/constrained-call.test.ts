import { describe, expect, it } from "vitest";
import { DeadlineExceeded, runConstrained } from "./constrained-call.js";

const transport = new Error("connection closed");
const toolError = new Error("tool failed");
const isTransportError = (e: unknown) => e === transport;

describe("runConstrained", () => {
  it("cancels at the deadline and aborts the call's signal", async () => {
    let seen: AbortSignal | undefined;
    const started = Date.now();
    await expect(
      runConstrained(
        (signal) => {
          seen = signal;
          return new Promise(() => undefined);
        },
        { maxRuntimeSec: 0.05, isTransportError },
      ),
    ).rejects.toBeInstanceOf(DeadlineExceeded);
    expect(seen?.aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("retries transport failures up to max_retries", async () => {
    let calls = 0;
    const outcome = await runConstrained(
      async () => {
        calls++;
        if (calls < 3) throw transport;
        return "ok";
      },
      { maxRetries: 2, isTransportError },
    );
    expect(outcome).toEqual({ result: "ok", attempts: 3 });
  });

  it("gives up after max_retries transport failures", async () => {
    let calls = 0;
    await expect(
      runConstrained(
        async () => {
          calls++;
          throw transport;
        },
        { maxRetries: 1, isTransportError },
      ),
    ).rejects.toBe(transport);
    expect(calls).toBe(2);
  });

  it("never retries a tool's own error", async () => {
    let calls = 0;
    await expect(
      runConstrained(
        async () => {
          calls++;
          throw toolError;
        },
        { maxRetries: 5, isTransportError },
      ),
    ).rejects.toBe(toolError);
    expect(calls).toBe(1);
  });

  it("passes the client's cancellation through", async () => {
    const client = new AbortController();
    const pending = runConstrained(
      (signal) =>
        new Promise((_, reject) => {
          signal.addEventListener("abort", () => reject(signal.reason));
        }),
      { signal: client.signal, isTransportError },
    );
    client.abort(new Error("client cancelled"));
    await expect(pending).rejects.toThrow("client cancelled");
  });
});
