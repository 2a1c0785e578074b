#!/bin/sh
# Attributes a twill device cannot take are refused, and a refused create
# leaves no device behind.
. "$(dirname "$0")/lib.sh"

module_load
H=$(ns_new host)

step "address after type twill (as users type it)"
expect_fail ip -n "$H" link add twill0 type twill address 00:11:22:33:44:55
! link_exists "$H" twill0 || fail "twill0 exists after a refused create"

step "IFLA_ADDRESS reaches the kernel: an L3 device has no MAC"
expect_fail ip -n "$H" link add twill0 address 00:11:22:33:44:55 type twill
! link_exists "$H" twill0 || fail "twill0 exists after a refused create"

step "a good create still works afterwards"
ip -n "$H" link add twill0 type twill
ip -n "$H" link del twill0
