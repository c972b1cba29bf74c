# METADATA
# title: hide-instruction-text
# description: |
#   Text that frames itself as instructions to the model (instruction tags, "ignore previous instructions", "do not tell the user") hides the definition: a description is for the user, not a channel to the model.
#   Finding types: data.mcpgov.config.catalog.hide_instruction_text.types.
package mcpgov.catalog_rules.hide_instruction_text

import rego.v1

import data.mcpgov.catalog.report

config := data.mcpgov.config.catalog.hide_instruction_text

matched := report.present(config.types)

hits contains report.hide(
	"hide-instruction-text",
	concat("", ["instructions to the model in the definition: ", concat(", ", matched), " at ", concat(", ", report.fields(config.types))]),
	matched,
) if {
	count(matched) > 0
}
