# METADATA
# title: deny-unregistered-server
# description: A server that is not in the registry is never reachable.
package mcpgov.rules.deny_unregistered_server

import rego.v1

import data.mcpgov.lib.envelope as env
import data.mcpgov.lib.result

hits contains result.deny(
	"deny-unregistered-server",
	concat("", ["server \"", env.server_id, "\" is not in the registry"]),
) if {
	not env.registered
}
