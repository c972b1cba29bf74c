/**
 * The parallel diff (worker threads) against the in-process one: the same
 * report, byte for byte, on the 10,000-envelope corpus and on a corpus of
 * bad lines; the line reader against readline; a worker that cannot load
 * its bundles fails the diff. Needs `npm run build` (the workers run from dist).
 */
import { writeFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bundle, readVerifiedBundle } from "../src/bundle/bundle.js";
import { streamEnvelopes, envelopeFiles, parseEnvelopeLine } from "../src/diff/envelope-stream.js";
import { DiffAccumulator } from "../src/diff/diff.js";
import { streamLineBatches } from "../src/diff/line-batches.js";
import { lineEnvelope } from "../src/diff/line-envelope.js";
import { runDiffInWorkers } from "../src/diff/parallel-diff.js";
import { runDiff } from "../src/diff/run-diff.js";
import { WasmPolicyEngine } from "../src/engine/wasm-engine.js";
import { formatDiffJson } from "../src/report/diff-json.js";
import { formatDiffPretty } from "../src/report/diff-pretty.js";
import { buildBundle } from "../src/toolchain/build.js";
import { generateCorpus, writeCorpusFile } from "./fixtures/corpus.js";
import { referencePolicy, tempDir } from "./helpers/bundles.js";
import { repoRoot, runCli } from "./helpers/cli.js";

const v2Policy = join(repoRoot, "test", "fixtures", "policy-v2");
const gate = { patterns: [], hits: [] };

let dir: string;
let corpusFile: string;
let bundles: { base: Bundle; head: Bundle };
let engines: { base: WasmPolicyEngine; head: WasmPolicyEngine };

