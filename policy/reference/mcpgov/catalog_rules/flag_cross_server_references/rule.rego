# METADATA
# title: flag-cross-server-references
# description: |
#   A definition that mentions another registered server or its tools, or whose name differs from another server's tool only in case, is flagged: it may try to steer calls across servers (tool shadowing).
#   Finding types: data.mcpgov.config.catalog.flag_cross_server_references.types.
package mcpgov.catalog_rules.flag_cross_server_references

import rego.v1

import data.mcpgov.catalog.report

config := data.mcpgov.config.catalog.flag_cross_server_references

matched := report.present(config.types)

hits contains report.flag(
	"flag-cross-server-references",
	concat("", ["refers to or shadows another server: ", concat(", ", matched), " at ", concat(", ", report.fields(config.types))]),
	matched,
) if {
	count(matched) > 0
}
