# METADATA
# title: Envelope helpers
# description: |
#   Readable predicates over the v1 envelope (input). Absent fields are
#   treated as the worst case: an unknown action is destructive, an
#   unknown server is unregistered.
package mcpgov.lib.envelope

import rego.v1

action := input.labels["mcp.action"]

server_id := object.get(object.get(input, "labels", {}), "mcp.server", "(unnamed)")

tool := input.labels["mcp.tool"]

registered if input.server.registered == true

is_read if action == "read"

# A destructive call is also a write: rules about writes must not be
# dodged by a server that declares its tool more dangerous.
is_write if action in {"write", "destructive"}

is_destructive if action == "destructive"

has_risk_tag(tag) if tag in input.risk_tags

# Envelope v2: every mediated MCP method, in both directions. A v1
# envelope is upgraded to v2 (tools/call) before policy sees it.
method := object.get(object.get(input, "call", {}), "method", "tools/call")

target := input.call.target.name

is_tool_call if method == "tools/call"

is_list if method in {"tools/list", "resources/list", "resources/templates/list", "prompts/list"}

# A request the server sends to the client (sampling, elicitation).
is_server_request if input.call.direction == "server_to_client"

# The subject's scopes; none when the envelope carries none.
scopes := object.get(object.get(input, "subject", {}), "scopes", [])

has_scope(scope) if scope in scopes

# Where the call points (envelope v2: input.call.egress, read from the
# arguments by the gateway with hosts normalised and IP literals
# canonical). A v1 envelope has none, so rules over it do nothing there.
egress := object.get(object.get(input, "call", {}), "egress", [])
