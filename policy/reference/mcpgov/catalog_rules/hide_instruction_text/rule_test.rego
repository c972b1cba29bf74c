package mcpgov.catalog_rules.hide_instruction_text_test

import rego.v1

import data.mcpgov.catalog.fixtures_test as f
import data.mcpgov.catalog_rules.hide_instruction_text as rule

test_instruction_tag_hides if {
	some h in rule.hits with input as f.tagged
	h.decision == "HIDE"
	h.types == ["instruction_tag"]
	contains(h.reason, "$.description")
}

test_phrases_hide if {
	some h in rule.hits with input as f.catalog_input([
		f.finding("override_phrase", "$.description", "high"),
		f.finding("concealment_phrase", "$.inputSchema.properties.a.description", "high"),
	])
	h.types == ["concealment_phrase", "override_phrase"]
}

test_zero_width_does_not_hit if {
	count(rule.hits) == 0 with input as f.zero_width
}
