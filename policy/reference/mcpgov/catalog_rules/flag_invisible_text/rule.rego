# METADATA
# title: flag-invisible-text
# description: |
#   Zero-width characters alone or long whitespace runs are flagged, not hidden: they also come from copy-paste and generated docs, but can push text out of a reviewer's view.
#   Finding types: data.mcpgov.config.catalog.flag_invisible_text.types.
package mcpgov.catalog_rules.flag_invisible_text

import rego.v1

import data.mcpgov.catalog.report

config := data.mcpgov.config.catalog.flag_invisible_text

matched := report.present(config.types)

hits contains report.flag(
	"flag-invisible-text",
	concat("", ["invisible text in the definition: ", concat(", ", matched), " at ", concat(", ", report.fields(config.types))]),
	matched,
) if {
	count(matched) > 0
}
