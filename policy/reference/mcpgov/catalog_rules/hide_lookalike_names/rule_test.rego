package mcpgov.catalog_rules.hide_lookalike_names_test

import rego.v1

import data.mcpgov.catalog.fixtures_test as f
import data.mcpgov.catalog_rules.hide_lookalike_names as rule

test_confusable_collision_hides if {
	some h in rule.hits with input as f.catalog_input([f.finding("name_collision_confusable", "$.name", "high")])
	h.decision == "HIDE"
}

test_case_collision_does_not_hit if {
	count(rule.hits) == 0 with input as f.catalog_input([f.finding("name_collision_case", "$.name", "medium")])
}
