package mcpgov.catalog_test

import rego.v1

import data.mcpgov.catalog
import data.mcpgov.catalog.fixtures_test as f
import data.mcpgov.catalog.report

decide(doc, rules) := r if {
	r := catalog.result with input as doc with data.mcpgov.catalog_rules as rules
}

test_no_hit_passes if {
	r := decide(f.clean, {})
	r.decision == "PASS"
	r.rules == ["mcpgov.catalog.default-pass"]
}

test_findings_without_rules_pass if {
	decide(f.tagged, {}).decision == "PASS"
}

test_hide_beats_flag_beats_pass if {
	r := decide(f.tagged, {
		"a": {"hits": {report.flag("a", "odd", ["zero_width"])}},
		"b": {"hits": {report.hide("b", "tag", ["instruction_tag"])}},
		"c": {"hits": {report.pass("c", "fine")}},
	})
	r.decision == "HIDE"
	r.rules == ["b"]
	r.reason == "b: tag"
	r.matched == [
		{"rule": "a", "decision": "FLAG"},
		{"rule": "b", "decision": "HIDE"},
		{"rule": "c", "decision": "PASS"},
	]
}

test_flag_names_every_flagging_rule if {
	r := decide(f.zero_width, {
		"a": {"hits": {report.flag("a", "one", ["zero_width"])}},
		"b": {"hits": {report.flag("b", "two", ["zero_width"])}},
	})
	r.decision == "FLAG"
	r.rules == ["a", "b"]
	r.reason == "a: one; b: two"
}

test_malformed_hit_hides if {
	r := decide(f.clean, {"bad": {"hits": {{"rule": "bad", "decision": "MAYBE", "reason": "x", "types": []}}}})
	r.decision == "HIDE"
	r.rules == ["mcpgov.catalog.malformed-hit"]
	contains(r.reason, "bad")
}

test_non_object_hit_hides if {
	r := decide(f.clean, {"bad": {"hits": {"just a string"}}})
	r.decision == "HIDE"
	contains(r.reason, "(a hit that is not an object)")
}

test_truncated_scan_hides_whatever_rules_say if {
	r := decide(f.truncated, {"p": {"hits": {report.pass("p", "fine")}}})
	r.decision == "HIDE"
	r.rules == ["mcpgov.catalog.not-fully-scanned"]
}

test_invalid_input_hides if {
	decide({"version": "v1"}, {}).rules == ["mcpgov.catalog.invalid-input"]
	decide("nonsense", {}).decision == "HIDE"
	decide(object.union(f.clean, {"version": "v2"}), {}).decision == "HIDE"
	decide(f.catalog_input([{"field": "$.x"}]), {}).decision == "HIDE"
}
