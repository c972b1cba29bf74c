# A field compared with a value of the wrong type can never match.
package mcpgov.rules.wrong

import rego.v1

import data.mcpgov.lib.result

hits contains result.deny("no-big-batches", "batches over 100 items are refused") if {
	input.call.arguments_digest == 100
}
