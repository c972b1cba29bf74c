# METADATA
# title: quarantine-credentials
# description: |
#   A private key or cloud credential in an output withholds the whole output: redacting one such value does not make the rest safe to hand on.
#   Types and threshold: data.mcpgov.config.output.quarantine_credentials.
package mcpgov.output_rules.quarantine_credentials

import rego.v1

import data.mcpgov.lib.result

config := data.mcpgov.config.output.quarantine_credentials

matched contains f.type if {
	some f in input.findings
	f.type in config.types
	f.max_confidence >= config.min_confidence
}

hits contains result.quarantine(
	"quarantine-credentials",
	concat("", ["private key or cloud credential in the output: ", concat(", ", sort(matched))]),
	sort(matched),
) if {
	count(matched) > 0
}
