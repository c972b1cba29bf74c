# METADATA
# title: Decision combining
# description: |
#   Collects the hits of every rule under data.mcpgov.rules and combines
#   them into one decision: no hit denies; otherwise the most restrictive
#   decision wins (DENY > REQUIRE_APPROVAL > ALLOW_WITH_CONSTRAINTS > ALLOW)
#   and the constraints of all hits merge to the tightest. A malformed hit
#   or a constraint conflict denies. Entrypoint: mcpgov/decision/result.
package mcpgov.decision

import rego.v1

import data.mcpgov.lib.constraints

rank := {"ALLOW": 0, "ALLOW_WITH_CONSTRAINTS": 1, "REQUIRE_APPROVAL": 2, "DENY": 3}

by_rank := ["ALLOW", "ALLOW_WITH_CONSTRAINTS", "REQUIRE_APPROVAL", "DENY"]

default_deny_rule := "mcpgov.default-deny"

all_hits contains h if {
	some h in data.mcpgov.rules[_].hits
}

hit_count := count(all_hits)

# Most calls match exactly one rule; that case skips sorting and merging,
# which is most of the evaluation time in WASM.
single := h if {
	hit_count == 1
	some h in all_hits
}

# A rule's value is computed once per evaluation, a function's on every
# call: both single-hit results ask this.
single_well_formed if well_formed(single)

# The constraints the gateway enforces. A hit with any other key is
# malformed: a constraint nobody enforces must not pass as if it held.
known_constraints := {"max_runtime_sec", "max_retries", "network_allowlist", "approval_timeout_sec", "approver_group"}

well_formed(h) if {
	is_object(h)
	is_string(object.get(h, "rule", null))
	rank[object.get(h, "decision", null)]
	is_object(object.get(h, "constraints", null))
	every k, _ in h.constraints {
		k in known_constraints
	}
}

malformed contains "(a hit that is not an object)" if {
	some h in all_hits
	not is_object(h)
}

malformed contains rule_name(h) if {
	some h in all_hits
	is_object(h)
	not well_formed(h)
}

rule_name(h) := h.rule if is_string(object.get(h, "rule", null))

rule_name(h) := "(unnamed)" if not is_string(object.get(h, "rule", null))

# Hits sorted by rule id, so output never depends on evaluation order.
hits := [pair[1] | some pair in sort([[rule_name(h), h] | some h in all_hits; is_object(h)])]

winning := by_rank[max({rank[h.decision] | some h in all_hits})]

merged := constraints.merge([h.constraints | some h in hits])

result := deny_result(default_deny_rule, "no rule matched this call; mcpgov denies by default", []) if hit_count == 0

result := {
	"decision": single.decision,
	"rules": [single.rule],
	"reason": concat(": ", [single.rule, single.reason]),
	"constraints": constraints.normalise(single.constraints),
	"matched": [{"rule": single.rule, "decision": single.decision}],
} if {
	hit_count == 1
	single_well_formed
}

# A single hit is checked by well_formed alone; the malformed set (which
# checks every hit again) is built only when it is needed.
result := malformed_result if {
	hit_count == 1
	not single_well_formed
}

result := malformed_result if {
	hit_count > 1
	count(malformed) > 0
}

malformed_result := deny_result(
	"mcpgov.malformed-hit",
	concat("", ["rule(s) ", concat(", ", sort(malformed)), " reported an unknown decision, no rule id, non-object constraints or a constraint the gateway does not enforce"]),
	[],
)

result := deny_result(
	"mcpgov.constraint-conflict",
	concat("", ["rules disagree on constraint(s) ", concat(", ", sort(merged.conflicts))]),
	matched,
) if {
	hit_count > 1
	count(malformed) == 0
	count(merged.conflicts) > 0
}

result := {
	"decision": winning,
	"rules": [h.rule | some h in hits; h.decision == winning],
	"reason": concat("; ", [concat(": ", [h.rule, h.reason]) | some h in hits; h.decision == winning]),
	"constraints": merged.constraints,
	"matched": matched,
} if {
	hit_count > 1
	count(malformed) == 0
	count(merged.conflicts) == 0
}

matched := [{"rule": h.rule, "decision": h.decision} | some h in hits]

deny_result(rule_id, reason, matched_hits) := {
	"decision": "DENY",
	"rules": [rule_id],
	"reason": concat(": ", [rule_id, reason]),
	"constraints": {},
	"matched": matched_hits,
}