beforeAll(async () => {
  dir = await tempDir("mcpgov-diff-parallel-");
  corpusFile = await writeCorpusFile(join(dir, "corpus.jsonl"), generateCorpus(10_000, 7));
  const [base, head] = await Promise.all([
    buildBundle({ policyDir: referencePolicy, output: join(dir, "ref.tar.gz"), revision: "ref" }),
    buildBundle({ policyDir: v2Policy, output: join(dir, "v2.tar.gz"), revision: "v2" }),
  ]);
  bundles = { base: await readVerifiedBundle(base.output), head: await readVerifiedBundle(head.output) };
  engines = { base: await WasmPolicyEngine.fromBundle(bundles.base), head: await WasmPolicyEngine.fromBundle(bundles.head) };
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const side = (engine: WasmPolicyEngine, source: string) => ({ ...engine.bundle, source, built: false });

function inProcess(envelopes: string, options: { examples?: number; skipInvalid?: boolean } = {}) {
  return runDiff({
    base: { engine: engines.base, side: side(engines.base, "ref.tar.gz") },
    head: { engine: engines.head, side: side(engines.head, "v2.tar.gz") },
    envelopes: streamEnvelopes(envelopes),
    examples: options.examples ?? 3,
    skipInvalid: options.skipInvalid ?? false,
  });
}

/** The loop runDiff had before it serialised once for both bundles: the reference the faster paths must equal. */
async function previousLoop(envelopes: string) {
  const accumulator = new DiffAccumulator({ examples: 3 });
  for await (const item of streamEnvelopes(envelopes)) {
    if (item.kind === "invalid") throw new Error(`bad line ${item.line}`);
    const parsed = lineEnvelope(item.value);
    if ("message" in parsed) throw new Error(`bad line ${item.line}`);
    const head = engines.head.decideValid(parsed.envelope);
    accumulator.add(engines.base.decideValid(parsed.envelope), head, item.value, item);
  }
  return accumulator.report(side(engines.base, "ref.tar.gz"), side(engines.head, "v2.tar.gz"));
}

function inWorkers(envelopes: string, options: { examples?: number; skipInvalid?: boolean; workers?: number; lines?: number; base?: Bundle } = {}) {
  return runDiffInWorkers({
    base: { bundle: options.base ?? bundles.base, side: side(engines.base, "ref.tar.gz") },
    head: { bundle: bundles.head, side: side(engines.head, "v2.tar.gz") },
    envelopes,
    examples: options.examples ?? 3,
    skipInvalid: options.skipInvalid ?? false,
    workers: options.workers ?? 2,
    // Small batches: many messages, answers out of order, the table of decisions filled across batches.
    batch: { lines: options.lines ?? 97, chars: 1 << 20 },
  });
}

/** Lines that are not envelopes, or not JSON, among good ones; with every line break readline knows. */
const good = generateCorpus(40, 3).map((e) => JSON.stringify(e));
const v1 = JSON.stringify({
  version: "v1",
  call: { id: "v1-1", method: "tools/call", server: "github", tool: "get_issue", arguments: { n: 1 }, arguments_digest: `sha256:${"0".repeat(64)}` },
  server: { registered: true, id: "github", risk_tags: ["prod"] },
  labels: { "mcp.action": "read", "mcp.server": "github", "mcp.tool": "get_issue" },
  risk_tags: ["prod"],
  subject: { id: "alice", scopes: ["mcp:read"] },
  context: { time: "2026-04-01T00:00:00Z" },
});
const messy =
  "\uFEFF" +
  [
    good[0],
    "",
    good[1],
    "{not json",
    good[2],
    '{"version":"v2"}',
    good[3]!.replace('"arguments":{', '"arguments":{"big":1e400,'),
    good[4]!.replace('"arguments":{', '"arguments":{"bad":"\\ud800",'),
    v1,
    "   ",
    ...good.slice(5, 20),
  ].join("\n") +
  "\r\n" +
  good.slice(20, 30).join("\r\n") +
  "\r" +
  good.slice(30).join("\n");

describe("mcpgov diff on worker threads", () => {
  it("gives the previous loop's report byte for byte over the 10,000-envelope corpus, in-process and on workers (json and pretty)", async () => {
    const expected = await previousLoop(corpusFile);
    expect(expected.envelopes).toBe(10_000);
    expect(expected.changed).toBeGreaterThan(0);
    for (const actual of [await inProcess(corpusFile), await inWorkers(corpusFile)]) {
      expect(formatDiffJson(actual, gate)).toBe(formatDiffJson(expected, gate));
      expect(formatDiffPretty(actual, gate)).toBe(formatDiffPretty(expected, gate));
    }
  });

  it("gives the same report with one worker and with many examples", async () => {
    const expected = formatDiffJson(await inProcess(corpusFile, { examples: 50 }), gate);
    expect(formatDiffJson(await inWorkers(corpusFile, { examples: 50, workers: 1, lines: 1000 }), gate)).toBe(expected);
  });

  it("counts the same bad lines, with the same messages, under --skip-invalid", async () => {
    const file = join(dir, "messy.jsonl");
    await writeFile(file, messy);
    const expected = await inProcess(file, { skipInvalid: true });
    expect(expected.skipped).toBe(4);
    // Two good lines were spoiled; the v1 envelope is upgraded and decided.
    expect(expected.envelopes).toBe(good.length - 2 + 1);
    expect(formatDiffJson(await inWorkers(file, { skipInvalid: true, lines: 3 }), gate)).toBe(formatDiffJson(expected, gate));
  });

  it("stops at the same first bad line with the same error", async () => {
    const file = join(dir, "messy-stop.jsonl");
    await writeFile(file, messy);
    const expected = await inProcess(file).then(
      () => "no error",
      (error: Error) => error.message,
    );
    expect(expected).toContain("messy-stop.jsonl:4: invalid JSON");
    await expect(inWorkers(file, { lines: 2 })).rejects.toThrow(expected);
  });

  it("fails the diff, with no report, when a worker cannot load a bundle", async () => {
    // The same bundle with one file changed after it was verified: the worker's stamp check refuses it.
    const files = new Map(bundles.base.files);
    files.set("data.json", Buffer.from(JSON.stringify({ ...(JSON.parse(files.get("data.json")!.toString()) as object), tampered: true })));
    await expect(inWorkers(corpusFile, { base: { ...bundles.base, files } })).rejects.toMatchObject({ code: "bundle_invalid", message: expect.stringContaining("diff worker cannot load the bundles") });
  });

  it("reports a missing corpus as an io_error before starting workers", async () => {
    await expect(inWorkers(join(dir, "absent.jsonl"))).rejects.toMatchObject({ code: "io_error" });
  });
});

describe("line batches", () => {
  it("read the lines and line numbers readline reads, whatever the read size", async () => {
    const file = join(dir, "lines.jsonl");
    await writeFile(file, `${messy}\r\n\n\r\r\n${good[0]}\r`);
    const expected: unknown[] = [];
    for await (const item of streamEnvelopes(file)) expected.push(item);
    for (const readBytes of [1, 2, 7, 1 << 20]) {
      const actual: unknown[] = [];
      for await (const batch of streamLineBatches(await envelopeFiles(file), { lines: 5, chars: 1 << 20, readBytes })) {
        batch.lines.forEach((text, i) => actual.push(parseEnvelopeLine(text, { file: batch.file, line: batch.numbers[i]! })));
      }
      expect(actual).toEqual(expected);
    }
  });
});

describe("WasmPolicyEngine.decideValidJson", () => {
  it("decides as decideValid, with and without a memo of results", async () => {
    const memo = new Map();
    for (const envelope of generateCorpus(500, 11)) {
      const expected = engines.head.decideValid(envelope);
      expect(engines.head.decideValidJson(JSON.stringify(envelope))).toEqual(expected);
      expect(engines.head.decideValidJson(JSON.stringify(envelope), memo)).toEqual(expected);
    }
    // A corpus repeats few results: the memo holds each once.
    expect(memo.size).toBeGreaterThan(1);
    expect(memo.size).toBeLessThan(100);
  });
});

describe("mcpgov diff --workers", () => {
  it("prints the same report in this thread (--workers 0) as on workers", async () => {
    const small = await writeCorpusFile(join(dir, "small.jsonl"), generateCorpus(300, 5));
    const args = ["diff", "--base", join(dir, "ref.tar.gz"), "--head", join(dir, "v2.tar.gz"), "-e", small, "--format", "json"];
    const [here, workers] = await Promise.all([runCli([...args, "--workers", "0"]), runCli([...args, "--workers", "2"])]);
    expect(here.code).toBe(0);
    expect(JSON.parse(here.stdout).envelopes).toBe(300);
    expect(workers.stdout).toBe(here.stdout);
  });

  it("decides --parity in this thread even when workers are asked for", async () => {
    const small = await writeCorpusFile(join(dir, "parity.jsonl"), generateCorpus(100, 9));
    const result = await runCli(["diff", "--base", join(dir, "ref.tar.gz"), "--head", v2Policy, "-e", small, "--parity", "--workers", "2", "--format", "json"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).parity).toEqual({ checked: 100, disagreements: 0, examples: [] });
  }, 120_000);

  it("refuses a negative worker count as a usage error", async () => {
    const result = await runCli(["diff", "--base", "a", "--head", "b", "-e", "c", "--workers", "-1"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("--workers must be a whole number ≥ 0");
  });
});
