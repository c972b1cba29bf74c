/**
 * @module The capabilities file bundles are built against: only builtins
 * the in-process WASM engine evaluates, and evaluates as OPA itself does.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { runOpa } from "./opa.js";

/**
 * Builtins the WASM SDK offers that mcpgov refuses, and why: each one
 * disagrees with OPA's Go evaluator on some input (found by the harness in
 * test/differential/builtins.test.ts). A decision must be the same under
 * `opa test` (Go) and in the gateway (WASM). Most of these are compiled
 * into the WASM module itself, where no host builtin can replace them.
 */
export const EXCLUDED_BUILTINS: Readonly<Record<string, string>> = {
  sprintf: "formatted by sprintf-js in the WASM host, which differs from OPA's Go formatting (%q, %v, extra arguments); use concat",
  "yaml.marshal": "serialised by a JS YAML library whose output differs from OPA's (key order); compare structured values instead",
  "yaml.unmarshal": "the JS YAML library reads 010, 1_000 and 1e400 differently from OPA's Go YAML; send structured JSON instead",
  "yaml.is_valid": "the JS YAML library accepts documents OPA's Go YAML refuses (e.g. NUL); send structured JSON instead",
  "rand.intn": "random: a decision must not depend on anything but the envelope and the bundle",
  "time.diff": "the WASM host has no implementation (every call is an evaluation error); compare time.parse_rfc3339_ns values instead",
  "base64.decode": "the WASM module decodes non-base64 text and refuses the empty string, the opposite of OPA; compare base64.encode of the expected value instead",
  "base64url.decode": "the WASM module decodes non-base64 text and refuses the empty string, the opposite of OPA; compare base64url.encode of the expected value instead",
  "base64.is_valid": "the WASM module accepts non-base64 text and refuses the empty string, the opposite of OPA; compare base64.encode of the expected value instead",
  "json.is_valid": "the WASM module accepts two concatenated documents and leading zeros (\"1 2\", \"010\"); send structured JSON instead",
  "json.unmarshal": "the WASM module reads two concatenated documents and leading zeros (\"1 2\", \"010\"); send structured JSON instead",
  "json.marshal": "the WASM module keeps key order and does not escape <, >, & as OPA (Go) does; compare structured values instead",
  format_int: "the WASM module aborts the whole evaluation for |n| ≥ 2^31; compare numbers as numbers",
  div: "x / 0 aborts the whole WASM evaluation (OPA leaves only that rule undefined) and quotients differ in the last digit; compare products instead (a > b * c)",
  replace: "an empty pattern never returns in the WASM module; use concat(new, split(s, old)) with a non-empty old",
  "strings.replace_n": "an empty pattern never returns in the WASM module; use concat(new, split(s, old)) with a non-empty old",
  "bits.rsh": "the WASM module aborts on shifts ≥ 2^31 and is undefined past 2^53 where OPA gives 0; no admitted builtin replaces it: shift before the value reaches the envelope",
  "regex.find_all_string_submatch_n": "a count below -2^31 wraps in the WASM module (no matches) where OPA returns all; use regex.match or a count of -1",
  "net.cidr_contains":
    "the WASM module misses IPv4-mapped IPv6 (::ffff:10.0.0.1 is not in 10.0.0.0/8); compare input.call.egress, where the gateway writes IP literals in canonical form, by prefix",
  "net.cidr_intersects": "the WASM module misses IPv4-mapped IPv6 (::ffff:10.0.0.0/104 does not meet 10.0.0.0/8); compare input.call.egress by prefix",
  "glob.match": "the WASM module matches patterns with parentheses or NUL differently from OPA; use regex.match or startswith/endswith",
  "regex.split":
    "split by JavaScript's RegExp in the WASM host, which is not RE2 ((?i), \\pL, [[:alpha:]], lookahead, capture groups); use regex.match or split",
  "object.union_n": "object.union_n([]) is undefined in the WASM module and {} in OPA; use object.union",
};

/**
 * Builtins OPA compiles into the WASM module itself although the SDK's
 * capabilities file predates them; admitted because the harness finds
 * them agreeing with OPA.
 */
export const NATIVE_ADMITTED: readonly string[] = ["array.reverse", "object.keys", "strings.reverse"];

const ADDED = NATIVE_ADMITTED;

interface Builtin {
  name: string;
  [k: string]: unknown;
}
interface Capabilities {
  builtins: Builtin[];
  [k: string]: unknown;
}

function sdkCapabilities(): Capabilities {
  const require = createRequire(import.meta.url);
  const sdkEntry = require.resolve("@open-policy-agent/opa-wasm");
  return JSON.parse(readFileSync(join(dirname(sdkEntry), "..", "capabilities.json"), "utf8")) as Capabilities;
}

/** Names of the builtins a policy may use. */
export function allowedBuiltins(): string[] {
  return [...sdkCapabilities().builtins.map((b) => b.name), ...ADDED].filter((name) => !(name in EXCLUDED_BUILTINS)).sort();
}

/**
 * The SDK's builtin list (what the WASM module and its JS host implement),
 * minus the exclusions, with the language features of the OPA in use so
 * that Rego v1 syntax is accepted.
 */
export async function wasmCapabilities(): Promise<Capabilities> {
  const current = await currentCapabilities();
  const sdk = sdkCapabilities();
  return {
    ...current,
    builtins: [...sdk.builtins, ...current.builtins.filter((b) => ADDED.includes(b.name))].filter((b) => !(b.name in EXCLUDED_BUILTINS)),
    wasm_abi_versions: sdk["wasm_abi_versions"],
  };
}

/** All builtins OPA knows, to tell "unsupported here" from "no such function". */
export async function opaBuiltinNames(): Promise<Set<string>> {
  return new Set((await currentCapabilities()).builtins.map((b) => b.name));
}

let current: Promise<Capabilities> | undefined;

function currentCapabilities(): Promise<Capabilities> {
  current ??= runOpa(["capabilities", "--current"]).then((run) => JSON.parse(run.stdout) as Capabilities);
  return current;
}
