package mcpgov.lib.output_result_test

import rego.v1

import data.mcpgov.lib.result

test_redact_names_its_types if {
	result.redact("r", "why", ["email"]) == {"rule": "r", "decision": "REDACT", "reason": "why", "types": ["email"]}
}

test_pass_has_no_types if {
	result.pass("p", "fine").types == []
}

test_quarantine_decision if {
	result.quarantine("q", "bad", ["private_key"]).decision == "QUARANTINE"
}
