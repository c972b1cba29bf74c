import { describe, expect, it } from "vitest";
import { CallDrain, ShutdownCancelled } from "./drain.js";

describe("CallDrain", () => {
  it("counts calls that finish within the grace and cancels the rest with a ShutdownCancelled reason", async () => {
    const drain = new CallDrain();
    let finishQuick!: () => void;
    const quick = drain.track(() => new Promise<string>((resolve) => (finishQuick = () => resolve("quick done"))));
    const stuck = drain.track(
      () => new Promise<string>((_, reject) => drain.signal.addEventListener("abort", () => reject(drain.signal.reason as Error), { once: true })),
    );
    expect(drain.inFlight).toBe(2);
    expect(drain.draining).toBe(false);
    const drained = drain.drain(0.05);
    expect(drain.draining).toBe(true);
    finishQuick();
    expect(await quick).toBe("quick done");
    await expect(stuck).rejects.toBeInstanceOf(ShutdownCancelled);
    expect(await drained).toEqual({ finished: 1, cancelled: 1 });
    expect(drain.inFlight).toBe(0);
  });

  it("returns at once when nothing runs", async () => {
    expect(await new CallDrain().drain(30)).toEqual({ finished: 0, cancelled: 0 });
  });
});
