# METADATA
# title: require-approval-production-write
# description: A write to a server tagged prod waits for a human, then runs bounded.
package mcpgov.rules.require_approval_production_write

import rego.v1

import data.mcpgov.lib.envelope as env
import data.mcpgov.lib.result

hits contains result.require_approval(
	"require-approval-production-write",
	"write to a production server needs human approval",
	data.mcpgov.config.production_write,
) if {
	env.is_write
	env.has_risk_tag("prod")
}
