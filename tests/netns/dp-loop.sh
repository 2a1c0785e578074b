#!/bin/sh
# shellcheck shell=dash
# Routing loops: a route sends twill's own outer packets back into twill0.
# Nothing may hang or crash; the packets are dropped and counted (loop,
# no_route or, when no prefix covers the endpoint, no_peer); removing the
# bad route brings the overlay back.  IPv4 and IPv6 underlay.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

DST=$(pod4 hostB 1)

loop_drops() { # HOST: loop + no_route + no_peer
	echo $(($(dev_drop "$1" loop) + $(dev_drop "$1" no_route) + $(dev_drop "$1" no_peer)))
}

# try_loop UFAM WITH_PREFIX: route B's underlay address via twill0 on A
# (and, if WITH_PREFIX, give that address to peer B too), check the drops.
try_loop() {
	local ufam=$1 with=$2 b bl d0 d1 n mark log
	b=$(ul_addr hostB "$ufam")
	if [ "$ufam" = 6 ]; then bl=$b/128; else bl=$b/32; fi
	step "IPv$ufam underlay, route $bl dev twill0$([ "$with" = 1 ] && echo ", prefix $bl on peer B")"
	[ "$with" = 1 ] && check_ok "prefix $bl to B" nsx hostA "$TWILL" set twill0 peer "$b" prefixes "+$bl"
	check_ok "route $bl via twill0" nsx hostA "$IP" route add "$bl" dev twill0
	d0=$(loop_drops hostA)
	# The kernel log from a mark of ours on, whatever else it logs meanwhile.
	mark="twill-test: dp-loop mark $$ $ufam $with"
	echo "$mark" >/dev/kmsg
	ping_fails podA1 "$DST" 3
	n=$PING_SENT
	ping_fails podA1 "$(pod6 hostB 1)" 3
	n=$((n + PING_SENT))
	d1=$(loop_drops hostA)
	check_eq "$d1" $((d0 + n)) "A: loop/no_route/no_peer drops moved by the $n requests ($d0 -> $d1; loop=$(dev_drop hostA loop) no_route=$(dev_drop hostA no_route) no_peer=$(dev_drop hostA no_peer))"
	log=$(dmesg | sed -n "/$mark\$/,\$p")
	check_contains "$log" "$mark" "the kernel log has our mark"
	check_lacks "$log" "Dead loop" "no 'Dead loop' in the kernel log since the mark"
	check_ok "twill show still answers" nsx hostA "$TWILL" show twill0
	nsx hostA "$IP" route del "$bl" dev twill0
	[ "$with" = 1 ] && check_ok "prefix removed" nsx hostA "$TWILL" set twill0 peer "$b" prefixes "-$bl"
	ping_ok podA1 "$DST" 3
	info "ok: the overlay is back"
}

step "topology: two hosts, one pod each"
topo_hosts hostA hostB
topo_pods hostA 1
topo_pods hostB 1

step "IPv4 underlay mesh"
topo_twill_mesh 4 hostA hostB
ping_ok podA1 "$DST" 2
try_loop 4 1
try_loop 4 0

step "switch both peers to the IPv6 underlay"
check_ok "A: drop the v4 peer" nsx hostA "$TWILL" set twill0 peer "$(ul4 hostB)" remove
check_ok "B: drop the v4 peer" nsx hostB "$TWILL" set twill0 peer "$(ul4 hostA)" remove
topo_twill_peer hostA hostB 6
topo_twill_peer hostB hostA 6
ping_ok podA1 "$DST" 2
try_loop 6 1
try_loop 6 0

step "a loop through the whole underlay subnet"
check_ok "A: 2001:db8::/64 prefix to B" nsx hostA "$TWILL" set twill0 peer "$(ul6 hostB)" prefixes +2001:db8::/64
check_ok "route 2001:db8::/64 via twill0 (metric 1)" nsx hostA "$IP" -6 route add 2001:db8::/64 dev twill0 metric 1
d0=$(loop_drops hostA)
ping_fails podA1 "$DST" 3
check_eq "$(loop_drops hostA)" $((d0 + PING_SENT)) "A: drops moved by the $PING_SENT requests"
nsx hostA "$IP" -6 route del 2001:db8::/64 dev twill0 metric 1
ping_ok podA1 "$DST" 3
show_twill hostA
echo "PASS: dp-loop"
