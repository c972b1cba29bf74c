package mcpgov.output_rules.quarantine_credentials_test

import rego.v1

import data.mcpgov.lib.output_fixtures_test as f
import data.mcpgov.output_rules.quarantine_credentials as rule

test_private_key_quarantines if {
	some h in rule.hits with input as f.private_key
	h.decision == "QUARANTINE"
	h.types == ["private_key"]
}

test_cloud_keys_quarantine_at_any_confidence if {
	some h in rule.hits with input as f.output_input([f.finding("aws_secret_key", "secret", 0.1), f.finding("gcp_api_key", "secret", 0.7)], false)
	h.types == ["aws_secret_key", "gcp_api_key"]
}

test_email_does_not_hit if {
	count(rule.hits) == 0 with input as f.email
}
