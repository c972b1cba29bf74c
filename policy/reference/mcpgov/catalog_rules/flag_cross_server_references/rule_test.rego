package mcpgov.catalog_rules.flag_cross_server_references_test

import rego.v1

import data.mcpgov.catalog.fixtures_test as f
import data.mcpgov.catalog_rules.flag_cross_server_references as rule

test_tool_reference_flags if {
	some h in rule.hits with input as f.catalog_input([f.finding("cross_server_tool_reference", "$.outputSchema.description", "medium")])
	h.decision == "FLAG"
}

test_case_collision_flags if {
	some h in rule.hits with input as f.catalog_input([f.finding("name_collision_case", "$.name", "medium")])
	h.types == ["name_collision_case"]
}

test_lookalike_does_not_hit if {
	count(rule.hits) == 0 with input as f.catalog_input([f.finding("name_collision_confusable", "$.name", "high")])
}
