# METADATA
# title: Catalog rule results
# description: |
#   The one way a catalog rule reports. Every package under
#   data.mcpgov.catalog_rules defines a set named `hits` and adds objects
#   built here; mcpgov.catalog finds them by walking data, so adding a rule
#   touches no list. `types` names the finding types the hit is about.
package mcpgov.catalog.report

import rego.v1

decisions := {"PASS", "FLAG", "HIDE"}

hit(rule_id, decision, reason, types) := {
	"rule": rule_id,
	"decision": decision,
	"reason": reason,
	"types": types,
}

pass(rule_id, reason) := hit(rule_id, "PASS", reason, [])

flag(rule_id, reason, types) := hit(rule_id, "FLAG", reason, types)

hide(rule_id, reason, types) := hit(rule_id, "HIDE", reason, types)

# The finding types of the input that are in `wanted`, sorted (a rule's usual first step).
present(wanted) := sort({f.type | some f in input.findings; f.type in wanted})

# The fields where findings of those types were seen, sorted.
fields(wanted) := sort({f.field | some f in input.findings; f.type in wanted})
