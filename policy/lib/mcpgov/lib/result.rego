# METADATA
# title: Rule results
# description: |
#   The one way a rule reports. Every rule package under data.mcpgov.rules
#   defines a set named `hits` and adds objects built here; the decision
#   package finds them by walking data, so adding a rule touches no list.
package mcpgov.lib.result

import rego.v1

decisions := {"ALLOW", "ALLOW_WITH_CONSTRAINTS", "REQUIRE_APPROVAL", "DENY"}

# hit builds one rule result. Constraints may be {}.
hit(rule_id, decision, reason, constraints) := {
	"rule": rule_id,
	"decision": decision,
	"reason": reason,
	"constraints": constraints,
}

allow(rule_id, reason) := hit(rule_id, "ALLOW", reason, {})

deny(rule_id, reason) := hit(rule_id, "DENY", reason, {})

require_approval(rule_id, reason, constraints) := hit(rule_id, "REQUIRE_APPROVAL", reason, constraints)

allow_with_constraints(rule_id, reason, constraints) := hit(rule_id, "ALLOW_WITH_CONSTRAINTS", reason, constraints)

output_decisions := {"PASS", "REDACT", "QUARANTINE"}

# output_hit builds one output rule result. types is a list of finding types.
output_hit(rule_id, decision, reason, types) := {
	"rule": rule_id,
	"decision": decision,
	"reason": reason,
	"types": types,
}

pass(rule_id, reason) := output_hit(rule_id, "PASS", reason, [])

redact(rule_id, reason, types) := output_hit(rule_id, "REDACT", reason, types)

quarantine(rule_id, reason, types) := output_hit(rule_id, "QUARANTINE", reason, types)
