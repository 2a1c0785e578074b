#!/bin/sh
# Module churn: 20 times, bring up a twill pair (hostA <-> hostB, pods
# behind each), let pods ping each other over it while hostB keeps sending
# VXLAN datagrams (valid, from the peer) to hostA's twill port, then
# unload the module under that traffic and load it again:
#   even rounds: the devices are deleted first, then rmmod (the datagrams
#                still arrive at the closing sockets' port)
#   odd rounds:  rmmod with the devices alive, a `twill monitor` listening
#                and a transaction left staged by another socket (nlfuzz -H)
# Each round checks that traffic really crossed the overlay before the
# unload, that rmmod succeeds (within 60 s), that no twill device survives
# it, and that the reloaded module makes working devices again; the last
# round's pair must carry pings.
#
# Reloads pass selftest=0: the debug build's self-tests at load take tens
# of seconds under TCG.
#
# Environment: TWILL_CHURN_RMMOD (rounds, default 20; 5 on a debug kernel).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

# The debug kernel (KASAN, lockdep, ...) is about ten times slower: 5 rounds.
case ${TWILL_KERNEL:-} in
*-debug) ROUNDS=${TWILL_CHURN_RMMOD:-5} ;;
*) ROUNDS=${TWILL_CHURN_RMMOD:-20} ;;
esac
NLFUZZ=${NLFUZZ:-nlfuzz}
PKTFUZZ=${PKTFUZZ:-pktfuzz}
echo "   TWILL_CHURN_RMMOD=${TWILL_CHURN_RMMOD:-} (kernel ${TWILL_KERNEL:-?}): $ROUNDS rounds"
A=$(ul4 hostA)
B=$(ul4 hostB)
command -v "$PKTFUZZ" >/dev/null 2>&1 || fail "pktfuzz (tests/tools) is not in the guest"

step "topology: hostA, hostB, one pod each (twill0 made anew every round)"
module_load
topo_hosts hostA hostB
topo_pods hostA 1
topo_pods hostB 1

# pair: twill0 on both hosts with its peer, addresses and routes: one
# `ip -batch` and one `twill set` per host (processes are costly here).
pair() {
	local h p n
	for h in hostA hostB; do
		n=$(host_idx "$h")
		if [ "$h" = hostA ]; then p=hostB; else p=hostA; fi
		printf '%s\n' "link add twill0 type twill" "link set twill0 up" \
			"addr add 10.244.$n.0/32 dev twill0" \
			"route add 10.244.0.0/16 dev twill0" \
			"route add fd00:244::/48 dev twill0" >"$TOPO_TMP/pair"
		nsx "$h" "$IP" -batch "$TOPO_TMP/pair" || t_fail "$h: twill0 (round $r)"
		nsx "$h" "$TWILL" set twill0 mac "$(twill_mac "$h")" peer "$(ul4 "$p")" \
			mac "$(twill_mac "$p")" prefixes "$(subnet4 "$p"),$(subnet6 "$p")" >/dev/null ||
			t_fail "$h: twill set (round $r)"
	done
}

# load: modprobe without the debug build's load-time self-tests (tens of
# seconds each under TCG; tests/vm and module-load run them already)
load() {
	module_loaded || modprobe twill selftest=0 || t_fail "modprobe twill (round $r)"
}

# rx_moved: hostA's (new) twill0 received and sent packets
rx_moved() {
	[ "$(nsx_sys hostA cat /sys/class/net/twill0/statistics/rx_packets)" -gt 20 ] &&
		[ "$(nsx_sys hostA cat /sys/class/net/twill0/statistics/tx_packets)" -gt 5 ]
}

step "pod traffic for the whole run; hostB sends datagrams to hostA's port"
bg_in podA1 "$PING" -q -i 0.05 "$(pod4 hostB 1)" >/dev/null 2>&1
bg_in podB1 "$PING" -q -i 0.05 "$(pod6 hostA 1)" >/dev/null 2>&1
bg_in hostB "$PKTFUZZ" -k valid -r 2000 -n 100000000 -t 3600 -b "$B" \
	-d "$(twill_mac hostA)" -m "$(twill_mac hostB)" \
	-4 "$(pod4 hostB 1),$(pod4 hostA 1)" -6 "$(pod6 hostB 1),$(pod6 hostA 1)" "$A" >/dev/null 2>&1

t0=$(date +%s)
r=1
while [ "$r" -le "$ROUNDS" ]; do
	load
	pair
	# traffic crosses the overlay (the pings, pktfuzz's valid datagrams)
	topo_wait 10 rx_moved || t_fail "round $r: no traffic through hostA's twill0"
	hold=""
	mon=""
	if [ $((r % 2)) = 0 ]; then
		nsx hostA "$IP" link del twill0 || t_fail "round $r: link del (A)"
		nsx hostB "$IP" link del twill0 || t_fail "round $r: link del (B)"
		what="devices deleted first"
	else
		idx=$(nsx_sys hostA cat /sys/class/net/twill0/ifindex)
		bg_in hostA "$NLFUZZ" -H 30 -i "$idx" >"$TOPO_TMP/hold.out" 2>&1
		hold=$BG_PID
		topo_wait 20 grep -q holding "$TOPO_TMP/hold.out" || {
			cat "$TOPO_TMP/hold.out" >&2
			t_fail "round $r: nlfuzz -H did not stage"
		}
		bg_in hostA "$TWILL" monitor twill0 >/dev/null 2>&1
		mon=$BG_PID
		what="devices alive, monitor listening, transaction staged"
	fi
	timeout 60 rmmod twill || t_fail "round $r ($what): rmmod failed or hung"
	! module_loaded || t_fail "round $r: twill still loaded after rmmod"
	for h in hostA hostB; do
		! link_exists "$h" twill0 || t_fail "round $r: $h: twill0 survived rmmod"
	done
	# The socket of a staged transaction and a monitor outlive the module.
	[ -z "$mon" ] || kill "$mon" 2>/dev/null || :
	[ -z "$hold" ] || kill "$hold" 2>/dev/null || :
	[ -z "$hold" ] || wait "$hold" 2>/dev/null || :
	[ $((r % 5)) = 0 ] && info "round $r done ($what), $(($(date +%s) - t0))s"
	r=$((r + 1))
done
info "$ROUNDS unloads took $(($(date +%s) - t0))s"

step "loaded again, the pair works"
load
pair
ping_ok podA1 "$(pod4 hostB 1)" 3
ping_ok podB1 "$(pod6 hostA 1)" 3
echo "PASS: churn-rmmod ($ROUNDS rounds)"
