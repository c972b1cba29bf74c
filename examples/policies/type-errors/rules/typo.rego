# A misspelt input field: the build names it and lists the real ones.
package mcpgov.rules.typo

import rego.v1

import data.mcpgov.lib.result

hits contains result.deny("no-etc-writes", "writes under /etc are refused") if {
	input.call.tool == "write_file"
	startswith(
	input.call.argumnets.path, "/etc/")
}
