/**
 * @module The capabilities file bundles are built against: only builtins
 * the in-process WASM engine evaluates, and evaluates as OPA itself does.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { runOpa } from "./opa.js";

/**
 * Builtins the WASM SDK offers that mcpgov still refuses, and why. A
 * decision must be the same under `opa test` (Go) and in the gateway (JS).
 */
export const EXCLUDED_BUILTINS: Readonly<Record<string, string>> = {
  sprintf: "formatted by sprintf-js in the WASM host, which differs from OPA's Go formatting (%q, %v); use concat",
  "yaml.marshal": "serialised by a JS YAML library whose output differs from OPA's",
  "rand.intn": "random: a decision must not depend on anything but the envelope and the bundle",
};

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
  return sdkCapabilities()
    .builtins.map((b) => b.name)
    .filter((name) => !(name in EXCLUDED_BUILTINS))
    .sort();
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
    builtins: sdk.builtins.filter((b) => !(b.name in EXCLUDED_BUILTINS)),
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
