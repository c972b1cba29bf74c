/**
 * The engine hands WASM only the parts of the envelope the decision policy
 * reads (the paths `mcpgov build` records; see src/core/input-projection.ts).
 * This compares it with the old path, the whole envelope, on the same
 * compiled policy: the reference bundle as built, and the same bundle with
 * its recorded paths taken out (re-stamped), decide 10,000 generated
 * envelopes, every 5th with odd arguments, exactly alike.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBundleArchive, writeBundleArchive } from "../../src/bundle/archive.js";
import { bundleContentHash, parseJsonFile } from "../../src/bundle/hash.js";
import { INPUT_PATHS_KEY, withStamp } from "../../src/bundle/manifest.js";
import type { Envelope } from "../../src/core/envelope.js";
import { McpgovError } from "../../src/core/errors.js";
import { readBundle } from "../../src/bundle/bundle.js";
import { WasmPolicyEngine } from "../../src/engine/wasm-engine.js";
import { WorkerPolicyEngine } from "../../src/engine/worker-engine.js";
import { DECISION_ENTRYPOINT } from "../../src/engine/policy-engine.js";
import { buildBundle } from "../../src/toolchain/build.js";
import { generateCorpus } from "../fixtures/corpus.js";

const CORPUS_SIZE = 10_000;

const ODD: Record<string, unknown>[] = [
  { url: "http://169.254.169.254/latest/meta-data", body: "x".repeat(5000) },
  { host: "::ffff:10.0.0.1", nested: { a: [1, "2", null, true] }, "__proto__": { polluted: true } },
  { cmd: "rm -rf /", "weird key ✓": "İß", n: -9007199254740991 },
];

/** Rewrites the bundle's record of input paths (undefined: none) and stamps it again, as a build would. */
async function withInputPaths(bundle: string, output: string, record: unknown): Promise<string> {
  const files = await readBundleArchive(bundle);
  const manifest = parseJsonFile(".manifest", files.get(".manifest")!) as { metadata: { mcpgov: Record<string, unknown> } };
  if (record === undefined) delete manifest.metadata.mcpgov[INPUT_PATHS_KEY];
  else manifest.metadata.mcpgov[INPUT_PATHS_KEY] = record;
  files.set(".manifest", Buffer.from(JSON.stringify(manifest)));
  files.set(".manifest", Buffer.from(JSON.stringify(withStamp(manifest, bundleContentHash(files)))));
  await writeBundleArchive(output, files);
  return output;
}

describe("decisions on the projected envelope vs the whole envelope", () => {
  let work: string;
  let built: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "mcpgov-projection-"));
    built = (await buildBundle({ policyDir: "policy/reference", output: join(work, "b.tar.gz") })).output;
  }, 120_000);

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("the reference bundle records the decision's input paths, without the tool arguments", async () => {
    const manifest = parseJsonFile(".manifest", (await readBundleArchive(built)).get(".manifest")!) as { metadata: { mcpgov: Record<string, Record<string, unknown>> } };
    const paths = manifest.metadata.mcpgov[INPUT_PATHS_KEY]![DECISION_ENTRYPOINT] as { call: Record<string, unknown> };
    expect(Object.keys(paths.call).sort()).toEqual(["direction", "egress", "method", "target"]);
  });

  it(`agree exactly on all ${CORPUS_SIZE} envelopes`, async () => {
    const projected = await WasmPolicyEngine.fromFile(built);
    const whole = await WasmPolicyEngine.fromFile(await withInputPaths(built, join(work, "whole.tar.gz"), undefined));
    const corpus: Envelope[] = generateCorpus(CORPUS_SIZE, 11).map((e, i) =>
      i % 5 === 0 ? { ...e, call: { ...e.call, arguments: { ...e.call.arguments, ...ODD[(i / 5) % ODD.length] } } } : e,
    );
    // The bundles differ in their manifest, so in their hash: compare everything but the bundle reference.
    const decided = (engine: WasmPolicyEngine, e: Envelope) => JSON.stringify({ ...engine.decideValid(e), bundle: undefined });
    const differing = corpus.filter((e) => decided(projected, e) !== decided(whole, e));
    const kinds = new Set(corpus.map((e) => projected.decideValid(e).decision));
    expect(differing.map((e) => e.call.id)).toEqual([]);
    expect(kinds.size).toBeGreaterThan(2);
  }, 120_000);

  it("a policy worker, sent only the projected envelope as text, decides as the in-process engine", async () => {
    const inProcess = await WasmPolicyEngine.fromFile(built);
    const workers = await WorkerPolicyEngine.start(await readBundle(built), { timeoutMs: 10_000 });
    try {
      const corpus = generateCorpus(500, 13).map((e, i) => (i % 5 === 0 ? { ...e, call: { ...e.call, arguments: { ...e.call.arguments, ...ODD[(i / 5) % ODD.length] } } } : e));
      const decided = await Promise.all(corpus.map((e) => workers.decideValid(e)));
      expect(decided.filter((d, i) => JSON.stringify(d) !== JSON.stringify(inProcess.decideValid(corpus[i]!))).length).toBe(0);
    } finally {
      await workers.close();
    }
  }, 60_000);

  it("the comparison can fail: a record that leaves out labels the policy reads changes decisions", async () => {
    const narrow = await WasmPolicyEngine.fromFile(await withInputPaths(built, join(work, "narrow.tar.gz"), { [DECISION_ENTRYPOINT]: { call: true, server: true, subject: true, risk_tags: true } }));
    const projected = await WasmPolicyEngine.fromFile(built);
    const corpus = generateCorpus(200, 11);
    expect(corpus.filter((e) => narrow.decideValid(e).decision !== projected.decideValid(e).decision).length).toBeGreaterThan(0);
  });

  it("a bundle whose recorded paths are not a path tree is refused, naming the field", async () => {
    const bad = await withInputPaths(built, join(work, "bad.tar.gz"), { [DECISION_ENTRYPOINT]: { call: "everything" } });
    const refused = await WasmPolicyEngine.fromFile(bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(McpgovError);
    expect((refused as McpgovError).code).toBe("bundle_invalid");
    expect((refused as McpgovError).message).toContain(`metadata.mcpgov.${INPUT_PATHS_KEY}`);
    const refusedByPool = await WorkerPolicyEngine.start(await readBundle(bad)).then(
      async (pool) => pool.close(),
      (e: unknown) => e,
    );
    expect((refusedByPool as McpgovError).code).toBe("bundle_invalid");
  });
});
