# METADATA
# title: Output test fixtures
# description: Output-policy inputs shared by the output rule tests (test files only; not built into bundles).
package mcpgov.lib.output_fixtures_test

import rego.v1

finding(type, category, confidence) := {"type": type, "category": category, "count": 1, "max_confidence": confidence}

output_input(findings, scan_error) := {
	"version": "v1",
	"findings": findings,
	"scan_error": scan_error,
	"call": {"server": "github", "tool": "get_issue"},
	"labels": {"mcp.action": "read", "mcp.server": "github", "mcp.tool": "get_issue"},
	"risk_tags": [],
	"subject": {"id": "alice", "roles": [], "scopes": []},
}

clean := output_input([], false)

email := output_input([finding("email", "pii", 0.9)], false)

private_key := output_input([finding("private_key", "secret", 0.99)], false)

email_and_private_key := output_input([finding("email", "pii", 0.9), finding("private_key", "secret", 0.99)], false)

scan_failed := output_input([], true)

oversize := output_input([finding("oversize", "limit", 1)], false)
