# METADATA
# title: hide-exfiltration-requests
# description: |
#   A definition that asks for something before the tool is used (read a
#   file, pass its contents as an argument) and names a credential or
#   agent-config path is hidden: that is the shape of a tool poisoning
#   attack, whichever fields the two parts sit in.
#   Finding types: data.mcpgov.config.catalog.hide_exfiltration_requests.
package mcpgov.catalog_rules.hide_exfiltration_requests

import rego.v1

import data.mcpgov.catalog.report

config := data.mcpgov.config.catalog.hide_exfiltration_requests

requests := report.present(config.requests)

targets := report.present(config.targets)

types := sort(array.concat(requests, targets))

hits contains report.hide(
	"hide-exfiltration-requests",
	concat("", ["asks to read or send a sensitive file: ", concat(", ", types), " at ", concat(", ", report.fields(array.concat(config.requests, config.targets)))]),
	types,
) if {
	count(requests) > 0
	count(targets) > 0
}
