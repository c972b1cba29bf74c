/** @module A reference bundle with one rule whose evaluation time grows with `input.call.arguments.n`. */
import { join } from "node:path";
import { buildBundle } from "../../src/toolchain/build.js";
import { copyReference, writeFiles } from "./bundles.js";

/**
 * Never hits (a count is never negative), but counting means building the
 * whole list: n = 1,000,000 takes about 5 s in WASM on the dev box, n = 1,000
 * about nothing. Other inputs decide as the reference pack does.
 */
export const SLOW_RULE = `# METADATA
# title: slow-count
# description: Test only - builds numbers.range(0, input.call.arguments.n) to count it.
package mcpgov.rules.slow_count

import rego.v1

import data.mcpgov.lib.result

hits contains result.deny("slow-count", "never hits") if {
	n := input.call.arguments.n
	is_number(n)
	count([x | some x in numbers.range(0, n)]) < 0
}
`;

/** The output policy's counterpart: slow when the input's labels carry `slow_n`. */
export const SLOW_OUTPUT_RULE = `# METADATA
# title: slow-output
# description: Test only - builds numbers.range(0, input.labels.slow_n) to count it.
package mcpgov.output_rules.slow_output

import rego.v1

import data.mcpgov.lib.result

hits contains result.quarantine("slow-output", "never hits", []) if {
	n := to_number(input.labels.slow_n)
	count([x | some x in numbers.range(0, n)]) < 0
}
`;

/** The catalog policy's counterpart: slow for a definition whose name starts with "slow" (a server chooses its names; the rug server has a tool "slow"). */
export const SLOW_CATALOG_RULE = `# METADATA
# title: slow-catalog
# description: Test only - builds numbers.range(0, 2000000) for definitions named slow*.
package mcpgov.catalog_rules.slow_catalog

import rego.v1

import data.mcpgov.catalog.report

hits contains report.flag("slow-catalog", "never hits", []) if {
	startswith(input.entry.name, "slow")
	count([x | some x in numbers.range(0, 2000000)]) < 0
}
`;

/** Builds the reference pack plus SLOW_RULE, SLOW_OUTPUT_RULE and SLOW_CATALOG_RULE into `output` (under `dir`). */
export async function buildSlowBundle(dir: string, output: string, revision = "slow"): Promise<string> {
  const policy = await copyReference(join(dir, "slow-src"));
  await writeFiles(policy, {
    "mcpgov/rules/slow_count/rule.rego": SLOW_RULE,
    "mcpgov/output_rules/slow_output/rule.rego": SLOW_OUTPUT_RULE,
    "mcpgov/catalog_rules/slow_catalog/rule.rego": SLOW_CATALOG_RULE,
  });
  await buildBundle({ policyDir: policy, output, revision });
  return output;
}
