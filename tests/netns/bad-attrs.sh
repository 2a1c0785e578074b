#!/bin/sh
# Attributes a twill device cannot take are refused, and a refused create
# leaves no device behind.
. "$(dirname "$0")/lib.sh"

module_load
H=$(ns_new host)

# Each refusal is twill's own (its validate hook's message), not iproute2's
# parser or the core's: ip exits 2 when the kernel refused.
step "IFLA_ADDRESS reaches the kernel: an L3 device has no MAC"
expect_fail -x 2 -m "no link-layer address" ip -n "$H" link add twill0 address 00:11:22:33:44:55 type twill
! link_exists "$H" twill0 || fail "twill0 exists after a refused create"

step "IFLA_BROADCAST: refused as well"
expect_fail -x 2 -m "no link-layer address" ip -n "$H" link add twill0 broadcast ff:ff:ff:ff:ff:ff type twill
! link_exists "$H" twill0 || fail "twill0 exists after a refused create"

step "IFLA_MTU out of twill's range, below and above"
expect_fail -x 2 -m "MTU out of range for twill" ip -n "$H" link add twill0 mtu 67 type twill
! link_exists "$H" twill0 || fail "twill0 exists after a refused create"
expect_fail -x 2 -m "MTU out of range for twill" ip -n "$H" link add twill0 mtu 65500 type twill
! link_exists "$H" twill0 || fail "twill0 exists after a refused create"

step "a good create still works afterwards"
ip -n "$H" link add twill0 type twill
ip -n "$H" link del twill0
