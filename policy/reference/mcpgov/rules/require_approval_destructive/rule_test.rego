package mcpgov.rules.require_approval_destructive_test

import rego.v1

import data.mcpgov.lib.fixtures_test as f
import data.mcpgov.rules.require_approval_destructive as rule

test_destructive_needs_approval if {
	some h in rule.hits with input as f.destructive_non_prod
	h.decision == "REQUIRE_APPROVAL"
}

test_plain_write_does_not_hit if {
	count(rule.hits) == 0 with input as f.write_non_prod
}
