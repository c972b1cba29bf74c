# METADATA
# title: Catalog decision combining
# description: |
#   Decides whether a tool, prompt or resource definition is offered to
#   clients, from the definition scanner's findings (types, fields,
#   severities; never the text). Collects the hits of every rule under
#   data.mcpgov.catalog_rules: no hit passes; otherwise the most
#   restrictive decision wins (HIDE > FLAG > PASS). The library itself
#   fails closed: an input it cannot read, a scan cut short
#   (scan_truncated) or a malformed hit hides the definition, whatever
#   the rules say. Entrypoint: mcpgov/catalog/result.
package mcpgov.catalog

import rego.v1

import data.mcpgov.catalog.report

rank := {"PASS": 0, "FLAG": 1, "HIDE": 2}

by_rank := ["PASS", "FLAG", "HIDE"]

default_pass_rule := "mcpgov.catalog.default-pass"

doc := input if is_object(input)

doc := {} if not is_object(input)

field(name) := object.get(doc, name, null)

findings := field("findings") if is_array(field("findings"))

findings := [] if not is_array(field("findings"))

invalid_input if not is_array(field("findings"))

invalid_input if field("version") != "v1"

invalid_input if not is_object(field("entry"))

invalid_input if not is_object(field("server"))

invalid_input if {
	some f in findings
	not is_string(object.get(f, "type", null))
}

library_hits contains report.hide(
	"mcpgov.catalog.invalid-input",
	"the catalog policy input has no findings list, entry, server or version v1",
	[],
) if invalid_input

library_hits contains report.hide(
	"mcpgov.catalog.not-fully-scanned",
	"the definition was not fully scanned, so it is not known to be clean",
	["scan_truncated"],
) if {
	some f in findings
	object.get(f, "type", null) == "scan_truncated"
}

rule_hits contains h if {
	some h in data.mcpgov.catalog_rules[_].hits
}

all_hits := library_hits | rule_hits

well_formed(h) if {
	is_object(h)
	is_string(object.get(h, "rule", null))
	is_string(object.get(h, "reason", null))
	rank[object.get(h, "decision", null)]
	is_array(object.get(h, "types", null))
	every t in h.types {
		is_string(t)
	}
}

malformed contains rule_name(h) if {
	some h in all_hits
	not well_formed(h)
}

rule_name(h) := h.rule if {
	is_object(h)
	is_string(object.get(h, "rule", null))
}

rule_name(h) := "(unnamed)" if {
	is_object(h)
	not is_string(object.get(h, "rule", null))
}

rule_name(h) := "(a hit that is not an object)" if not is_object(h)

# Hits sorted by rule id, so output never depends on evaluation order.
hits := [pair[1] | some pair in sort([[h.rule, h] | some h in all_hits; well_formed(h)])]

winning := by_rank[max({rank[h.decision] | some h in hits})]

matched := [{"rule": h.rule, "decision": h.decision} | some h in hits]

result := {
	"decision": "PASS",
	"rules": [default_pass_rule],
	"reason": concat(": ", [default_pass_rule, "no catalog rule matched; the definition is offered"]),
	"matched": [],
} if count(all_hits) == 0

result := {
	"decision": "HIDE",
	"rules": ["mcpgov.catalog.malformed-hit"],
	"reason": concat("", [
		"mcpgov.catalog.malformed-hit: rule(s) ",
		concat(", ", sort(malformed)),
		" reported an unknown decision, no rule id or reason, or non-string types",
	]),
	"matched": matched,
} if count(malformed) > 0

result := {
	"decision": winning,
	"rules": [h.rule | some h in hits; h.decision == winning],
	"reason": concat("; ", [concat(": ", [h.rule, h.reason]) | some h in hits; h.decision == winning]),
	"matched": matched,
} if {
	count(all_hits) > 0
	count(malformed) == 0
}
