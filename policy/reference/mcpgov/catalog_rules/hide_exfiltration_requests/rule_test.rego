package mcpgov.catalog_rules.hide_exfiltration_requests_test

import rego.v1

import data.mcpgov.catalog.fixtures_test as f
import data.mcpgov.catalog_rules.hide_exfiltration_requests as rule

test_request_and_path_hide if {
	some h in rule.hits with input as f.catalog_input([
		f.finding("precondition_phrase", "$.description", "medium"),
		f.finding("sensitive_path", "$.inputSchema.properties.note.description", "medium"),
	])
	h.decision == "HIDE"
	h.types == ["precondition_phrase", "sensitive_path"]
	contains(h.reason, "$.inputSchema.properties.note.description")
}

test_path_alone_does_not_hit if {
	count(rule.hits) == 0 with input as f.catalog_input([f.finding("sensitive_path", "$.description", "medium")])
}

test_request_alone_does_not_hit if {
	count(rule.hits) == 0 with input as f.catalog_input([f.finding("precondition_phrase", "$.description", "medium")])
}
