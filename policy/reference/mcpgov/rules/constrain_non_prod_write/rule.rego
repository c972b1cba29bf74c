# METADATA
# title: constrain-non-prod-write
# description: |
#   A write to a server tagged non_prod runs at once, bounded in time and
#   limited to the hosts on the non-production allowlist.
package mcpgov.rules.constrain_non_prod_write

import rego.v1

import data.mcpgov.lib.envelope as env
import data.mcpgov.lib.result

hits contains result.allow_with_constraints(
	"constrain-non-prod-write",
	"write to a non-production server runs under constraints",
	object.union(
		data.mcpgov.config.non_prod_write,
		{"network_allowlist": data.mcpgov.config.non_prod_network_allowlist},
	),
) if {
	env.is_write
	env.has_risk_tag("non_prod")
}
