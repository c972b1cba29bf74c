/**
 * WorkerPolicyEngine and BundleManager: decisions in worker threads match
 * the in-process engine, stop at their deadline (fail closed, worker
 * restarted), leave other decisions free meanwhile, and follow bundle swaps
 * atomically. Needs `npm run build` (the worker runs from dist).
 */
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBundle } from "../src/bundle/bundle.js";
import { buildCatalogInput } from "../src/core/catalog-decision.js";
import { type Envelope, parseAnyEnvelope } from "../src/core/envelope.js";
import { egressOfArguments } from "../src/core/egress-of.js";
import type { OutputPolicyInput } from "../src/core/output-decision.js";
import { WasmPolicyEngine } from "../src/engine/wasm-engine.js";
import { WorkerPolicyEngine } from "../src/engine/worker-engine.js";
import { BundleManager } from "../src/gateway/bundle-manager.js";
import { buildReference, referencePolicy, tempDir } from "./helpers/bundles.js";
import { buildSlowBundle } from "./helpers/slow-policy.js";

let dir: string;
let slowPath: string;
let referencePath: string;
const examples: Envelope[] = [];

const withN = (envelope: Envelope, n: number): Envelope => ({ ...envelope, call: { ...envelope.call, arguments: { ...envelope.call.arguments, n } } });

