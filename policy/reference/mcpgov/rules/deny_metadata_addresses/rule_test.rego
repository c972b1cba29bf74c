package mcpgov.rules.deny_metadata_addresses_test

import rego.v1

import data.mcpgov.lib.fixtures_test as f
import data.mcpgov.rules.deny_metadata_addresses as rule

# A read on a registered server (which would run at once) naming targets.
reaching(targets) := object.union(f.read_prod, {"call": {"egress": targets}})

target(host, ip) := {"path": "$.url", "scheme": "http", "host": host, "ip": ip}

denied(targets) if {
	some h in rule.hits with input as reaching(targets)
	h.decision == "DENY"
	h.rule == "deny-metadata-addresses"
}

test_link_local_ipv4_is_denied if {
	some h in rule.hits with input as reaching([target("169.254.169.254", "169.254.169.254")])
	h.decision == "DENY"
	h.reason == "the call names a link-local or cloud metadata address: 169.254.169.254 at $.url"
}

test_ipv4_mapped_ipv6_is_denied_through_its_canonical_ip if {
	denied([target("::ffff:a9fe:a9fe", "169.254.169.254")])
}

test_link_local_ipv6_is_denied if {
	denied([target("fe80::1", "fe80::1")])
	denied([target("febf:ffff::1", "febf:ffff::1")])
}

test_addresses_next_to_link_local_are_not if {
	count(rule.hits) == 0 with input as reaching([
		target("fec0::1", "fec0::1"),
		target("fe8::1", "fe8::1"),
		target("169.255.0.1", "169.255.0.1"),
		target("10.169.254.1", "10.169.254.1"),
		target("api.github.com", "x"),
	])
}

test_cloud_metadata_ips_are_denied if {
	denied([target("fd00:ec2::254", "fd00:ec2::254")])
	denied([target("100.100.100.200", "100.100.100.200")])
	denied([target("64:ff9b::a9fe:a9fe", "64:ff9b::a9fe:a9fe")])
}

test_metadata_host_names_are_denied_however_spelled if {
	denied([{"path": "$.host", "scheme": "", "host": "metadata.google.internal"}])
	denied([{"path": "$.host", "scheme": "", "host": "Metadata.Google.Internal."}])
	denied([{"path": "$.u", "scheme": "http", "host": "metadata"}])
	denied([{"path": "$.u", "scheme": "http", "host": "instance-data.ec2.internal"}])
}

test_a_literal_without_ip_field_is_still_matched if {
	denied([{"path": "$.u", "scheme": "http", "host": "169.254.170.2"}])
}

test_one_hit_names_every_offending_target if {
	hits := rule.hits with input as reaching([
		target("169.254.169.254", "169.254.169.254"),
		{"path": "$.b", "scheme": "http", "host": "metadata.goog"},
		target("api.github.com", "x"),
	])
	count(hits) == 1
	some h in hits
	h.reason == "the call names a link-local or cloud metadata address: 169.254.169.254 at $.url, metadata.goog at $.b"
}

test_list_comes_from_data if {
	denied([{"path": "$.u", "scheme": "http", "host": "meta.example.test"}]) with data.mcpgov.config.metadata_addresses.hosts as ["meta.example.test"]
}

test_ordinary_targets_do_not_hit if {
	count(rule.hits) == 0 with input as reaching([{"path": "$.url", "scheme": "https", "host": "api.github.com"}])
}

test_v1_envelope_without_egress_does_nothing if {
	count(rule.hits) == 0 with input as f.read_prod
}

test_malformed_egress_does_nothing if {
	count(rule.hits) == 0 with input as object.union(f.read_prod, {"call": {"egress": "http://169.254.169.254"}})
}
