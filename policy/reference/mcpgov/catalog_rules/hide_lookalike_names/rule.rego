# METADATA
# title: hide-lookalike-names
# description: |
#   A tool whose name passes for another registered server's tool through lookalike letters (Cyrillic, Greek, fullwidth) is hidden: a model would call it thinking it calls the other.
#   Finding types: data.mcpgov.config.catalog.hide_lookalike_names.types.
package mcpgov.catalog_rules.hide_lookalike_names

import rego.v1

import data.mcpgov.catalog.report

config := data.mcpgov.config.catalog.hide_lookalike_names

matched := report.present(config.types)

hits contains report.hide(
	"hide-lookalike-names",
	concat("", ["name imitates another server's tool: ", concat(", ", matched), " at ", concat(", ", report.fields(config.types))]),
	matched,
) if {
	count(matched) > 0
}