beforeAll(async () => {
  dir = await tempDir("mcpgov-worker-");
  slowPath = await buildSlowBundle(dir, join(dir, "slow.tar.gz"));
  referencePath = await buildReference(dir);
  for (const name of ["1-read-approved-server.json", "2-production-write.json", "3-non-production-write.json", "4-unregistered-server.json"]) {
    const parsed = parseAnyEnvelope(JSON.parse(await readFile(join(referencePolicy, "examples", name), "utf8")), egressOfArguments);
    if (!parsed.success) throw new Error(`${name}: ${parsed.error.message}`);
    examples.push(parsed.data);
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("WorkerPolicyEngine", () => {
  it("decides as the in-process engine does, under the same bundle hash", async () => {
    const bundle = await readBundle(slowPath);
    const inProcess = await WasmPolicyEngine.fromBundle(bundle);
    const workers = await WorkerPolicyEngine.start(bundle, { timeoutMs: 5_000 });
    try {
      for (const envelope of examples) {
        expect(await workers.decideValid(envelope)).toEqual(inProcess.decideValid(envelope));
      }
      const catalogInput = buildCatalogInput({ id: "docs", registered: true, trusted: false, risk_tags: [] }, { kind: "tool", name: "read" }, []);
      expect(await workers.decideCatalog(catalogInput)).toEqual(inProcess.decideCatalog(catalogInput));
      expect(await workers.decideCatalog({ not: "an input" })).toMatchObject({ decision: "HIDE", fail_closed: "invalid_input" });
      expect(workers.bundle).toEqual(inProcess.bundle);
    } finally {
      await workers.close();
    }
  });

  it("stops an evaluation at its deadline with a fail-closed DENY, and decides the next call on a fresh worker", async () => {
    const workers = await WorkerPolicyEngine.start(await readBundle(slowPath), { timeoutMs: 300, workers: 1 });
    try {
      const started = Date.now();
      const slow = await workers.decideValid(withN(examples[0]!, 2_000_000));
      const took = Date.now() - started;
      expect(slow).toMatchObject({ decision: "DENY", fail_closed: "timeout", rules: ["mcpgov.fail-closed.timeout"], bundle: workers.bundle });
      expect(slow.reason).toMatch(/exceeded its deadline.*300 ms/);
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(3_000);
      expect(workers.timeouts).toBe(1);
      // Same (single) slot, new worker: decided normally.
      expect(await workers.decideValid(examples[0]!)).toMatchObject({ decision: "ALLOW" });
      expect(await workers.decideValid(withN(examples[0]!, 1_000))).toMatchObject({ decision: "ALLOW" });
    } finally {
      await workers.close();
    }
  });

  it("does not count this thread's own stalls against the deadline: a reply that arrived in time wins", async () => {
    const workers = await WorkerPolicyEngine.start(await readBundle(slowPath), { timeoutMs: 100, workers: 1 });
    try {
      const pending = workers.decideValid(examples[0]!);
      // Block this thread past the deadline; the worker answers within it meanwhile.
      const until = Date.now() + 400;
      while (Date.now() < until) {
        // busy
      }
      expect(await pending).toMatchObject({ decision: "ALLOW" });
      expect(workers.timeouts).toBe(0);
    } finally {
      await workers.close();
    }
  });

  it("decides other calls while one evaluation runs long", async () => {
    const workers = await WorkerPolicyEngine.start(await readBundle(slowPath), { timeoutMs: 1_500 });
    try {
      const started = Date.now();
      const slow = workers.decideValid(withN(examples[0]!, 2_000_000)).then((d) => ({ d, at: Date.now() - started }));
      await new Promise((r) => setTimeout(r, 50));
      const fast: number[] = [];
      for (const envelope of examples) {
        await workers.decideValid(envelope);
        fast.push(Date.now() - started);
      }
      const done = await slow;
      expect(done.d.fail_closed).toBe("timeout");
      expect(Math.max(...fast)).toBeLessThan(done.at);
      expect(Math.max(...fast)).toBeLessThan(1_500);
    } finally {
      await workers.close();
    }
  });

  it("sheds requests no worker can start within maxQueueMs (a flood of slow evaluations), fail-closed", async () => {
    // The queue bound is shorter than the deadline: while the first slow evaluation holds the one worker
    // (up to 1 s), the others' queue timers fire and find it busy, however slowly this machine starts workers.
    const workers = await WorkerPolicyEngine.start(await readBundle(slowPath), { timeoutMs: 1_000, workers: 1, maxQueueMs: 300 });
    try {
      const flood = await Promise.all(Array.from({ length: 8 }, () => workers.decideValid(withN(examples[0]!, 2_000_000))));
      expect(flood.every((d) => d.decision === "DENY" && d.fail_closed === "timeout")).toBe(true);
      expect(flood[0]!.reason).toContain("evaluation ran longer than 1000 ms");
      const shed = flood.filter((d) => d.reason.includes("no policy worker was free within 300 ms"));
      expect(shed.length).toBeGreaterThanOrEqual(1);
      expect(await workers.decideValid(examples[0]!)).toMatchObject({ decision: "ALLOW" });
    } finally {
      await workers.close();
    }
  });

  it("stops an output evaluation at its deadline too: the output is quarantined, fail-closed", async () => {
    const workers = await WorkerPolicyEngine.start(await readBundle(slowPath), { timeoutMs: 300 });
    try {
      const input: OutputPolicyInput = { version: "v1", findings: [], scan_error: false, binary: { count: 0, mime_types: [] }, payload_kind: "tool_result", call: { server: "rug", tool: "echo" }, labels: {}, risk_tags: [] };
      expect(await workers.decideOutputValid(input)).toMatchObject({ decision: "PASS", bundle: workers.bundle });
      const slow = await workers.decideOutputValid({ ...input, labels: { slow_n: "2000000" } });
      expect(slow).toMatchObject({ decision: "QUARANTINE", fail_closed: "timeout", rules: ["mcpgov.output.fail-closed.timeout"] });
      expect(slow.reason).toContain("output policy evaluation exceeded its deadline");
      expect(await workers.decideOutputValid(input)).toMatchObject({ decision: "PASS" });
    } finally {
      await workers.close();
    }
  });

  it("stops a catalog evaluation at its deadline too: the definition is hidden, fail-closed", async () => {
    const workers = await WorkerPolicyEngine.start(await readBundle(slowPath), { timeoutMs: 300 });
    try {
      const server = { id: "docs", registered: true, trusted: false, risk_tags: [] };
      expect(await workers.decideCatalog(buildCatalogInput(server, { kind: "tool", name: "read" }, []))).toMatchObject({ decision: "PASS" });
      const slow = await workers.decideCatalog(buildCatalogInput(server, { kind: "tool", name: "slow-read" }, []));
      expect(slow).toMatchObject({ decision: "HIDE", fail_closed: "timeout", bundle: workers.bundle });
      expect(slow.reason).toContain("catalog policy evaluation exceeded its deadline");
    } finally {
      await workers.close();
    }
  });

  it("serves a request after it was retired (a call that began under it) and after close fails closed", async () => {
    const workers = await WorkerPolicyEngine.start(await readBundle(referencePath), { timeoutMs: 5_000 });
    workers.retire();
    expect(await workers.decideValid(examples[1]!)).toMatchObject({ decision: "REQUIRE_APPROVAL", bundle: workers.bundle });
    await workers.close();
    expect(await workers.decideValid(examples[1]!)).toMatchObject({ decision: "DENY", fail_closed: "evaluation_error" });
  });
});

describe("BundleManager with policy workers", () => {
  it("swaps atomically: a decision in flight finishes on its bundle, new ones use the new bundle", async () => {
    const swaps: string[] = [];
    const manager = await BundleManager.open(slowPath, { onSwap: (previous, next) => swaps.push(`${previous.hash}->${next.hash}`) }, { timeoutMs: 600 });
    try {
      const before = manager.current();
      const inFlight = before.isolated.decideValid(withN(examples[0]!, 2_000_000));
      await new Promise((r) => setTimeout(r, 50));
      const next = await manager.swapFromFile(referencePath);
      const after = manager.current();
      expect(after.bundle).toEqual(next);
      expect(after.isolated.bundle).toEqual(next);
      expect(next.hash).not.toBe(before.bundle.hash);
      expect(swaps).toEqual([`${before.bundle.hash}->${next.hash}`]);
      // The new bundle has no slow rule: the same input decides at once.
      expect(await after.isolated.decideValid(withN(examples[0]!, 2_000_000))).toMatchObject({ decision: "ALLOW", bundle: next });
      // The one in flight stays on the bundle it started with (here: stopped at its deadline).
      expect(await inFlight).toMatchObject({ fail_closed: "timeout", bundle: before.bundle });
      // The old engine still decides for a call that holds it.
      expect(await before.isolated.decideValid(examples[0]!)).toMatchObject({ decision: "ALLOW", bundle: before.bundle });
    } finally {
      manager.close();
    }
  });

  it("refuses a bundle that cannot be verified and keeps the active one", async () => {
    const manager = await BundleManager.open(referencePath, {}, { timeoutMs: 1_000 });
    try {
      const active = manager.current().bundle;
      await expect(manager.swapFromFile(join(dir, "missing.tar.gz"))).rejects.toThrow();
      expect(manager.current().bundle).toEqual(active);
      expect(await manager.current().isolated.decideValid(examples[0]!)).toMatchObject({ decision: "ALLOW", bundle: active });
    } finally {
      manager.close();
    }
  });
});
