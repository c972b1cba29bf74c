package mcpgov.rules.allow_read_registered_test

import rego.v1

import data.mcpgov.lib.fixtures_test as f
import data.mcpgov.rules.allow_read_registered

test_read_on_registered_server_hits if {
	some h in allow_read_registered.hits with input as f.read_prod
	h.decision == "ALLOW"
	h.rule == "allow-read-registered-server"
}

test_write_does_not_hit if {
	count(allow_read_registered.hits) == 0 with input as f.write_prod
}

test_unregistered_read_does_not_hit if {
	count(allow_read_registered.hits) == 0 with input as f.unregistered_read
}
