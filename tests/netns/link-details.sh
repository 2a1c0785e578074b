#!/bin/sh
# ip -d link show and the rtnetlink dump show the device as kind twill,
# also in the JSON output tools parse.
. "$(dirname "$0")/lib.sh"

module_load
H=$(ns_new host)
ip -n "$H" link add twill0 type twill

out=$(ip -n "$H" -d link show twill0)
assert_contains "$out" " twill "
json=$(ip -n "$H" -d -j link show twill0)
assert_contains "$json" '"info_kind":"twill"' "ip -d -j link show"
# Listing by kind finds it, and only it.
assert_contains "$(ip -n "$H" link show type twill)" twill0
assert_not_contains "$(ip -n "$H" link show type twill)" "lo:"
