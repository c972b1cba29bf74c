# METADATA
# title: Output decision combining
# description: |
#   Decides what happens to a tool's output from the scanner's findings
#   (types, counts, confidences; never the values). Collects the hits of
#   every rule under data.mcpgov.output_rules: no hit passes, since output
#   safety is additive; otherwise the most restrictive decision wins
#   (QUARANTINE > REDACT > PASS). The library itself fails closed: a scan
#   error, a scan cut short (oversize, finding_limit), an input it cannot
#   read or a malformed hit quarantines, whatever the rules say.
#   Entrypoint: mcpgov/output/result.
package mcpgov.output

import rego.v1

import data.mcpgov.lib.result as res

rank := {"PASS": 0, "REDACT": 1, "QUARANTINE": 2}

by_rank := ["PASS", "REDACT", "QUARANTINE"]

default_pass_rule := "mcpgov.output.default-pass"

limit_types := {"oversize", "finding_limit"}

# Absent fields are read as null, so a missing field fails the checks
# below instead of making them undefined.
doc := input if is_object(input)

doc := {} if not is_object(input)

field(name) := object.get(doc, name, null)

findings := field("findings") if is_array(field("findings"))

findings := [] if not is_array(field("findings"))

# Types of findings that mean the output was not fully scanned.
unscanned contains object.get(f, "type", "(untyped limit)") if {
	some f in findings
	object.get(f, "type", null) in limit_types
}

unscanned contains object.get(f, "type", "(untyped limit)") if {
	some f in findings
	object.get(f, "category", null) == "limit"
}

invalid_input if not is_array(field("findings"))

invalid_input if not is_boolean(field("scan_error"))

invalid_input if field("version") != "v1"

library_hits contains res.quarantine(
	"mcpgov.output.invalid-input",
	"the output policy input has no findings list, scan_error flag or version v1",
	[],
) if invalid_input

library_hits contains res.quarantine(
	"mcpgov.output.scan-error",
	"the output scan failed, so the output is not known to be clean",
	[],
) if field("scan_error") == true

library_hits contains res.quarantine(
	"mcpgov.output.not-fully-scanned",
	concat("", ["the output was not fully scanned (", concat(", ", sort(unscanned)), ")"]),
	sort(unscanned),
) if count(unscanned) > 0

rule_hits contains h if {
	some h in data.mcpgov.output_rules[_].hits
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

# The finding types REDACT hits name; under QUARANTINE the whole output is withheld.
redact_types := sort({t | some h in hits; h.decision == "REDACT"; some t in h.types})

result := {
	"decision": "PASS",
	"rules": [default_pass_rule],
	"reason": concat(": ", [default_pass_rule, "no output rule matched; nothing to do"]),
	"matched": [],
	"redact_types": [],
} if count(all_hits) == 0

result := {
	"decision": "QUARANTINE",
	"rules": ["mcpgov.output.malformed-hit"],
	"reason": concat("", [
		"mcpgov.output.malformed-hit: rule(s) ",
		concat(", ", sort(malformed)),
		" reported an unknown decision, no rule id or reason, or non-string types",
	]),
	"matched": matched,
	"redact_types": [],
} if count(malformed) > 0

result := {
	"decision": winning,
	"rules": [h.rule | some h in hits; h.decision == winning],
	"reason": concat("; ", [concat(": ", [h.rule, h.reason]) | some h in hits; h.decision == winning]),
	"matched": matched,
	"redact_types": redact_types,
} if {
	count(all_hits) > 0
	count(malformed) == 0
}
