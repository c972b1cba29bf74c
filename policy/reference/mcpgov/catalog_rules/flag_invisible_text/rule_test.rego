package mcpgov.catalog_rules.flag_invisible_text_test

import rego.v1

import data.mcpgov.catalog.fixtures_test as f
import data.mcpgov.catalog_rules.flag_invisible_text as rule

test_zero_width_flags if {
	some h in rule.hits with input as f.zero_width
	h.decision == "FLAG"
	h.types == ["zero_width"]
}

test_whitespace_run_flags if {
	some h in rule.hits with input as f.catalog_input([f.finding("whitespace_run", "$.description", "medium")])
	h.types == ["whitespace_run"]
}

test_clean_does_not_hit if {
	count(rule.hits) == 0 with input as f.clean
}
