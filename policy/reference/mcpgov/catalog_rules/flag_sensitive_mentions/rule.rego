# METADATA
# title: flag-sensitive-mentions
# description: |
#   A definition that names credential or agent-config paths, or asks for something before the tool is used, is flagged for review; together they hide (hide-exfiltration-requests).
#   Finding types: data.mcpgov.config.catalog.flag_sensitive_mentions.types.
package mcpgov.catalog_rules.flag_sensitive_mentions

import rego.v1

import data.mcpgov.catalog.report

config := data.mcpgov.config.catalog.flag_sensitive_mentions

matched := report.present(config.types)

hits contains report.flag(
	"flag-sensitive-mentions",
	concat("", ["sensitive paths or preconditions in the definition: ", concat(", ", matched), " at ", concat(", ", report.fields(config.types))]),
	matched,
) if {
	count(matched) > 0
}
