# METADATA
# title: YAML rules
# description: |
#   Evaluates the rules of YAML rule files (mcp-governance-policy.yaml,
#   *.policy.yaml), which mcpgov validates and stages as the list
#   data.mcpgov.yaml_rules = [{"file", "rules"}]. A rule hits when all of
#   its conditions hold:
#   - every key of labels matches input.labels: a list means the label's
#     value is in the list (a single string in the file is a list of one),
#     "*" means the label is present with any value;
#   - every tag of risk_tags is in input.risk_tags;
#   - with deny_servers_not_in, the call's server (input.labels["mcp.server"])
#     is not in that list; an absent server counts as not in it.
#   Labels compare as written: mcp.action "write" does not match a
#   destructive call. A hit carries the YAML rule's id, decision and
#   constraints and is combined with the Rego rules' hits by
#   data.mcpgov.decision like any other rule.
package mcpgov.rules.yaml

import rego.v1

import data.mcpgov.lib.result

hits contains result.hit(
	rule.id,
	rule.decision,
	concat("", ["matched YAML rule ", rule.id, " (", source.file, ")"]),
	rule.constraints,
) if {
	some source in data.mcpgov.yaml_rules
	some rule in source.rules
	matches(rule)
}

matches(rule) if {
	every key, wanted in rule.labels {
		label_matches(wanted, input.labels[key])
	}
	every tag in rule.risk_tags {
		tag in input.risk_tags
	}
	server_condition_holds(rule)
}

# The label is present; its value is not looked at.
label_matches("*", _) := true

label_matches(wanted, value) if {
	is_array(wanted)
	value in wanted
}

server_condition_holds(rule) if object.get(rule, "deny_servers_not_in", null) == null

# object.get, not input.labels["mcp.server"]: an undefined server must
# count as unlisted, and a plain reference would make the body undefined.
server_condition_holds(rule) if {
	listed := rule.deny_servers_not_in
	not object.get(input, ["labels", "mcp.server"], null) in listed
}
