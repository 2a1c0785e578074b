#!/bin/sh
# Create, bring up, inspect and delete a twill device.
. "$(dirname "$0")/lib.sh"

module_load
H=$(ns_new host)

step "create"
ip -n "$H" link add twill0 type twill
link_exists "$H" twill0 || fail "twill0 missing after ip link add"
assert_eq "$(link_kind "$H" twill0)" twill "kind of twill0"

step "ip -d link show reports kind twill"
details=$(ip -n "$H" -d link show twill0)
assert_contains "$details" "twill0:"
assert_contains "$details" " twill "
# An L3 overlay: no link-layer header, no ARP.
assert_contains "$details" NOARP

step "up and down"
ip -n "$H" link set twill0 up
assert_contains "$(ip -n "$H" link show twill0)" ",UP"
ip -n "$H" link set twill0 down
assert_not_contains "$(ip -n "$H" link show twill0)" ",UP"

step "second device, same namespace"
ip -n "$H" link add twill1 type twill
link_exists "$H" twill1 || fail "twill1 missing"
expect_fail -x 2 -m "File exists" ip -n "$H" link add twill1 type twill

step "delete"
ip -n "$H" link del twill0
ip -n "$H" link del twill1
! link_exists "$H" twill0 || fail "twill0 still there after delete"
! link_exists "$H" twill1 || fail "twill1 still there after delete"
expect_fail -m "Cannot find device" ip -n "$H" link del twill0
