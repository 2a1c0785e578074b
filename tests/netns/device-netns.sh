#!/bin/sh
# Devices in several namespaces are independent: same name in each, deleting
# one leaves the others, and each is only visible in its own namespace.
. "$(dirname "$0")/lib.sh"

module_load
A=$(ns_new a)
B=$(ns_new b)
C=$(ns_new c)
# A veth underlay between a and b, as a host/pod pair would have.
host_pod "$A" "$B" 10.99.0.1/24 10.99.0.2/24

step "same name in three namespaces"
for ns in "$A" "$B" "$C"; do
	ip -n "$ns" link add twill0 type twill
	ip -n "$ns" link set twill0 up
done
for ns in "$A" "$B" "$C"; do
	assert_eq "$(link_kind "$ns" twill0)" twill "kind in $ns"
done
# Not in the initial namespace.
! ip link show dev twill0 >/dev/null 2>&1 || fail "twill0 leaked into the initial namespace"

step "delete in one namespace only"
ip -n "$B" link del twill0
! link_exists "$B" twill0 || fail "twill0 still in $B"
link_exists "$A" twill0 || fail "twill0 vanished from $A"
link_exists "$C" twill0 || fail "twill0 vanished from $C"

step "the underlay still works"
in_ns "$A" ping -c 1 -W 2 10.99.0.2 >/dev/null || fail "veth underlay ping failed"

step "several devices per namespace"
for i in 1 2 3; do
	ip -n "$C" link add "twill$i" type twill
done
assert_eq "$(ip -n "$C" -o link show type twill | wc -l)" 4 "twill devices in $C"
