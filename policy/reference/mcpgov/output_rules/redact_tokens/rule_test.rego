package mcpgov.output_rules.redact_tokens_test

import rego.v1

import data.mcpgov.lib.output_fixtures_test as f
import data.mcpgov.output_rules.redact_tokens as rule

test_github_token_is_redacted if {
	some h in rule.hits with input as f.output_input([f.finding("github_token", "secret", 0.97)], false)
	h.decision == "REDACT"
	h.types == ["github_token"]
}

test_stripe_test_key_is_left if {
	count(rule.hits) == 0 with input as f.output_input([f.finding("stripe_key", "secret", 0.3)], false)
}

test_private_key_is_not_a_token if {
	count(rule.hits) == 0 with input as f.private_key
}
