# METADATA
# title: redact-pii
# description: |
#   Personal data (email, phone, card, IBAN, SSN, IP address) found with enough confidence is redacted from the output.
#   Types and threshold: data.mcpgov.config.output.redact_pii.
package mcpgov.output_rules.redact_pii

import rego.v1

import data.mcpgov.lib.result

config := data.mcpgov.config.output.redact_pii

matched contains f.type if {
	some f in input.findings
	f.type in config.types
	f.max_confidence >= config.min_confidence
}

hits contains result.redact(
	"redact-pii",
	concat("", ["personal data in the output: ", concat(", ", sort(matched))]),
	sort(matched),
) if {
	count(matched) > 0
}
