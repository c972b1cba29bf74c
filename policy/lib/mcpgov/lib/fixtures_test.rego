# METADATA
# title: Test fixtures
# description: Envelope builders shared by the rule tests (test files only; not built into bundles).
package mcpgov.lib.fixtures_test

import rego.v1

envelope(server, tool, action, tags, registered) := {
	"version": "v1",
	"call": {
		"id": "call-1",
		"method": "tools/call",
		"server": server,
		"tool": tool,
		"arguments": {},
		"arguments_digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
	},
	"server": {"registered": registered, "id": server, "risk_tags": tags},
	"labels": {"mcp.action": action, "mcp.server": server, "mcp.tool": tool},
	"risk_tags": tags,
	"subject": {"id": "alice", "roles": [], "scopes": []},
	"context": {"time": "2026-01-01T00:00:00Z"},
}

read_prod := envelope("github", "get_issue", "read", ["prod"], true)

write_prod := envelope("github", "create_issue", "write", ["prod"], true)

write_non_prod := envelope("jira-staging", "create_ticket", "write", ["non_prod"], true)

destructive_non_prod := envelope("jira-staging", "delete_project", "destructive", ["non_prod"], true)

unregistered_read := envelope("shadow", "get_secrets", "read", [], false)

untagged_write := envelope("github", "create_issue", "write", [], true)
