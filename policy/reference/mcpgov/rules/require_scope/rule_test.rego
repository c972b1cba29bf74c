package mcpgov.rules.require_scope_test

import rego.v1

import data.mcpgov.lib.fixtures_test as f
import data.mcpgov.rules.require_scope as rule

with_scopes(envelope, scopes) := object.union(envelope, {"subject": {"scopes": scopes}})

test_write_without_write_scope_is_denied_naming_the_scope if {
	some h in rule.hits with input as with_scopes(f.write_prod, ["mcp:read"])
	h.decision == "DENY"
	h.rule == "require-scope"
	h.reason == "token lacks scope \"mcp:write\" needed for write calls"
}

test_write_with_write_scope_does_not_hit if {
	count(rule.hits) == 0 with input as with_scopes(f.write_prod, ["mcp:write"])
}

test_read_needs_the_read_scope if {
	some h in rule.hits with input as with_scopes(f.read_prod, [])
	h.reason == "token lacks scope \"mcp:read\" needed for read calls"
	count(rule.hits) == 0 with input as with_scopes(f.read_prod, ["mcp:read"])
}

test_destructive_needs_the_destructive_scope if {
	some h in rule.hits with input as with_scopes(f.destructive_non_prod, ["mcp:read", "mcp:write"])
	h.reason == "token lacks scope \"mcp:destructive\" needed for destructive calls"
}

test_higher_scopes_do_not_imply_lower_ones if {
	some h in rule.hits with input as with_scopes(f.write_prod, ["mcp:destructive"])
	h.reason == "token lacks scope \"mcp:write\" needed for write calls"
	some r in rule.hits with input as with_scopes(f.read_prod, ["mcp:write", "mcp:destructive"])
	r.reason == "token lacks scope \"mcp:read\" needed for read calls"
}

test_unknown_action_needs_the_destructive_scope if {
	unknown := object.union(with_scopes(f.read_prod, ["mcp:read", "mcp:write"]), {"labels": {"mcp.action": "launch"}})
	some h in rule.hits with input as unknown
	h.reason == "token lacks scope \"mcp:destructive\" needed for destructive calls"
}

test_missing_subject_or_labels_is_the_worst_case if {
	some h in rule.hits with input as object.remove(f.read_prod, ["subject", "labels"])
	h.reason == "token lacks scope \"mcp:destructive\" needed for destructive calls"
}

test_scopes_come_from_data if {
	count(rule.hits) == 0 with input as with_scopes(f.write_prod, ["tickets:write"])
		with data.mcpgov.config.required_scopes.write as "tickets:write"
}
