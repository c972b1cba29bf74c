package mcpgov.reference.seed_examples_test

import rego.v1

import data.mcpgov.decision
import data.mcpgov.lib.fixtures_test as f

# The seed's calls are made with a token that carries every action's scope.
all_scopes := ["mcp:read", "mcp:write", "mcp:destructive"]

scoped(envelope) := object.union(envelope, {"subject": {"scopes": all_scopes}})

test_seed_read_allowed if {
	r := decision.result with input as scoped(f.read_prod)
	r.decision == "ALLOW"
	r.rules == ["allow-read-registered-server"]
}

test_seed_production_write_requires_approval if {
	r := decision.result with input as scoped(f.write_prod)
	r.decision == "REQUIRE_APPROVAL"
	r.constraints == {"max_runtime_sec": 60, "max_retries": 1}
}

test_seed_non_prod_write_constrained if {
	r := decision.result with input as scoped(f.write_non_prod)
	r.decision == "ALLOW_WITH_CONSTRAINTS"
	r.constraints == {"max_runtime_sec": 30, "network_allowlist": ["api.github.com", "api.slack.com"]}
}

test_seed_unregistered_denied if {
	r := decision.result with input as scoped(f.unregistered_read)
	r.decision == "DENY"
	r.rules == ["deny-unregistered-server"]
}

test_untagged_write_is_default_deny if {
	r := decision.result with input as scoped(f.untagged_write)
	r.decision == "DENY"
	r.rules == ["mcpgov.default-deny"]
}

test_destructive_non_prod_needs_approval_with_merged_constraints if {
	# both constrain-non-prod-write and require-approval-destructive hit
	r := decision.result with input as scoped(f.destructive_non_prod)
	r.decision == "REQUIRE_APPROVAL"
	r.rules == ["require-approval-destructive"]
	r.constraints.max_runtime_sec == 30
	count(r.matched) == 2
}

test_write_without_write_scope_is_denied_naming_the_scope if {
	r := decision.result with input as object.union(f.write_non_prod, {"subject": {"scopes": ["mcp:read"]}})
	r.decision == "DENY"
	r.rules == ["require-scope"]
	r.reason == "require-scope: token lacks scope \"mcp:write\" needed for write calls"
}

test_read_naming_a_metadata_address_is_denied if {
	target := {"path": "$.url", "scheme": "http", "host": "::ffff:a9fe:a9fe", "ip": "169.254.169.254"}
	r := decision.result with input as object.union(scoped(f.read_prod), {"call": {"egress": [target]}})
	r.decision == "DENY"
	r.rules == ["deny-metadata-addresses"]
	r.reason == "deny-metadata-addresses: the call names a link-local or cloud metadata address: 169.254.169.254 at $.url"
}
