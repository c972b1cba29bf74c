package mcpgov.rules.clock

import rego.v1

hits contains {"rule": "office-hours"} if {
	time.now_ns() > 0
}
