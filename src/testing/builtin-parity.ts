/**
 * @module The builtin admission harness: each builtin is called on many
 * inputs by a tiny policy, once compiled to WASM and run by mcpgov's engine
 * path (host builtins included), once by OPA's topdown, and the results
 * (a value, undefined, or an error) compared. A builtin is admitted only if
 * every input agrees (see test/differential/builtins.test.ts).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPolicy } from "@open-policy-agent/opa-wasm";
import type { LoadedPolicy } from "@open-policy-agent/opa-wasm";
import { readBundleArchive } from "../bundle/archive.js";
import { type HostBuiltins, hostBuiltins } from "../engine/host-builtins.js";
import { runOpa } from "../toolchain/opa.js";
import { startTopdown, type TopdownResult } from "../toolchain/topdown.js";

interface ArgType {
  type: string;
}
export interface BuiltinDecl {
  name: string;
  decl: { args?: ArgType[]; result?: ArgType };
  infix?: string;
  deprecated?: boolean;
}

/** What one side made of one call. */
export type Outcome = { kind: "value"; value: unknown } | { kind: "undefined" } | { kind: "error"; message: string };

export interface BuiltinCase {
  builtin: string;
  args: unknown[];
  wasm: Outcome;
  topdown: Outcome;
  agree: boolean;
}

const STRINGS = [
  "", "abc", "Hello World", "héllo wörld", "😀x", "a,b,,c", "<a href='x'>&amp;</a>", "not base64!", "aGVsbG8=", "aGVsbG8", "aGVsbG8===",
  "YQ", "_-_-", '{"b":1,"a":2}', "1 2", "{} {}", "010", "1_000", "key: value", "  padded\t", "10.0.0.1", "::ffff:10.0.0.1", "10.0.0.0/8",
  "::ffff:10.0.0.0/104", "2001:db8::/32", "%s %d", "*.example.com", "a.b.c", "0x1F", "-12", "3.14", "1e400", "ß", "İ", "a", ".", "\u0000", "(,)", "x*", "(?=a)", "\\d+", "[[:alpha:]]+", "(?i)ABC", "\\pL+", "a|b",
];
const NUMBERS = [0, 1, -1, 2.5, -2.5, 2, 10, 16, 2147483648, -2147483649, 9007199254740991, 1e20, 0.1, 1e-7];
const ARRAYS: unknown[] = [[], [1, 2, 3], ["b", "a", "c"], [[1], [2]], [{ a: 1 }, { b: 2 }], ["x", 1, null], [3, 1, 2, 1]];
const OBJECTS: unknown[] = [{}, { b: 1, a: 2 }, { a: { b: [1, 2] } }, { "<": "&" }, { z: null, y: [true] }, { "": "x", a: "b" }];
const ANY: unknown[] = [null, true, false, "", "abc", "<&>", 0, -1, 2.5, 2147483648, [], [1, "a"], {}, { b: 1, a: "<" }];

/** Builtins whose cost grows with a number's value (ranges, shifts) get small numbers only. */
const SMALL_NUMBERS = new Set(["numbers.range", "numbers.range_step", "bits.lsh", "strings.repeat"]);

function pool(type: string, builtin: string): unknown[] {
  if (type === "number" && SMALL_NUMBERS.has(builtin)) return [0, 1, -1, 2.5, 2, 10, 16, 64, null];
  switch (type) {
    case "string":
      return [...STRINGS, null];
    case "number":
      return [...NUMBERS, null];
    case "array":
    case "set":
      return [...ARRAYS, "x"];
    case "object":
      return [...OBJECTS, 1];
    case "boolean":
      return [true, false, "x"];
    default:
      return ANY;
  }
}

/** Deterministic argument tuples: the product of each argument's pool, thinned evenly to at most `limit`. */
export function argumentTuples(decl: BuiltinDecl, limit = 1200): unknown[][] {
  let tuples: unknown[][] = [[]];
  for (const arg of decl.decl.args ?? []) tuples = tuples.flatMap((t) => pool(arg.type, decl.name).map((v) => [...t, v]));
  if (tuples.length <= limit) return tuples;
  const step = tuples.length / limit;
  return Array.from({ length: limit }, (_, i) => tuples[Math.floor(i * step)]!);
}

/** Builtins that cannot be called as a function of input (relations, assignment, randomness). */
const NOT_CALLABLE = new Set(["assign", "eq", "internal.member_2", "internal.member_3", "walk", "rand.intn"]);

export const callable = (b: BuiltinDecl): boolean => !b.deprecated && !NOT_CALLABLE.has(b.name) && !b.name.startsWith("internal.") && (b.decl.args?.length ?? 0) > 0;

