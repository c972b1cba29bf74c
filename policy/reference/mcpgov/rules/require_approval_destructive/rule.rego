# METADATA
# title: require-approval-destructive
# description: |
#   A destructive action waits for a human wherever it runs; the seed's
#   decision model puts destructive actions with production writes.
package mcpgov.rules.require_approval_destructive

import rego.v1

import data.mcpgov.lib.envelope as env
import data.mcpgov.lib.result

hits contains result.require_approval(
	"require-approval-destructive",
	"destructive action needs human approval",
	{},
) if {
	env.is_destructive
}
