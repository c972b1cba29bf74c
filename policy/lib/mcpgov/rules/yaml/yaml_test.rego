# Outside data.mcpgov.rules: the decision walks that tree, and a test
# package there that calls the decision would be recursive.
package mcpgov.yaml_test

import rego.v1

import data.mcpgov.decision
import data.mcpgov.lib.fixtures_test as f
import data.mcpgov.rules.yaml

approved := ["github", "jira", "snowflake", "slack"]

# The seed's four rules in the normalised form mcpgov stages them in.
seed := [{"file": "mcp-governance-policy.yaml", "rules": [
	{
		"id": "allow-read-approved-servers", "decision": "ALLOW", "constraints": {},
		"labels": {"mcp.action": ["read"], "mcp.server": approved}, "risk_tags": [],
	},
	{
		"id": "require-approval-production-write", "decision": "REQUIRE_APPROVAL",
		"constraints": {"max_runtime_sec": 60, "max_retries": 1},
		"labels": {"mcp.action": ["write"]}, "risk_tags": ["prod"],
	},
	{
		"id": "constrain-medium-risk", "decision": "ALLOW_WITH_CONSTRAINTS",
		"constraints": {"max_runtime_sec": 30, "network_allowlist": ["api.github.com", "api.slack.com"]},
		"labels": {"mcp.action": ["write"]}, "risk_tags": ["non_prod"],
	},
	{
		"id": "deny-unregistered-server", "decision": "DENY", "constraints": {},
		"labels": {"mcp.server": "*"}, "risk_tags": [], "deny_servers_not_in": approved,
	},
]}]

one_rule(rule) := [{"file": "t.policy.yaml", "rules": [object.union({"decision": "ALLOW", "constraints": {}, "labels": {}, "risk_tags": []}, rule)]}]

ids(envelope, sources) := {h.rule | some h in found} if {
	found := yaml.hits with input as envelope with data.mcpgov.yaml_rules as sources
}

# The decision of the YAML rules alone, whatever other rules the bundle holds.
decide(envelope, sources) := r if {
	h := yaml.hits with input as envelope with data.mcpgov.yaml_rules as sources
	r := decision.result with input as envelope with data.mcpgov.rules as {"yaml": {"hits": h}}
}

test_hit_carries_id_decision_reason_and_constraints if {
	some h in yaml.hits with input as f.write_prod with data.mcpgov.yaml_rules as seed
	h == {
		"rule": "require-approval-production-write",
		"decision": "REQUIRE_APPROVAL",
		"reason": "matched YAML rule require-approval-production-write (mcp-governance-policy.yaml)",
		"constraints": {"max_runtime_sec": 60, "max_retries": 1},
	}
}

test_no_yaml_rules_no_hits if {
	count(yaml.hits) == 0 with input as f.read_prod with data.mcpgov.yaml_rules as []
}

test_label_list_is_membership if {
	ids(f.read_prod, one_rule({"id": "r", "labels": {"mcp.server": ["jira", "github"]}})) == {"r"}
	ids(f.read_prod, one_rule({"id": "r", "labels": {"mcp.server": ["jira"]}})) == set()
}

test_every_label_must_match if {
	ids(f.read_prod, one_rule({"id": "r", "labels": {"mcp.server": ["github"], "mcp.action": ["write"]}})) == set()
}

test_star_needs_the_label_present if {
	ids(f.read_prod, one_rule({"id": "r", "labels": {"mcp.tool": "*"}})) == {"r"}
	ids(f.read_prod, one_rule({"id": "r", "labels": {"team": "*"}})) == set()
	ids(object.union(f.read_prod, {"labels": {"team": "core"}}), one_rule({"id": "r", "labels": {"team": "*"}})) == {"r"}
}

test_write_label_does_not_match_destructive if {
	ids(f.destructive_non_prod, one_rule({"id": "r", "labels": {"mcp.action": ["write"]}})) == set()
	ids(f.destructive_non_prod, one_rule({"id": "r", "labels": {"mcp.action": ["write", "destructive"]}})) == {"r"}
}

test_every_risk_tag_must_be_present if {
	ids(f.write_prod, one_rule({"id": "r", "risk_tags": ["prod"]})) == {"r"}
	ids(f.write_prod, one_rule({"id": "r", "risk_tags": ["prod", "pii"]})) == set()
}

test_deny_servers_not_in if {
	rule := {"id": "r", "decision": "DENY", "deny_servers_not_in": ["github"]}
	ids(f.read_prod, one_rule(rule)) == set()
	ids(f.unregistered_read, one_rule(rule)) == {"r"}
	ids(object.remove(f.unregistered_read, ["labels"]), one_rule(rule)) == {"r"}
}

test_seed_read_on_approved_server_allowed if {
	r := decide(f.read_prod, seed)
	r.decision == "ALLOW"
	r.rules == ["allow-read-approved-servers"]
	r.constraints == {}
}

test_seed_production_write_needs_approval if {
	r := decide(f.write_prod, seed)
	r.decision == "REQUIRE_APPROVAL"
	r.rules == ["require-approval-production-write"]
	r.constraints == {"max_runtime_sec": 60, "max_retries": 1}
}

test_seed_unlisted_server_denied if {
	r := decide(f.unregistered_read, seed)
	r.decision == "DENY"
	r.rules == ["deny-unregistered-server"]
}

test_seed_non_prod_write_on_unlisted_server_denied_over_constraints if {
	# jira-staging is not in the seed's list: the DENY wins over the constraints
	r := decide(f.write_non_prod, seed)
	r.decision == "DENY"
	r.rules == ["deny-unregistered-server"]
	r.matched == [
		{"rule": "constrain-medium-risk", "decision": "ALLOW_WITH_CONSTRAINTS"},
		{"rule": "deny-unregistered-server", "decision": "DENY"},
	]
}

test_seed_non_prod_write_on_listed_server_constrained if {
	envelope := object.union(f.write_non_prod, {"labels": {"mcp.server": "jira"}})
	r := decide(envelope, seed)
	r.decision == "ALLOW_WITH_CONSTRAINTS"
	r.rules == ["constrain-medium-risk"]
	r.constraints == {"max_runtime_sec": 30, "network_allowlist": ["api.github.com", "api.slack.com"]}
}

test_seed_has_no_rule_for_destructive_calls if {
	r := decide(object.union(f.destructive_non_prod, {"labels": {"mcp.server": "jira"}}), seed)
	r.rules == ["mcpgov.default-deny"]
}
