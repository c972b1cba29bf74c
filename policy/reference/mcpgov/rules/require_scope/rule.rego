# METADATA
# title: require-scope
# description: |
#   A call runs only for a subject whose token carries the scope configured
#   for the call's action (data.mcpgov.config.required_scopes: read, write,
#   destructive). Scopes do not imply one another: a token with
#   mcp:destructive but not mcp:write may not write. A call whose action is
#   missing or not in the list needs the destructive scope, the worst case;
#   an action the list maps to no scope needs none.
package mcpgov.rules.require_scope

import rego.v1

import data.mcpgov.lib.envelope as env
import data.mcpgov.lib.result

required := data.mcpgov.config.required_scopes

default action := "destructive"

action := env.action if required[env.action]

hits contains result.deny(
	"require-scope",
	concat("", ["token lacks scope \"", needed, "\" needed for ", action, " calls"]),
) if {
	needed := required[action]
	not env.has_scope(needed)
}
