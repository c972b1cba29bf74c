package mcpgov.output_rules.redact_pii_test

import rego.v1

import data.mcpgov.lib.output_fixtures_test as f
import data.mcpgov.output_rules.redact_pii as rule

test_email_is_redacted if {
	some h in rule.hits with input as f.email
	h.decision == "REDACT"
	h.types == ["email"]
}

test_low_confidence_is_left if {
	count(rule.hits) == 0 with input as f.output_input([f.finding("ip_address", "pii", 0.3)], false)
}

test_threshold_is_inclusive if {
	some h in rule.hits with input as f.output_input([f.finding("phone", "pii", 0.5)], false)
	h.types == ["phone"]
}

test_secrets_are_not_pii if {
	count(rule.hits) == 0 with input as f.private_key
}
