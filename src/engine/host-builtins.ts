/**
 * @module The builtins mcpgov's host gives the WASM engine in place of the
 * SDK's JavaScript ones, written to match OPA's Go implementation (checked
 * by test/differential/builtins.test.ts against `opa run`).
 *
 * Only builtins the WASM module imports from its host can be replaced
 * here; most (base64, json.marshal, net.cidr_contains, replace, …) are
 * compiled into the module and are admitted or refused as they are (see
 * src/toolchain/capabilities.ts).
 *
 * The SDK looks a builtin up in its own table before the custom ones it is
 * given, so its table is emptied once and its functions passed back in as
 * custom ones under ours: every loadPolicy call in mcpgov passes
 * hostBuiltins() (src/engine/wasm-engine.ts is the only one).
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export type HostBuiltin = (...args: unknown[]) => unknown;
export type HostBuiltins = Readonly<Record<string, HostBuiltin>>;

/**
 * mcpgov's own implementations, by builtin name, of builtins the WASM
 * module imports from its host. Empty: of the builtins the module imports
 * (sprintf, regex.split, the yaml.* family, time.diff) none agrees with OPA
 * as JavaScript has them, and all are refused (see capabilities.ts), so no
 * admitted builtin runs in JavaScript. json.is_valid, listed by the SDK, is
 * compiled into the module by OPA 1.22 and never reaches the host. A name
 * added here must be admitted by test/differential/builtins.test.ts.
 */
export const HOST_BUILTINS: HostBuiltins = {};

let sdkOwn: Record<string, HostBuiltin> | undefined;

/**
 * Takes the SDK's own builtins out of its table (once per process) and
 * returns them, so that every builtin call falls through to the table
 * loadPolicy is given and mcpgov decides which implementation runs.
 */
function takeSdkBuiltins(): Record<string, HostBuiltin> {
  if (sdkOwn) return sdkOwn;
  const require = createRequire(import.meta.url);
  const sdkTable = require(join(dirname(require.resolve("@open-policy-agent/opa-wasm")), "builtins", "index.js")) as Record<string, HostBuiltin>;
  sdkOwn = { ...sdkTable };
  for (const name of Object.keys(sdkTable)) delete sdkTable[name];
  return sdkOwn;
}

/** The builtins to pass to loadPolicy; `overrides` replace some (tests plant a disagreement this way). */
export function hostBuiltins(overrides: HostBuiltins = {}): Record<string, HostBuiltin> {
  return { ...takeSdkBuiltins(), ...HOST_BUILTINS, ...overrides };
}
