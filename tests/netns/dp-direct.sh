#!/bin/sh
# shellcheck shell=dash
# Direct routing: hosts A, B and S share one underlay subnet (bridge), host
# C sits behind router D on another subnet.  A's peer B is direct: A's pod
# traffic to B leaves unencapsulated with B's underlay MAC as destination
# (no VXLAN on the wire, peer tx counter by the exact amount), both ways,
# IPv4 and IPv6 inside; C stays VXLAN, also when marked direct (its route
# has a gateway).  B moves between direct and VXLAN by `twill set`;
# `direct auto` makes B direct and leaves C tunnelled; a host without twill
# that routes A's pods "via 192.0.2.1" (flannel DirectRouting) reaches A's
# pods and back; A knows it by its IPv6 underlay address (an ND next hop).
# Too big packets get ICMP or are dropped and counted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

A=$(ul4 hostA)
B=$(ul4 hostB)
# S is A's peer by its IPv6 address: the next hop is resolved by ND
S=$(ul6 hostS)
R=$(ul4 hostD)
C=198.51.100.3
PODB=$(pod4 hostB 1)
PODC=$(pod4 hostC 1)
PODS=$(pod4 hostS 1)

step "topology: A, B, S and router D on 192.0.2.0/24; C behind D on 198.51.100.0/24"
topo_hosts hostA hostB hostD hostS
topo_ns_add hostC
"$IP" link add ul1 netns hostD type veth peer name ul0 netns hostC ||
	t_fail "veth hostD <-> hostC"
nsx hostD "$IP" addr add 198.51.100.254/24 dev ul1
nsx hostD "$IP" link set ul1 up
nsx hostC "$IP" addr add "$C/24" dev ul0
nsx hostC "$IP" link set ul0 up
nsx hostC "$IP" route add default via 198.51.100.254
for h in hostA hostB hostS; do
	nsx "$h" "$IP" route add 198.51.100.0/24 via "$R"
done
for h in hostA hostB hostC hostS; do
	topo_pods "$h" 1
done
for h in hostA hostB hostC; do
	topo_twill "$h"
done
check_ok "A -> C's underlay through the router" nsx hostA "$PING" -c 1 -W 2 "$C"

step "peers: A knows B (direct), C (VXLAN) and S (direct, no twill there)"
check_ok "A: peer B direct on" nsx hostA "$TWILL" set twill0 peer "$B" \
	mac "$(twill_mac hostB)" prefixes "$(subnet4 hostB),$(subnet6 hostB)" direct on
check_ok "A: peer C" nsx hostA "$TWILL" set twill0 peer "$C" \
	mac "$(twill_mac hostC)" prefixes "$(subnet4 hostC),$(subnet6 hostC)"
check_ok "A: peer S direct on" nsx hostA "$TWILL" set twill0 peer "[$S]:8472" \
	prefixes "$(subnet4 hostS),$(subnet6 hostS)" direct on
check_ok "B: peer A direct on" nsx hostB "$TWILL" set twill0 peer "$A" \
	mac "$(twill_mac hostA)" prefixes "$(subnet4 hostA),$(subnet6 hostA)" direct on
topo_twill_peer hostC hostA 4
# S: flannel's DirectRouting is a plain route to each node's pod subnet
nsx hostS "$IP" route add "$(subnet4 hostA)" via "$A" dev ul0 || t_fail "S: route"
nsx hostS "$IP" -6 route add "$(subnet6 hostA)" via "$(ul6 hostA)" dev ul0 ||
	t_fail "S: v6 route"
show_twill hostA

step "show: which peers are direct"
check_eq "$(peer_get hostA "$B" direct)" true "A: show -j peer B direct"
check_eq "$(peer_get hostA "$C" direct)" false "A: show -j peer C direct"
check_eq "$(flat_get "$(twill_flat hostA)" direct)" off "A: show -j device direct"
check_contains "$(nsx hostA "$TWILL" show twill0)" "direct: on" "A: twill show says direct: on"
check_contains "$(nsx hostA "$TWILL" showconf twill0)" "Direct = on" "A: showconf has Direct = on"

