package mcpgov.catalog_rules.flag_sensitive_mentions_test

import rego.v1

import data.mcpgov.catalog.fixtures_test as f
import data.mcpgov.catalog_rules.flag_sensitive_mentions as rule

test_sensitive_path_flags if {
	some h in rule.hits with input as f.catalog_input([f.finding("sensitive_path", "$.description", "medium")])
	h.decision == "FLAG"
	h.types == ["sensitive_path"]
}

test_tag_does_not_hit if {
	count(rule.hits) == 0 with input as f.tagged
}
