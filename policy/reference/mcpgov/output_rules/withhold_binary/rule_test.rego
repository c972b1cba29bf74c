package mcpgov.output_rules.withhold_binary_test

import rego.v1

import data.mcpgov.output_rules.withhold_binary as rule

with_binary(mime_types) := {
	"version": "v1",
	"findings": [],
	"scan_error": false,
	"binary": {"count": count(mime_types), "mime_types": mime_types},
	"payload_kind": "tool_result",
	"call": {"server": "github", "tool": "get_issue"},
	"labels": {},
	"risk_tags": [],
}

test_binary_passes_by_default if {
	count(rule.hits) == 0 with input as with_binary(["image/png", "application/zip"])
}

test_listed_prefix_withholds if {
	some h in rule.hits with input as with_binary(["audio/wav", "image/png"])
		with data.mcpgov.config.output.withhold_binary.mime_prefixes as ["image/"]
	h.decision == "QUARANTINE"
	h.reason == "binary content that cannot be scanned: image/png"
}

test_empty_prefix_withholds_every_binary_type if {
	some h in rule.hits with input as with_binary(["application/zip"])
		with data.mcpgov.config.output.withhold_binary.mime_prefixes as [""]
	h.decision == "QUARANTINE"
}

test_no_binary_no_hit if {
	count(rule.hits) == 0 with input as with_binary([]) with data.mcpgov.config.output.withhold_binary.mime_prefixes as [""]
}

test_input_without_binary_field if {
	count(rule.hits) == 0 with input as object.remove(with_binary([]), ["binary"])
		with data.mcpgov.config.output.withhold_binary.mime_prefixes as [""]
}
