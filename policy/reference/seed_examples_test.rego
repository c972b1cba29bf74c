package mcpgov.reference.seed_examples_test

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
	r.constraints == {"max_runtime_sec": 30, "network_allowlist": ["api.github.com", "api.slack.com"]}
}

test_seed_unregistered_denied if {
	r := decision.result with input as f.unregistered_read
	r.decision == "DENY"
	r.rules == ["deny-unregistered-server"]
}

test_untagged_write_is_default_deny if {
	r := decision.result with input as f.untagged_write
	r.decision == "DENY"
	r.rules == ["mcpgov.default-deny"]
}

test_destructive_non_prod_needs_approval_with_merged_constraints if {
	# both constrain-non-prod-write and require-approval-destructive hit
	r := decision.result with input as f.destructive_non_prod
	r.decision == "REQUIRE_APPROVAL"
	r.rules == ["require-approval-destructive"]
	r.constraints.max_runtime_sec == 30
	count(r.matched) == 2
}
