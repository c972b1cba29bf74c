# METADATA
# title: withhold-binary
# description: |
#   Binary items (images, audio, archives: base64 that is not text) cannot be scanned for secrets.
#   They pass by default. Listing MIME type prefixes in data.mcpgov.config.output.withhold_binary.mime_prefixes
#   withholds any output that carries such an item ("image/" for images, "" for every binary type).
package mcpgov.output_rules.withhold_binary

import rego.v1

import data.mcpgov.lib.result

prefixes := object.get(data.mcpgov.config.output, ["withhold_binary", "mime_prefixes"], [])

# An input from before binary items were counted has none.
mime_types := object.get(input, ["binary", "mime_types"], [])

matched contains t if {
	some t in mime_types
	some p in prefixes
	startswith(t, p)
}

hits contains result.quarantine(
	"withhold-binary",
	concat("", ["binary content that cannot be scanned: ", concat(", ", sort(matched))]),
	[],
) if {
	count(matched) > 0
}
