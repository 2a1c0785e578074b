#!/bin/sh
# shellcheck shell=dash
# Three hosts, overlapping prefixes on host A: 10.244.0.0/16 (and
# fd00:244::/48) belong to host B, 10.244.3.0/24 (fd00:244:0:3::/64) to host C.
# Longest match wins: 10.244.3.x goes to C, 10.244.5.x to B; the peers'
# counters and the receiving host show which way each packet went.  Then
# the C prefix is removed at run time and 10.244.3.x falls back to B.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

B=$(ul4 hostB)
C=$(ul4 hostC)
A=$(ul4 hostA)

step "topology: hostA, hostB, hostC on one underlay bridge"
topo_hosts hostA hostB hostC
topo_pods hostA 1
topo_pods hostB 1
topo_pods hostC 1
for h in hostA hostB hostC; do
	topo_twill "$h"
done
# B also owns 10.244.5.0/24: a host address there (on lo) answers pings.
nsx hostB "$IP" addr add 10.244.5.1/32 dev lo
nsx hostB "$IP" -6 addr add fd00:244:0:5::1/128 dev lo
topo_twill_peer hostA hostB 4 10.244.0.0/16,fd00:244::/48
topo_twill_peer hostA hostC 4 10.244.3.0/24,fd00:244:0:3::/64
for h in hostB hostC; do
	topo_twill_peer "$h" hostA 4
done
show_twill hostA

step "twill route get: longest prefix match"
check_ok "route get 10.244.3.7" nsx hostA "$TWILL" route get twill0 10.244.3.7
check_contains "$CHECK_OUT" "$C" "10.244.3.7 -> C"
check_contains "$CHECK_OUT" "10.244.3.0/24" "10.244.3.7 matches 10.244.3.0/24"
check_ok "route get 10.244.5.7" nsx hostA "$TWILL" route get twill0 10.244.5.7
check_contains "$CHECK_OUT" "$B" "10.244.5.7 -> B"
check_contains "$CHECK_OUT" "10.244.0.0/16" "10.244.5.7 matches 10.244.0.0/16"
check_ok "route get fd00:244:0:3::7" nsx hostA "$TWILL" route get twill0 fd00:244:0:3::7
check_contains "$CHECK_OUT" "$C" "fd00:244:0:3::7 -> C"
check_ok "route get fd00:244:0:5::7" nsx hostA "$TWILL" route get twill0 fd00:244:0:5::7
check_contains "$CHECK_OUT" "$B" "fd00:244:0:5::7 -> B"

for fam in 4 6; do
	if [ "$fam" = 4 ]; then
		to_c=$(pod4 hostC 1) to_b5=10.244.5.1 to_b=$(pod4 hostB 1)
	else
		to_c=$(pod6 hostC 1) to_b5=fd00:244:0:5::1 to_b=$(pod6 hostB 1)
	fi

	step "IPv$fam: traffic to $to_c goes to C, not B"
	tb0=$(peer_get hostA "$B" tx_packets)
	tc0=$(peer_get hostA "$C" tx_packets)
	rc0=$(peer_get hostC "$A" rx_packets)
	rb0=$(peer_get hostB "$A" rx_packets)
	ping_ok podA1 "$to_c" 5
	n=$PING_SENT
	tb1=$(peer_get hostA "$B" tx_packets)
	tc1=$(peer_get hostA "$C" tx_packets)
	rc1=$(peer_get hostC "$A" rx_packets)
	rb1=$(peer_get hostB "$A" rx_packets)
	check_eq "$tc1" $((tc0 + n)) "A: peer C tx_packets moved by the $n requests"
	check_eq "$tb1" "$tb0" "A: peer B tx_packets unchanged"
	check_eq "$rc1" $((rc0 + n)) "C: peer A rx_packets moved by the $n requests"
	check_eq "$rb1" "$rb0" "B: peer A rx_packets unchanged"

	step "IPv$fam: traffic to $to_b5 goes to B, not C"
	ping_ok podA1 "$to_b5" 5
	n=$PING_SENT
	tb2=$(peer_get hostA "$B" tx_packets)
	tc2=$(peer_get hostA "$C" tx_packets)
	rb2=$(peer_get hostB "$A" rx_packets)
	check_eq "$tb2" $((tb1 + n)) "A: peer B tx_packets moved by the $n requests"
	check_eq "$tc2" "$tc1" "A: peer C tx_packets unchanged"
	check_eq "$rb2" $((rb1 + n)) "B: peer A rx_packets moved by the $n requests"

	step "IPv$fam: B's own pod subnet ($to_b) via the /16"
	ping_ok podA1 "$to_b" 3
	check_eq "$(peer_get hostA "$B" tx_packets)" $((tb2 + PING_SENT)) "A: peer B tx_packets moved by the $PING_SENT requests"
done

step "C sending from 10.244.7.1 (B's /16, not C's /24) is dropped as spoofed on A"
s0=$(peer_drop hostA "$C" spoofed)
nsx hostC "$IP" addr add 10.244.7.1/32 dev lo
check_fails "ping from C with source 10.244.7.1 gets no reply" \
	nsx hostC "$PING" -c 3 -i 0.2 -w 3 -I 10.244.7.1 "$(pod4 hostA 1)"
n=$(ping_sent "$CHECK_OUT") || exit 1
check_eq "$(peer_drop hostA "$C" spoofed)" $((s0 + n)) "A: peer C drops spoofed moved by the $n requests"

step "remove C's /24 at run time: 10.244.3.x now follows the /16 to B"
check_ok "twill set -prefix" nsx hostA "$TWILL" set twill0 peer "$C" prefixes -10.244.3.0/24
check_ok "route get 10.244.3.7" nsx hostA "$TWILL" route get twill0 10.244.3.7
check_contains "$CHECK_OUT" "$B" "10.244.3.7 -> B now"
tb=$(peer_get hostA "$B" tx_packets)
tc=$(peer_get hostA "$C" tx_packets)
np=$(dev_drop hostB no_peer)
# B has no peer for 10.244.3.0/24, so the ping dies there.
ping_fails podA1 "$(pod4 hostC 1)" 3
check_eq "$(peer_get hostA "$B" tx_packets)" $((tb + PING_SENT)) "A: peer B tx_packets moved by the $PING_SENT requests"
check_eq "$(peer_get hostA "$C" tx_packets)" "$tc" "A: peer C tx_packets unchanged"
check_eq "$(dev_drop hostB no_peer)" $((np + PING_SENT)) "B: drops no_peer moved by the $PING_SENT requests (no route onwards)"
step "the IPv6 /64 of C is still there"
ping_ok podA1 "$(pod6 hostC 1)" 3

show_twill hostA
echo "PASS: dp-overlap"
