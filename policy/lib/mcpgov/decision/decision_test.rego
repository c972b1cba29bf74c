package mcpgov.decision_test

import rego.v1

import data.mcpgov.decision
import data.mcpgov.lib.fixtures_test as f

hit(id, kind, constraints) := {"rule": id, "decision": kind, "reason": concat(" ", ["reason of", id]), "constraints": constraints}

decide(rules) := r if {
	r := decision.result with input as f.read_prod with data.mcpgov.rules as rules
}

test_no_hit_is_default_deny if {
	r := decide({})
	r.decision == "DENY"
	r.rules == ["mcpgov.default-deny"]
	r.matched == []
}

test_single_allow if {
	r := decide({"a": {"hits": {hit("a", "ALLOW", {})}}})
	r.decision == "ALLOW"
	r.rules == ["a"]
	r.reason == "a: reason of a"
}

test_most_restrictive_wins if {
	r := decide({
		"a": {"hits": {hit("a", "ALLOW", {})}},
		"b": {"hits": {hit("b", "ALLOW_WITH_CONSTRAINTS", {"max_runtime_sec": 5})}},
		"c": {"hits": {hit("c", "REQUIRE_APPROVAL", {})}},
	})
	r.decision == "REQUIRE_APPROVAL"
	r.rules == ["c"]
	r.matched == [
		{"rule": "a", "decision": "ALLOW"},
		{"rule": "b", "decision": "ALLOW_WITH_CONSTRAINTS"},
		{"rule": "c", "decision": "REQUIRE_APPROVAL"},
	]
}

test_deny_beats_everything if {
	r := decide({
		"c": {"hits": {hit("c", "REQUIRE_APPROVAL", {})}},
		"d": {"hits": {hit("d", "DENY", {})}},
	})
	r.decision == "DENY"
	r.rules == ["d"]
}

test_every_rule_of_the_winning_kind_is_named if {
	r := decide({
		"x": {"hits": {hit("x", "DENY", {})}},
		"y": {"hits": {hit("y", "DENY", {})}},
	})
	r.rules == ["x", "y"]
	r.reason == "x: reason of x; y: reason of y"
}

test_constraints_merge_to_tightest if {
	r := decide({
		"a": {"hits": {hit("a", "ALLOW_WITH_CONSTRAINTS", {"max_runtime_sec": 30, "max_retries": 3, "network_allowlist": ["a.test", "b.test"]})}},
		"b": {"hits": {hit("b", "ALLOW_WITH_CONSTRAINTS", {"max_runtime_sec": 10, "network_allowlist": ["b.test", "c.test"]})}},
		"c": {"hits": {hit("c", "ALLOW", {"max_retries": 1, "approval_timeout_sec": 600})}},
	})
	r.decision == "ALLOW_WITH_CONSTRAINTS"
	r.constraints == {"max_runtime_sec": 10, "max_retries": 1, "network_allowlist": ["b.test"], "approval_timeout_sec": 600}
}

test_disjoint_allowlists_allow_no_host if {
	r := decide({
		"a": {"hits": {hit("a", "ALLOW_WITH_CONSTRAINTS", {"network_allowlist": ["a.test"]})}},
		"b": {"hits": {hit("b", "ALLOW_WITH_CONSTRAINTS", {"network_allowlist": ["b.test"]})}},
	})
	r.constraints.network_allowlist == []
}

test_unknown_decision_fails_closed if {
	r := decide({
		"a": {"hits": {hit("a", "ALLOW", {})}},
		"t": {"hits": {hit("typo", "ALOW", {})}},
	})
	r.decision == "DENY"
	r.rules == ["mcpgov.malformed-hit"]
}

test_conflicting_constraint_fails_closed if {
	r := decide({
		"g1": {"hits": {hit("g1", "REQUIRE_APPROVAL", {"approver_group": "sre"})}},
		"g2": {"hits": {hit("g2", "REQUIRE_APPROVAL", {"approver_group": "security"})}},
	})
	r.decision == "DENY"
	r.rules == ["mcpgov.constraint-conflict"]
	r.reason == "mcpgov.constraint-conflict: rules disagree on constraint(s) approver_group"
}

test_agreeing_extra_constraint_kept if {
	r := decide({
		"g1": {"hits": {hit("g1", "REQUIRE_APPROVAL", {"approver_group": "sre"})}},
		"g2": {"hits": {hit("g2", "ALLOW", {"approver_group": "sre"})}},
	})
	r.constraints == {"approver_group": "sre"}
}

test_non_object_hit_fails_closed if {
	r := decide({
		"a": {"hits": {hit("a", "ALLOW", {})}},
		"n": {"hits": {1}},
	})
	r.decision == "DENY"
	r.rules == ["mcpgov.malformed-hit"]
}

test_hit_without_rule_id_fails_closed if {
	r := decide({"n": {"hits": {{"decision": "ALLOW", "reason": "x", "constraints": {}}}}})
	r.decision == "DENY"
	r.rules == ["mcpgov.malformed-hit"]
}

test_unknown_constraint_denies if {
	r := decide({"n": {"hits": {hit("a", "ALLOW", {"max_tokens": 5})}}})
	r.decision == "DENY"
	r.rules == ["mcpgov.malformed-hit"]
}

test_known_constraints_on_allow_are_kept if {
	r := decide({"n": {"hits": {hit("a", "ALLOW", {"max_runtime_sec": 5})}}})
	r.decision == "ALLOW"
	r.constraints == {"max_runtime_sec": 5}
}

# A single malformed hit takes the short path (no malformed set unless it
# is malformed); its reason is the one many hits get.
test_single_malformed_hit_is_named if {
	r := decide({"n": {"hits": {hit("a", "ALLOW", {"max_tokens": 5})}}})
	r.reason == "mcpgov.malformed-hit: rule(s) a reported an unknown decision, no rule id, non-object constraints or a constraint the gateway does not enforce"
	r.matched == []
}

test_single_non_object_hit_fails_closed if {
	r := decide({"n": {"hits": {"not an object"}}})
	r.decision == "DENY"
	r.rules == ["mcpgov.malformed-hit"]
	startswith(r.reason, "mcpgov.malformed-hit: rule(s) (a hit that is not an object) reported")
}
