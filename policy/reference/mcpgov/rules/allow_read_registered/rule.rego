# METADATA
# title: allow-read-registered-server
# description: A read-only call to a server in the registry runs at once.
package mcpgov.rules.allow_read_registered

import rego.v1

import data.mcpgov.lib.envelope as env
import data.mcpgov.lib.result

hits contains result.allow("allow-read-registered-server", "read on a registered server") if {
	env.registered
	env.is_read
}
