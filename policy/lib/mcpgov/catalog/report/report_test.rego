package mcpgov.catalog.report_test

import rego.v1

import data.mcpgov.catalog.report

test_hide_names_types if {
	report.hide("r", "why", ["instruction_tag"]) == {"rule": "r", "decision": "HIDE", "reason": "why", "types": ["instruction_tag"]}
}

test_pass_has_no_types if {
	report.pass("p", "fine").types == []
}

test_present_is_sorted_and_filtered if {
	report.present({"a", "b"}) == ["a", "b"] with input as {"findings": [
		{"type": "b", "field": "$.x", "severity": "high"},
		{"type": "c", "field": "$.y", "severity": "low"},
		{"type": "a", "field": "$.z", "severity": "low"},
	]}
}
