/**
 * Builtin admission: every builtin a bundle may use agrees with OPA's Go
 * evaluator on generated inputs (empty, unicode, huge and negative numbers,
 * invalid encodings, wrong types); every refused one is shown to disagree.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type BuiltinCase, type BuiltinDecl, callable, runBuiltinParity } from "../../src/testing/builtin-parity.js";
import { allowedBuiltins, EXCLUDED_BUILTINS } from "../../src/toolchain/capabilities.js";
import { runOpa } from "../../src/toolchain/opa.js";

/**
 * Disagreements on admitted builtins that are documented (README
 * "Builtins") rather than refused: the builtin is needed by the reference
 * pack and the differing input is one a policy writes, not one a caller
 * sends. `mcpgov test` still catches them case by case.
 */
const DOCUMENTED: Record<string, (args: unknown[]) => boolean> = {
  // A NUL in a pattern ends it in the WASM module (C string).
  "regex.is_valid": (args) => typeof args[0] === "string" && args[0].includes("\u0000"),
  // indexof(s, "") is 0 in WASM and undefined in OPA.
  indexof: (args) => args[1] === "",
  // A NUL in a pattern ends it in the WASM module (C string).
  "regex.match": (args) => typeof args[0] === "string" && args[0].includes("\u0000"),
};

async function declarations(names: Set<string>): Promise<{ decls: BuiltinDecl[]; capabilities: object }> {
  const current = JSON.parse((await runOpa(["capabilities", "--current"])).stdout) as { builtins: BuiltinDecl[] };
  const require = createRequire(import.meta.url);
  const sdk = JSON.parse(readFileSync(join(dirname(require.resolve("@open-policy-agent/opa-wasm")), "..", "capabilities.json"), "utf8")) as Record<string, unknown>;
  // Rules need assignment and equality whatever they test.
  const builtins = current.builtins.filter((b) => names.has(b.name) || ["eq", "assign", "equal"].includes(b.name));
  return { decls: builtins.filter((b) => names.has(b.name) && callable(b)), capabilities: { ...current, builtins, wasm_abi_versions: sdk["wasm_abi_versions"] } };
}

const show = (c: BuiltinCase) => `${c.builtin}(${c.args.map((a) => JSON.stringify(a)).join(", ")}): wasm ${JSON.stringify(c.wasm)} / opa ${JSON.stringify(c.topdown)}`;

describe("builtin admission (WASM engine vs OPA topdown)", () => {
  const admitted = new Set(allowedBuiltins());
  const refused = new Set(Object.keys(EXCLUDED_BUILTINS));
  let cases: BuiltinCase[] = [];

  beforeAll(async () => {
    const { decls, capabilities } = await declarations(new Set([...admitted, ...refused]));
    const started = Date.now();
    cases = await runBuiltinParity(decls, capabilities);
    console.info(`builtin parity: ${cases.length} calls over ${decls.length} builtins in ${Date.now() - started} ms`);
  }, 300_000);

  it("every admitted builtin agrees on every generated input", () => {
    const disagreements = cases.filter((c) => admitted.has(c.builtin) && !c.agree && !DOCUMENTED[c.builtin]?.(c.args));
    expect(disagreements.map(show)).toEqual([]);
    const tested = new Set(cases.filter((c) => admitted.has(c.builtin)).map((c) => c.builtin));
    // Everything but relations, assignment and deprecated names (eq, walk, internal.*, re_match …) is called.
    const uncalled = [...admitted].filter((name) => !tested.has(name)).sort();
    expect(uncalled).toEqual(["all", "any", "assign", "eq", "internal.member_2", "internal.member_3", "re_match", "set_diff", "walk"]);
  });

  it("every refused builtin that can be called disagrees somewhere (the reason it is refused)", () => {
    const tested = new Set(cases.filter((c) => refused.has(c.builtin)).map((c) => c.builtin));
    const disagreeing = new Set(cases.filter((c) => refused.has(c.builtin) && !c.agree).map((c) => c.builtin));
    expect([...tested].filter((name) => !disagreeing.has(name))).toEqual([]);
    expect(tested.size).toBe(refused.size - 1); // rand.intn is not called
  });

  it("a host builtin overridden to differ is caught", async () => {
    const { decls, capabilities } = await declarations(new Set(["regex.split"]));
    const planted = await runBuiltinParity(decls, capabilities, { hostOverrides: { "regex.split": () => ["planted"] }, limit: 20 });
    expect(planted.some((c) => !c.agree && JSON.stringify(c.wasm).includes("planted"))).toBe(true);
  }, 120_000);
});
