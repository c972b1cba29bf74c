package mcpgov.decision_test

import rego.v1

import data.mcpgov.decision
import data.mcpgov.lib.fixtures_test as f

test_seed_read_allowed if {
	r := decision.result with input as f.read_prod
	r.decision == "ALLOW"
	r.rules == ["allow-read-registered-server"]
}

test_seed_production_write_requires_approval if {
	r := decision.result with input as f.write_prod
	r.decision == "REQUIRE_APPROVAL"
	r.constraints == {"max_runtime_sec": 60, "max_retries": 1}
}

test_seed_non_prod_write_constrained if {
	r := decision.result with input as f.write_non_prod
	r.decision == "ALLOW_WITH_CONSTRAINTS"
	r.constraints.max_runtime_sec == 30
}

test_seed_unregistered_denied if {
	r := decision.result with input as f.unregistered_read
	r.decision == "DENY"
	r.rules == ["deny-unregistered-server"]
}

test_no_match_is_default_deny if {
	r := decision.result with input as f.untagged_write
	r.decision == "DENY"
	r.rules == ["mcpgov.default-deny"]
}

test_most_restrictive_wins_and_constraints_merge if {
	# destructive on non_prod: ALLOW_WITH_CONSTRAINTS and REQUIRE_APPROVAL both hit
	r := decision.result with input as f.destructive_non_prod
	r.decision == "REQUIRE_APPROVAL"
	r.rules == ["require-approval-destructive"]
	r.constraints.max_runtime_sec == 30
	count(r.matched) == 2
}

test_constraints_merge_to_tightest if {
	r := decision.result with input as f.write_non_prod
		with data.mcpgov.rules.extra.hits as {
			{"rule": "b", "decision": "ALLOW_WITH_CONSTRAINTS", "reason": "x", "constraints": {"max_runtime_sec": 10, "max_retries": 3, "network_allowlist": ["api.github.com", "other.test"]}},
			{"rule": "c", "decision": "ALLOW", "reason": "y", "constraints": {"max_retries": 2}},
		}
	r.decision == "ALLOW_WITH_CONSTRAINTS"
	r.constraints == {"max_runtime_sec": 10, "max_retries": 2, "network_allowlist": ["api.github.com"]}
	r.rules == ["b", "constrain-non-prod-write"]
}

test_deny_beats_everything if {
	r := decision.result with input as f.write_prod
		with data.mcpgov.rules.extra.hits as {{"rule": "z-deny", "decision": "DENY", "reason": "no", "constraints": {}}}
	r.decision == "DENY"
	r.rules == ["z-deny"]
}

test_unknown_decision_fails_closed if {
	r := decision.result with input as f.read_prod
		with data.mcpgov.rules.extra.hits as {{"rule": "typo", "decision": "ALOW", "reason": "x", "constraints": {}}}
	r.decision == "DENY"
	r.rules == ["mcpgov.malformed-hit"]
}

test_conflicting_constraint_fails_closed if {
	r := decision.result with input as f.write_prod
		with data.mcpgov.rules.extra.hits as {
			{"rule": "g1", "decision": "REQUIRE_APPROVAL", "reason": "x", "constraints": {"approver_group": "sre"}},
			{"rule": "g2", "decision": "REQUIRE_APPROVAL", "reason": "y", "constraints": {"approver_group": "security"}},
		}
	r.decision == "DENY"
	r.rules == ["mcpgov.constraint-conflict"]
}

test_agreeing_extra_constraint_kept if {
	r := decision.result with input as f.write_prod
		with data.mcpgov.rules.extra.hits as {{"rule": "g1", "decision": "REQUIRE_APPROVAL", "reason": "x", "constraints": {"approver_group": "sre"}}}
	r.constraints.approver_group == "sre"
}
