# METADATA
# title: redact-tokens
# description: |
#   API tokens, JWTs, passwords in URLs and generic secrets are redacted from the output.
#   Types and threshold: data.mcpgov.config.output.redact_tokens.
package mcpgov.output_rules.redact_tokens

import rego.v1

import data.mcpgov.lib.result

config := data.mcpgov.config.output.redact_tokens

matched contains f.type if {
	some f in input.findings
	f.type in config.types
	f.max_confidence >= config.min_confidence
}

hits contains result.redact(
	"redact-tokens",
	concat("", ["token or secret in the output: ", concat(", ", sort(matched))]),
	sort(matched),
) if {
	count(matched) > 0
}
