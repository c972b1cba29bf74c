# METADATA
# title: Decision combining
# description: |
#   Collects the hits of every rule under data.mcpgov.rules and combines
#   them into one decision: no hit denies; otherwise the most restrictive
#   decision wins (DENY > REQUIRE_APPROVAL > ALLOW_WITH_CONSTRAINTS > ALLOW)
#   and the constraints of all hits merge to the tightest. Entrypoint:
#   mcpgov/decision/result.
package mcpgov.decision

import rego.v1

import data.mcpgov.lib.constraints

rank := {"ALLOW": 0, "ALLOW_WITH_CONSTRAINTS": 1, "REQUIRE_APPROVAL": 2, "DENY": 3}

by_rank := ["ALLOW", "ALLOW_WITH_CONSTRAINTS", "REQUIRE_APPROVAL", "DENY"]

default_deny_rule := "mcpgov.default-deny"

# Hits sorted by rule id then decision, so output never depends on the
# order in which packages happen to be walked.
hits := [pair[1] | some pair in sort([[h.rule, h] | some h in all_hits])]

all_hits contains h if {
	some h in data.mcpgov.rules[_].hits
}

# A hit whose decision is not one of the four is a policy bug; it is
# turned into a DENY so that a typo never allows a call.
malformed contains h.rule if {
	some h in all_hits
	not rank[h.decision]
}

malformed contains h.rule if {
	some h in all_hits
	not is_object(h.constraints)
}

winning := by_rank[max({rank[h.decision] | some h in all_hits})] if count(malformed) == 0

merged := constraints.merge([h.constraints | some h in hits])

result := deny_result(default_deny_rule, "no rule matched this call; mcpgov denies by default") if count(all_hits) == 0

result := deny_result(
	"mcpgov.malformed-hit",
	concat("", ["rule(s) ", concat(", ", sort(malformed)), " reported an unknown decision or non-object constraints"]),
) if count(malformed) > 0

result := deny_result(
	"mcpgov.constraint-conflict",
	concat("", ["rules disagree on constraint(s) ", concat(", ", sort(merged.conflicts))]),
) if {
	count(all_hits) > 0
	count(malformed) == 0
	count(merged.conflicts) > 0
}

result := {
	"decision": winning,
	"rules": [h.rule | some h in hits; h.decision == winning],
	"reason": concat("; ", [concat(": ", [h.rule, h.reason]) | some h in hits; h.decision == winning]),
	"constraints": merged.constraints,
	"matched": [{"rule": h.rule, "decision": h.decision} | some h in hits],
} if {
	count(all_hits) > 0
	count(malformed) == 0
	count(merged.conflicts) == 0
}

deny_result(rule_id, reason) := {
	"decision": "DENY",
	"rules": [rule_id],
	"reason": concat(": ", [rule_id, reason]),
	"constraints": {},
	"matched": [{"rule": h.rule, "decision": h.decision} | some h in hits],
}
