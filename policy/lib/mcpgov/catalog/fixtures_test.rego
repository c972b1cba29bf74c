# METADATA
# title: Catalog test fixtures
# description: Catalog-policy inputs shared by the catalog rule tests (test files only; not built into bundles).
package mcpgov.catalog.fixtures_test

import rego.v1

finding(type, field, severity) := {"type": type, "field": field, "severity": severity}

catalog_input(findings) := {
	"version": "v1",
	"server": {"id": "tools", "registered": true, "trusted": false, "risk_tags": []},
	"entry": {"kind": "tool", "name": "calc"},
	"findings": findings,
}

clean := catalog_input([])

tagged := catalog_input([finding("instruction_tag", "$.description", "high")])

zero_width := catalog_input([finding("zero_width", "$.inputSchema.properties.mode.enum[1]", "medium")])

truncated := catalog_input([finding("scan_truncated", "$.description", "high")])