function regoFor(builtins: readonly BuiltinDecl[]): string {
  const rules = builtins.map((b, i) => {
    const args = (b.decl.args ?? []).map((a, j) => (a.type === "set" ? `{x | some x in input.a${j}}` : `input.a${j}`));
    return `b${i} := ${b.name}(${args.join(", ")})`;
  });
  return `package harness\nimport rego.v1\n\n${rules.join("\n")}\n`;
}

/**
 * Calls known to never return in WASM (the module loops; nothing in-process
 * can stop it). They are reported as a disagreement without running.
 */
export function hangsInWasm(builtin: string, args: readonly unknown[]): boolean {
  if (builtin === "replace") return args[1] === "";
  if (builtin === "strings.replace_n") return typeof args[0] === "object" && args[0] !== null && "" in (args[0] as object);
  return false;
}

function wasmOutcome(policy: LoadedPolicy, entrypoint: string, inputJson: string): Outcome {
  try {
    const set = policy.evaluate(JSON.parse(inputJson), entrypoint) as { result?: unknown }[];
    const first = set[0];
    return first === undefined || first.result === undefined ? { kind: "undefined" } : { kind: "value", value: first.result };
  } catch (thrown) {
    return { kind: "error", message: thrown instanceof Error ? thrown.message : String((thrown as { message?: unknown })?.message ?? thrown) };
  }
}

/** Sorted-key JSON that also writes what JSON cannot (Infinity, NaN), so such results compare too. */
export function stableText(value: unknown): string {
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : String(value);
  if (Array.isArray(value)) return `[${value.map(stableText).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableText(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

/** A set comes out of WASM in insertion order and out of OPA sorted; as a set, order is not a difference. */
const setText = (value: unknown): string => (Array.isArray(value) ? stableText(value.map(stableText).sort()) : stableText(value));

const same = (a: Outcome | TopdownResult, b: Outcome | TopdownResult, isSet: boolean): boolean =>
  a.kind === b.kind && (a.kind !== "value" || (isSet ? setText : stableText)(a.value) === (isSet ? setText : stableText)((b as { value: unknown }).value));

async function pooled<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

/**
 * Runs every builtin of `builtins` on its generated inputs on both
 * evaluators. `capabilities` is the file the WASM module is compiled
 * against (it must list every builtin tested).
 */
export async function runBuiltinParity(
  builtins: readonly BuiltinDecl[],
  capabilities: object,
  options: { hostOverrides?: HostBuiltins; limit?: number } = {},
): Promise<BuiltinCase[]> {
  const dir = await mkdtemp(join(tmpdir(), "mcpgov-builtin-parity-"));
  try {
    const src = join(dir, "src");
    await writeFile(join(dir, "capabilities.json"), JSON.stringify(capabilities));
    await mkdir(src);
    await writeFile(join(src, "harness.rego"), regoFor(builtins));
    const args = ["build", "-t", "wasm", "-b", src, "--capabilities", join(dir, "capabilities.json"), "-o", join(dir, "b.tar.gz")];
    builtins.forEach((_, i) => args.push("-e", `harness/b${i}`));
    const build = await runOpa(args);
    if (build.status !== 0) throw new Error(`opa build failed: ${build.stderr || build.stdout}`);
    const wasm = (await readBundleArchive(join(dir, "b.tar.gz"))).get("policy.wasm")!;
    const load = async () => {
      const policy = await loadPolicy(wasm, undefined, hostBuiltins(options.hostOverrides));
      policy.setData({});
      return policy;
    };
    let policy = await load();

    const calls = builtins.flatMap((b, i) => argumentTuples(b, options.limit).map((tuple) => ({ b, i, tuple })));
    const cases: BuiltinCase[] = [];
    const topdown = await startTopdown(src);
    try {
      const results = new Map<number, TopdownResult>();
      const indexed = calls.map((c, k) => ({ ...c, k }));
      await pooled(indexed, 8, async (c) => {
        const input = JSON.stringify(Object.fromEntries(c.tuple.map((v, j) => [`a${j}`, v])));
        results.set(c.k, await topdown.evaluate(`harness/b${c.i}`, input));
      });
      for (const c of indexed) {
        const input = JSON.stringify(Object.fromEntries(c.tuple.map((v, j) => [`a${j}`, v])));
        const wasmResult: Outcome = hangsInWasm(c.b.name, c.tuple)
          ? { kind: "error", message: "never returns (an empty pattern loops in the WASM module)" }
          : wasmOutcome(policy, `harness/b${c.i}`, input);
        // An abort may leave the instance's heap half-used; start the next call on a fresh one.
        if (wasmResult.kind === "error") policy = await load();
        const td = results.get(c.k)!;
        cases.push({ builtin: c.b.name, args: c.tuple, wasm: wasmResult, topdown: td, agree: same(wasmResult, td, c.b.decl.result?.type === "set") });
      }
    } finally {
      await topdown.close();
    }
    return cases;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