BMAC_UL=$(nsx hostB "$IP" -j link show ul0 | json_get address)
[ -n "$BMAC_UL" ] || t_fail "B: no ul0 MAC"

# path_ping POD DST PEER [FAMILY]: ping DST from POD (behind A) while
# capturing A's underlay.  NATIVE: echo requests to DST on the wire as they
# are; VXLAN: outer UDP 8472 packets to PEER; TX: the growth of A's tx
# packets to PEER; SENT: the requests ping sent.
path_ping() {
	local pod=$1 dst=$2 peer=$3 icmp=icmp tx0
	[ "${4:-4}" = 6 ] && icmp=icmp6
	tx0=$(peer_get hostA "$peer" tx_packets)
	capture_start hostA ul0
	ping_ok "$pod" "$dst" 5
	capture_stop
	SENT=$PING_SENT
	TX=$(($(peer_get hostA "$peer" tx_packets) - tx0))
	# grep -c prints 0 but fails when nothing matches
	NATIVE=$(capture_read "$icmp and dst host $dst" | grep -c "echo request" || :)
	# the outer header's line of each (tcpdump decodes the inner too)
	VXLAN=$(capture_read -T vxlan "udp dst port 8472 and dst host $peer" |
		grep -cF "> $peer.8472: VXLAN" || :)
}

# expect_direct POD DST PEER [FAMILY]
expect_direct() {
	path_ping "$@"
	check_eq "$NATIVE" "$SENT" "$1 -> $2: every request unencapsulated on A's underlay"
	check_eq "$VXLAN" 0 "$1 -> $2: no VXLAN to $3"
	check_eq "$TX" "$SENT" "$1 -> $2: A's tx packets to $3 grew by the requests"
}

# expect_vxlan POD DST PEER [FAMILY]
expect_vxlan() {
	path_ping "$@"
	check_eq "$NATIVE" 0 "$1 -> $2: nothing unencapsulated on A's underlay"
	check_eq "$VXLAN" "$SENT" "$1 -> $2: every request as VXLAN to $3"
	check_eq "$TX" "$SENT" "$1 -> $2: A's tx packets to $3 grew by the requests"
}

step "A <-> B direct, both ways, IPv4 and IPv6 inside an IPv4 underlay"
expect_direct podA1 "$PODB" "$B"
cap=$(capture_read -e "icmp and dst host $PODB")
check_contains "$cap" "> $BMAC_UL, ethertype IPv4" "next hop is B's underlay MAC"
expect_direct podA1 "$(pod6 hostB 1)" "$B" 6
ping_ok podB1 "$(pod4 hostA 1)" 3
ping_ok podB1 "$(pod6 hostA 1)" 3
check_eq "$(peer_get hostB "$A" rx_packets)" 0 "B: nothing came from A as VXLAN"

step "TCP both ways between direct peers"
iperf_tcp podA1 podB1 "$PODB"
check_gt "$IPERF_RESULT" 0 "TCP A -> B bytes"
iperf_tcp podB1 podA1 "$(pod4 hostA 1)"
check_gt "$IPERF_RESULT" 0 "TCP B -> A bytes"
iperf_tcp podA1 podB1 "$(pod6 hostB 1)" -R
check_gt "$IPERF_RESULT" 0 "TCP over IPv6, reverse (-R) bytes"

step "A <-> C: behind a router, VXLAN"
expect_vxlan podA1 "$PODC" "$C"
ping_ok podC1 "$(pod4 hostA 1)" 3
iperf_tcp podC1 podA1 "$(pod4 hostA 1)"
check_gt "$IPERF_RESULT" 0 "TCP C -> A bytes"

step "C marked direct: its route has a gateway, so still VXLAN"
check_ok "A: peer C direct on" nsx hostA "$TWILL" set twill0 peer "$C" direct on
check_eq "$(peer_get hostA "$C" direct)" true "A: show -j peer C direct"
expect_vxlan podA1 "$PODC" "$C"
check_ok "A: peer C direct off" nsx hostA "$TWILL" set twill0 peer "$C" direct off

