package mcpgov.output_test

import rego.v1

import data.mcpgov.lib.output_fixtures_test as f
import data.mcpgov.lib.result as res
import data.mcpgov.output

decide(doc, rules) := r if {
	r := output.result with input as doc with data.mcpgov.output_rules as rules
}

test_no_hit_passes if {
	r := decide(f.clean, {})
	r.decision == "PASS"
	r.rules == ["mcpgov.output.default-pass"]
	r.redact_types == []
}

test_redact_names_types if {
	r := decide(f.email, {"a": {"hits": {res.redact("a", "pii", ["email"])}}})
	r.decision == "REDACT"
	r.rules == ["a"]
	r.reason == "a: pii"
	r.redact_types == ["email"]
}

test_quarantine_beats_redact if {
	r := decide(f.email_and_private_key, {
		"a": {"hits": {res.redact("a", "pii", ["email"])}},
		"b": {"hits": {res.quarantine("b", "key", ["private_key"])}},
		"c": {"hits": {res.pass("c", "fine")}},
	})
	r.decision == "QUARANTINE"
	r.rules == ["b"]
	r.matched == [
		{"rule": "a", "decision": "REDACT"},
		{"rule": "b", "decision": "QUARANTINE"},
		{"rule": "c", "decision": "PASS"},
	]
}

test_redact_types_union if {
	r := decide(f.email, {
		"a": {"hits": {res.redact("a", "pii", ["email", "phone"])}},
		"b": {"hits": {res.redact("b", "tok", ["jwt", "email"])}},
	})
	r.redact_types == ["email", "jwt", "phone"]
	r.rules == ["a", "b"]
}

test_scan_error_quarantines_without_rules if {
	r := decide(f.scan_failed, {})
	r.decision == "QUARANTINE"
	r.rules == ["mcpgov.output.scan-error"]
}

test_scan_error_beats_a_pass if {
	r := decide(f.scan_failed, {"p": {"hits": {res.pass("p", "fine")}}})
	r.decision == "QUARANTINE"
}

test_oversize_quarantines if {
	r := decide(f.oversize, {})
	r.decision == "QUARANTINE"
	r.rules == ["mcpgov.output.not-fully-scanned"]
	contains(r.reason, "oversize")
}

test_finding_limit_quarantines if {
	r := decide(f.output_input([f.finding("finding_limit", "limit", 1)], false), {})
	r.decision == "QUARANTINE"
}

test_invalid_input_quarantines if {
	r := decide({"version": "v1"}, {})
	r.decision == "QUARANTINE"
	r.rules == ["mcpgov.output.invalid-input"]
}

test_malformed_hit_quarantines if {
	r := decide(f.clean, {"x": {"hits": {{"rule": "x", "decision": "MAYBE", "reason": "?", "types": []}}}})
	r.decision == "QUARANTINE"
	r.rules == ["mcpgov.output.malformed-hit"]
	contains(r.reason, "x")
}

test_non_object_hit_quarantines if {
	r := decide(f.clean, {"x": {"hits": {"oops"}}})
	r.decision == "QUARANTINE"
}
