package mcpgov.rules.deny_unregistered_server_test

import rego.v1

import data.mcpgov.lib.fixtures_test as f
import data.mcpgov.rules.deny_unregistered_server as rule

test_unregistered_server_is_denied if {
	some h in rule.hits with input as f.unregistered_read
	h.decision == "DENY"
	h.reason == "server \"shadow\" is not in the registry"
}

test_missing_server_block_is_unregistered if {
	some h in rule.hits with input as object.remove(f.read_prod, ["server"])
	h.decision == "DENY"
}

test_registered_server_does_not_hit if {
	count(rule.hits) == 0 with input as f.read_prod
}
