import { describe, expect, it } from "vitest";
import { AUTO_WORKERS_BYTES, autoDiffWorkers } from "./worker-choice.js";

describe("autoDiffWorkers", () => {
  it("decides a small corpus in this thread", () => {
    expect(autoDiffWorkers(17 * 1024 * 1024, 2)).toBe(0);
    expect(autoDiffWorkers(AUTO_WORKERS_BYTES - 1, 8)).toBe(0);
  });

  it("uses one worker per core, at most 4, for a large corpus", () => {
    expect(autoDiffWorkers(AUTO_WORKERS_BYTES, 2)).toBe(2);
    expect(autoDiffWorkers(85 * 1024 * 1024, 16)).toBe(4);
  });

  it("never uses workers on one core", () => {
    expect(autoDiffWorkers(1024 * 1024 * 1024, 1)).toBe(0);
  });
});
