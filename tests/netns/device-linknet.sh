#!/bin/sh
# The namespace a device's sockets live in is its link namespace, as for
# WireGuard: `ip -n A link add twill0 link-netnsid ID type twill` made in A
# with B's id binds its UDP port in B, not in A; without link-netnsid, in
# the namespace of the request.
. "$(dirname "$0")/lib.sh"

module_load
A=$(ns_new a)
B=$(ns_new b)
udp_ports() { in_ns "$1" ss -Huln | awk '{ print $4 }' | sed 's/.*://' | sort -un | tr '\n' ' '; }

step "link-netnsid names the namespace of the sockets"
ip -n "$A" netns set "$B" 7
ip -n "$A" link add twill0 link-netnsid 7 type twill
ip -n "$A" link set twill0 up
assert_eq "$(udp_ports "$B")" "8472 " "UDP ports in B"
assert_eq "$(udp_ports "$A")" "" "UDP ports in A"

step "without it, the requester's namespace"
ip -n "$A" link add twill1 type twill
in_ns "$A" twill set twill1 listen-port 8473
ip -n "$A" link set twill1 up
assert_eq "$(udp_ports "$A")" "8473 " "UDP ports in A"

step "the device's settings resolve its link in B"
ip -n "$B" link add ul0 type dummy
in_ns "$A" twill set twill0 link ul0
assert_contains "$(in_ns "$A" twill showconf twill0)" "Link = ul0" "link name resolved in B"
expect_fail -m "no such underlay interface" in_ns "$A" twill set twill0 link twill1

step "a port that cannot be had leaves the device as it was"
in_ns "$A" udpsend -P 9000 -x 00 -W 60 127.0.0.1 >"$TW_TMP/hold.out" &
holder=$!
on_cleanup "kill $holder 2>/dev/null"
wait_for 10 grep -q sent "$TW_TMP/hold.out"
expect_fail -m "cannot open UDP port 9000" in_ns "$A" twill set twill1 listen-port 9000
assert_eq "$(udp_ports "$A")" "8473 9000 " "UDP ports in A (twill1 still on 8473)"
assert_contains "$(in_ns "$A" twill showconf twill1)" "ListenPort = 8473"
