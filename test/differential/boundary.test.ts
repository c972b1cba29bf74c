/**
 * Envelopes the two evaluators would read differently (a lone surrogate, a
 * number JSON.parse rounds) are refused the same way everywhere, naming the
 * field: engine.decide fails closed, `mcpgov diff` stops at the line.
 */
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WasmPolicyEngine } from "../../src/engine/wasm-engine.js";
import { generateCorpus } from "../fixtures/corpus.js";
import { buildReference, tempDir } from "../helpers/bundles.js";
import { runCli } from "../helpers/cli.js";

let dir: string;
let bundle: string;
let engine: WasmPolicyEngine;
const [sample] = generateCorpus(1, 3);

beforeAll(async () => {
  dir = await tempDir("mcpgov-boundary-");
  bundle = await buildReference(dir);
  engine = await WasmPolicyEngine.fromFile(bundle);
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const withArgument = (text: string): string => JSON.stringify(sample).replace('"arguments":{', `"arguments":{"odd":${text},`);

describe("the input boundary", () => {
  it.each([
    ["a lone surrogate", '"\\ud800x"', "call.arguments.odd: not well-formed Unicode"],
    ["1e400", "1e400", "call.arguments.odd: number not exactly representable"],
    ["an integer past 2^53", "9007199254740993", "call.arguments.odd: number not exactly representable"],
  ])("engine.decide fails closed on %s, naming the field", (_what, text, reason) => {
    const decision = engine.decide(JSON.parse(withArgument(text)));
    expect(decision.decision).toBe("DENY");
    expect(decision.fail_closed).toBe("invalid_envelope");
    expect(decision.reason).toContain(reason);
  });

  it("mcpgov diff stops at the line, naming the field", async () => {
    const file = join(dir, "odd.jsonl");
    await writeFile(file, `${JSON.stringify(sample)}\n${withArgument("1e400")}\n`);
    const result = await runCli(["diff", "--base", bundle, "--head", bundle, "-e", file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/odd\.jsonl:2: .*call\.arguments\.odd: number not exactly representable/);
  }, 60_000);
});
