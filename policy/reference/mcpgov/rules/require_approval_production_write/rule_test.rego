package mcpgov.rules.require_approval_production_write_test

import rego.v1

import data.mcpgov.lib.fixtures_test as f
import data.mcpgov.rules.require_approval_production_write as rule

test_production_write_needs_approval if {
	some h in rule.hits with input as f.write_prod
	h.decision == "REQUIRE_APPROVAL"
	h.constraints == {"max_runtime_sec": 60, "max_retries": 1}
}

test_non_prod_write_does_not_hit if {
	count(rule.hits) == 0 with input as f.write_non_prod
}

test_production_read_does_not_hit if {
	count(rule.hits) == 0 with input as f.read_prod
}
