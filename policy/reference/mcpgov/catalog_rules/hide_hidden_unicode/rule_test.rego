package mcpgov.catalog_rules.hide_hidden_unicode_test

import rego.v1

import data.mcpgov.catalog.fixtures_test as f
import data.mcpgov.catalog_rules.hide_hidden_unicode as rule

test_tag_chars_hide if {
	some h in rule.hits with input as f.catalog_input([f.finding("unicode_tag_chars", "$.title", "high")])
	h.decision == "HIDE"
	h.types == ["unicode_tag_chars"]
}

test_bidi_hides if {
	some h in rule.hits with input as f.catalog_input([f.finding("bidi_control", "$.description", "high")])
	h.types == ["bidi_control"]
}

test_zero_width_alone_does_not_hit if {
	count(rule.hits) == 0 with input as f.zero_width
}
