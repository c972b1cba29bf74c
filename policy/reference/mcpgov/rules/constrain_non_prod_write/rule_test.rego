package mcpgov.rules.constrain_non_prod_write_test

import rego.v1

import data.mcpgov.lib.fixtures_test as f
import data.mcpgov.rules.constrain_non_prod_write as rule

test_non_prod_write_is_constrained if {
	some h in rule.hits with input as f.write_non_prod
	h.decision == "ALLOW_WITH_CONSTRAINTS"
	h.constraints == {"max_runtime_sec": 30, "network_allowlist": ["api.github.com", "api.slack.com"]}
}

test_allowlist_comes_from_data if {
	some h in rule.hits with input as f.write_non_prod
		with data.mcpgov.config.non_prod_network_allowlist as ["example.test"]
	h.constraints.network_allowlist == ["example.test"]
}

test_prod_write_does_not_hit if {
	count(rule.hits) == 0 with input as f.write_prod
}
