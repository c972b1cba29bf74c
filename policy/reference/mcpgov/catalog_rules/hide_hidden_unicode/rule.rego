# METADATA
# title: hide-hidden-unicode
# description: |
#   Unicode tag characters and bidi controls hide the definition: they carry text a reviewer cannot see or reorder what they see, and no honest tool description needs them.
#   Finding types: data.mcpgov.config.catalog.hide_hidden_unicode.types.
package mcpgov.catalog_rules.hide_hidden_unicode

import rego.v1

import data.mcpgov.catalog.report

config := data.mcpgov.config.catalog.hide_hidden_unicode

matched := report.present(config.types)

hits contains report.hide(
	"hide-hidden-unicode",
	concat("", ["invisible or reordering Unicode in the definition: ", concat(", ", matched), " at ", concat(", ", report.fields(config.types))]),
	matched,
) if {
	count(matched) > 0
}