step "B moved to VXLAN by twill set, and back"
check_ok "A: peer B direct off" nsx hostA "$TWILL" set twill0 peer "$B" direct off
check_eq "$(peer_get hostA "$B" direct)" false "A: show -j peer B direct"
rx0=$(peer_get hostB "$A" rx_packets)
expect_vxlan podA1 "$PODB" "$B"
check_eq "$(($(peer_get hostB "$A" rx_packets) - rx0))" "$SENT" "B: A's requests came as VXLAN"
ping_ok podB1 "$(pod4 hostA 1)" 3
check_ok "A: peer B direct on" nsx hostA "$TWILL" set twill0 peer "$B" direct on
expect_direct podA1 "$PODB" "$B"

step "syncconf: a file without Direct turns it off, the rest untouched"
conf=$TOPO_TMP/a.conf
nsx hostA "$TWILL" showconf twill0 >"$conf" || t_fail "A: showconf"
gen0=$(flat_get "$(twill_flat hostA)" generation)
check_ok "A: syncconf of its own showconf" nsx hostA "$TWILL" syncconf twill0 "$conf"
check_eq "$(flat_get "$(twill_flat hostA)" generation)" "$gen0" "A: nothing changed, no commit"
grep -v '^Direct' "$conf" >"$conf.off"
check_ok "A: syncconf without Direct" nsx hostA "$TWILL" syncconf twill0 "$conf.off"
check_eq "$(peer_get hostA "$B" direct)" false "A: peer B not direct"
check_eq "$(peer_get hostA "$S" direct)" false "A: peer S not direct"
expect_vxlan podA1 "$PODB" "$B"

step "direct auto: B (on the link) direct, C (behind the router) VXLAN"
check_ok "A: direct auto" nsx hostA "$TWILL" set twill0 direct auto
check_eq "$(flat_get "$(twill_flat hostA)" direct)" auto "A: show -j device direct"
check_contains "$(nsx hostA "$TWILL" showconf twill0)" "Direct = auto" "A: showconf has Direct = auto"
expect_direct podA1 "$PODB" "$B"
expect_vxlan podA1 "$PODC" "$C"

step "a flannel DirectRouting host (plain routes, no twill) both ways"
expect_direct podA1 "$PODS" "$S"
ping_ok podS1 "$(pod4 hostA 1)" 3
ping_ok podS1 "$(pod6 hostA 1)" 3
expect_direct podA1 "$(pod6 hostS 1)" "$S" 6
iperf_tcp podA1 podS1 "$PODS"
check_gt "$IPERF_RESULT" 0 "TCP A -> S bytes"
iperf_tcp podS1 podA1 "$(pod4 hostA 1)"
check_gt "$IPERF_RESULT" 0 "TCP S -> A bytes"

step "too big for the underlay: ICMP for DF, else dropped and counted"
nsx hostA "$IP" link set twill0 mtu 1500 || t_fail "A: twill0 mtu"
nsx hostA "$IP" link set ul0 mtu 1400 || t_fail "A: ul0 mtu"
big0=$(dev_drop hostA too_big)
out=$(nsx podA1 "$PING" -M "do" -s 1420 -c 2 -W 1 "$PODB" 2>&1) &&
	t_fail "a 1448-byte DF ping crossed a 1400-byte underlay"
check_contains "$out" "mtu" "A's pod is told the MTU"
info "$(printf '%s\n' "$out" | grep -i mtu | head -n 1)"
nsx podA1 "$IP" route flush cache
out=$(nsx podA1 "$PING" -M dont -s 1420 -c 2 -W 1 "$PODB" 2>&1) &&
	t_fail "a 1448-byte ping crossed a 1400-byte underlay"
check_gt "$(dev_drop hostA too_big)" "$big0" "A: too_big drops"
nsx hostA "$IP" link set ul0 mtu 1500
nsx hostA "$IP" link set twill0 mtu 1450
ping_ok podA1 "$PODB" 2

step "nothing else dropped"
for d in no_route loop nomem bad_proto; do
	check_eq "$(dev_drop hostA "$d")" 0 "A: drops $d"
done
show_twill hostA
echo "PASS: dp-direct"
