#!/bin/sh
# shellcheck shell=dash
# Teardown with thousands of live flows (issue 10).  Layout:
# tests/netns/natlib.sh, 4 pods behind hostA.  Each round first makes
# TWILL_NAT_FLOWS (5,000; 1,000 on a debug kernel) UDP flows from the 4
# pods (distinct destination ports, IPv4 and IPv6; the server answers
# each with port unreachable, translated back to the pods) and
# a tenth of TWILL_NAT_CONNS (1,000; 200) held TCP connections, checks num_flows, then
# starts a flood of new flows (2 x 2,000 a second; 2 x 300) and tears down, under it:
#   1. `twill nat set twill0 off`: NAT off, the pods no longer reach the
#      server; on again: no flows;
#   2. `ip link del twill0`;
#   3. `ip netns del hostA`;
#   4. `rmmod twill` with the devices alive: it succeeds within 60 s and
#      leaves no twill device; where the flow cache shows in
#      /proc/slabinfo, it is gone with the module.
# The kernel log is clean after each (the lane checks it too, with
# kmemleak on the debug kernel).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/natlib.sh"

N=${TWILL_NAT_FLOWS:-$(scaled 5000 1000)}
RATE=$(scaled 2000 300)
C=$((${TWILL_NAT_CONNS:-$(scaled 1000 200)} / 10))
echo "   TWILL_NAT_FLOWS=${TWILL_NAT_FLOWS:-} TWILL_NAT_CONNS=${TWILL_NAT_CONNS:-} (kernel ${TWILL_KERNEL:-?}): $N UDP flows, $C TCP connections"
Q=$((N / 4))
N=$((Q * 4))

# load: the flows of a round, checked; then the flood (FLOOD_PID) and the
# held connections (HELD_PID).
load() {
	local i dst exp live
	nat_mark hostA
	# closed with a reset: no FIN retransmissions after the teardown
	conn_hold podA4 "$C" "$SRV4" 8080 -R
	HELD_PID=$CONN_PID
	check_eq "$CONN_OUT" "ok=$C fail=0" "$1: $C TCP connections held"
	for i in 1 2 3 4; do
		dst=$SRV4
		[ $((i % 2)) = 0 ] && dst=$SRV6
		check_ok "$1: podA$i: $Q UDP flows to $dst" nsx "podA$i" "$FLOWTOOL" udpflows -n "$Q" "$dst" 20000
	done
	nsx hostA "$TWILL" nat flows twill0 | awk '{ n[$1 " " $(NF - 1)]++ } $1 !~ /^(tcp|udp)$/ { print "   flow: " $0 }
		END { for (k in n) print "   flows: " k ": " n[k] }'
	nat_expect hostA "$1" tx_packets=+ rx_packets=+ icmp_errors=+ flows_created=$((N + C))
	# Made one after the other, the first UDP flows can pass their 30 s
	# before the last are made on a slow (debug, busy) guest: what is
	# knowable is that every flow made is live or counted expired
	# (num_flows is read before the counters).
	exp=$((NAT_NOW_flows_expired - NAT_MARK_flows_expired))
	check_ge "$NAT_NOW_num_flows" $((N + C - exp)) "$1: num_flows: the $((N + C)) made, less the $exp expired since"
	live=$NAT_NOW_num_flows
	bg_in podA3 "$FLOWTOOL" udpflows -r "$RATE" -S 100 -n 30000 "$SRV4" 30000 >/dev/null 2>&1
	FLOOD_PID=$BG_PID
	bg_in podA1 "$FLOWTOOL" udpflows -r "$RATE" -S 100 -n 30000 "$SRV6" 30000 >/dev/null 2>&1
	FLOOD6_PID=$BG_PID
	sleep 2
	check_gt "$(nat_get hostA num_flows)" "$live" "$1: the flood adds flows"
	info "$1: the teardown comes with $live flows made above, and the flood's"
}

unload() {
	bg_stop "$FLOOD_PID"
	bg_stop "$FLOOD6_PID"
	bg_stop "$HELD_PID"
}

fresh_topo() {
	topo_cleanup
	TOPO_TMP=$(mktemp -d /tmp/topo.XXXXXX)
	nat_topo 4 1
	srv_start outside 8080
	nat_on hostA
}

step "topology: hostA with 4 pods"
module_load
nat_topo 4 1
srv_start outside 8080
nat_on hostA

step "1. twill nat set twill0 off with $N flows live"
load "round 1"
check_ok "nat off" nsx hostA "$TWILL" nat set twill0 off
nat_is_off hostA
ping_fails podA2 "$SRV4" 2
unload
nat_on hostA
check_eq "$(nat_get hostA num_flows)" 0 "NAT on again: no flows"
ping_ok podA2 "$SRV4" 2
klog_clean "nat off"

step "2. ip link del twill0 with $N flows live"
load "round 2"
check_ok "ip link del twill0" nsx hostA "$IP" link del twill0
check_fails "twill0 is gone" nsx hostA "$IP" link show twill0
ping_fails podA2 "$SRV4" 2
unload
klog_clean "device deleted"
topo_twill hostA
topo_twill_peer hostA hostB 4
nat_on hostA
ping_ok podA2 "$SRV4" 2
ping_ok podA1 "$(pod4 hostB 1)" 2

step "3. ip netns del hostA with $N flows live"
load "round 3"
check_ok "ip netns del hostA" "$IP" netns del hostA
topo_ns_forget hostA
unload
# the namespace goes in the background (cleanup_net): let it finish
sleep 3
klog_clean "namespace deleted"

step "4. rmmod twill with $N flows live"
fresh_topo
load "round 4"
slab_before=$(grep -c '^twill_flow ' /proc/slabinfo 2>/dev/null || :)
t0=$(date +%s)
check_ok "rmmod twill" timeout 60 rmmod twill
info "rmmod took $(($(date +%s) - t0)) s"
check_fails "no twill0 in hostA" nsx hostA "$IP" link show twill0
check_fails "no twill0 in hostB" nsx hostB "$IP" link show twill0
unload
if [ "${slab_before:-0}" -gt 0 ]; then
	check_eq "$(grep -c '^twill_flow ' /proc/slabinfo)" 0 "the twill_flow cache went with the module"
else
	info "no twill_flow line in /proc/slabinfo (cache merged or no slabinfo)"
fi
sleep 2
klog_clean "module unloaded"
check_ok "modprobe twill" modprobe twill
echo "PASS: nat-teardown"
