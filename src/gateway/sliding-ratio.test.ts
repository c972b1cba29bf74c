import { describe, expect, it } from "vitest";
import { SlidingRatio } from "./sliding-ratio.js";

describe("SlidingRatio", () => {
  it("is hits over all within the window, and forgets what left it", () => {
    let now = 0;
    const ratio = new SlidingRatio(15, () => now);
    expect(ratio.ratio()).toBe(0);
    for (let i = 0; i < 4; i++) ratio.record(i === 0);
    expect(ratio.ratio()).toBe(0.25);
    now += 10 * 60_000;
    ratio.record(false);
    expect(ratio.ratio()).toBe(0.2);
    // 15 minutes after the first events: only the later one is still in the window.
    now += 5 * 60_000;
    expect(ratio.ratio()).toBe(0);
    now += 10 * 60_000;
    expect(ratio.ratio()).toBe(0);
    ratio.record(true);
    expect(ratio.ratio()).toBe(1);
  });
});
