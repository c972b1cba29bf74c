# METADATA
# title: deny-metadata-addresses
# description: |
#   No call, a read included, may name a link-local address (169.254.0.0/16,
#   fe80::/10) or a cloud metadata endpoint (fd00:ec2::254, 100.100.100.200,
#   metadata.google.internal …; the list is data.mcpgov.config.metadata_addresses).
#   It reads input.call.egress, where the gateway puts every target of the
#   arguments with IP literals in canonical form (an IPv4-mapped IPv6 address
#   given as its IPv4), so prefixes on text suffice; net.cidr_contains is not
#   used because its WASM implementation misses IPv4-mapped IPv6. A v1
#   envelope has no egress, and then this rule does nothing.
package mcpgov.rules.deny_metadata_addresses

import rego.v1

import data.mcpgov.lib.envelope as env
import data.mcpgov.lib.result

cfg := data.mcpgov.config.metadata_addresses

hits contains result.deny(
	"deny-metadata-addresses",
	concat("", ["the call names a link-local or cloud metadata address: ", concat(", ", sort(offending))]),
) if {
	count(offending) > 0
}

offending contains concat("", [shown(t), " at ", object.get(t, "path", "?")]) if {
	some t in env.egress
	some address in addresses(t)
	metadata_address(address)
}

host(t) := lower(trim_right(object.get(t, "host", ""), "."))

# The host as written and, for an IP literal, its canonical form.
addresses(t) := {host(t), object.get(t, "ip", host(t))}

shown(t) := object.get(t, "ip", host(t))

metadata_address(a) if {
	some prefix in array.concat(cfg.ipv4_prefixes, cfg.ipv6_prefixes)
	startswith(a, prefix)
}

metadata_address(a) if a in cfg.ips

metadata_address(a) if a in cfg.hosts

# fe80::/10: a canonical IPv6 address whose first group is fe80 … febf.
metadata_address(a) if {
	startswith(a, "fe")
	indexof(a, ":") == 4
	substring(a, 2, 1) in {"8", "9", "a", "b"}
}
