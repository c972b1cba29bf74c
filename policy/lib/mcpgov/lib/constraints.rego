# METADATA
# title: Constraint merging
# description: |
#   Merges the constraints of several hits into the tightest set: the
#   smallest runtime, retry count and approval timeout, the intersection of
#   network allowlists. Any other key must be given the same value by every
#   rule that sets it; a disagreement is reported as a conflict, which the
#   decision package turns into a DENY.
package mcpgov.lib.constraints

import rego.v1

minimum_keys := {"max_runtime_sec", "max_retries", "approval_timeout_sec"}

set_keys := {"network_allowlist"}

merge(list) := {
	"constraints": object.union(
		object.union(minimums(list), intersections(list)),
		agreed(list),
	),
	"conflicts": conflicts(list),
}

keys_of(list) := {k | some c in list; some k, _ in c}

minimums(list) := {k: min([v | some c in list; v := c[k]]) |
	some k in keys_of(list)
	k in minimum_keys
}

intersections(list) := {k: sort(intersection({{x | some x in c[k]} | some c in list; c[k]})) |
	some k in keys_of(list)
	k in set_keys
}

other_values(list, k) := {v | some c in list; v := c[k]}

agreed(list) := {k: v |
	some k in keys_of(list)
	not k in minimum_keys
	not k in set_keys
	values := other_values(list, k)
	count(values) == 1
	some v in values
}

conflicts(list) := {k |
	some k in keys_of(list)
	not k in minimum_keys
	not k in set_keys
	count(other_values(list, k)) > 1
}

# normalise gives a single rule's constraints the form merge gives many:
# allowlists sorted and without duplicates.
normalise(c) := object.union(c, {k: sorted_set(c[k]) | some k in set_keys; c[k]})

sorted_set(list) := sort({x | some x in list})
