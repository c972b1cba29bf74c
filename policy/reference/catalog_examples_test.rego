package mcpgov.reference.catalog_examples_test

import rego.v1

import data.mcpgov.catalog
import data.mcpgov.catalog.fixtures_test as f

test_reference_hides_a_poisoned_parameter if {
	r := catalog.result with input as f.catalog_input([
		f.finding("concealment_phrase", "$.inputSchema.properties.note.description", "high"),
		f.finding("sensitive_path", "$.inputSchema.properties.note.description", "medium"),
	])
	r.decision == "HIDE"
	r.rules == ["hide-instruction-text"]
	r.matched == [{"rule": "flag-sensitive-mentions", "decision": "FLAG"}, {"rule": "hide-instruction-text", "decision": "HIDE"}]
}

test_reference_flags_zero_width_alone if {
	r := catalog.result with input as f.zero_width
	r.decision == "FLAG"
	r.rules == ["flag-invisible-text"]
}

test_reference_passes_a_clean_definition if {
	r := catalog.result with input as f.clean
	r.decision == "PASS"
	r.rules == ["mcpgov.catalog.default-pass"]
}
