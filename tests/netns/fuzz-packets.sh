#!/bin/sh
# Packet fuzz: tests/tools/pktfuzz sends randomized and mutated VXLAN
# datagrams (valid ones, truncated headers, bad flags, wrong VNI, bad inner
# IPv4/IPv6, other EtherTypes, spoofed inner sources, random bytes, big
# ones that arrive as outer fragments) to hostA's twill0 port: from the
# peer hostB (so they pass the unknown-peer check) and from a stranger
# hostS (IPv4 and IPv6 underlay).  Afterwards every rx drop reason the
# mix provokes has moved on hostA (device-wide and, for B's packets but
# bad_header, which is decided before the peer lookup, on peer B), the
# stranger's are never charged to peer B, the valid ones were accepted (peer B rx_packets), the
# stranger's were counted as unknown_peer, and pods still ping each other
# both ways over IPv4 and IPv6.  The kernel log check does the rest.
# hostA masquerades the whole cluster with nothing excluded, so that every
# inner packet that reaches a pod also goes through the NAT hooks (the
# decapsulated fuzz leaves through cni0 and is source-translated, replies
# and ICMP errors are looked up on the way in); the NAT counters must move.
#
# Environment:
#   TWILL_FUZZ_PKTS  datagrams from the peer (default 200000; the full run:
#                    1000000); the stranger sends a quarter of it (IPv4)
#                    and a tenth (IPv6)
#   TWILL_FUZZ_SEED  seed (default fixed; printed)
#   TWILL_FUZZ_TIME  pktfuzz's time limit per run, seconds (default 150);
#                    a run that stops short of its count fails the scenario
# Reproduce: pktfuzz -s SEED ... with the arguments printed below.
# shellcheck disable=SC2154 # the snapshot variables are set through eval
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

PKTFUZZ=${PKTFUZZ:-pktfuzz}
N=${TWILL_FUZZ_PKTS:-200000}
SEED=${TWILL_FUZZ_SEED:-1795646644}
LIMIT=${TWILL_FUZZ_TIME:-150}
command -v "$PKTFUZZ" >/dev/null 2>&1 || fail "pktfuzz (tests/tools) is not in the guest"

A=$(ul4 hostA)
B=$(ul4 hostB)
S=$(ul4 hostS)
RX_REASONS="unknown_peer bad_header bad_vni spoofed bad_inner bad_proto"

step "topology: hostA, hostB (twill peers), hostS (stranger) on one bridge"
topo_hosts hostA hostB hostS
topo_pods hostA 1
topo_pods hostB 1
topo_twill_mesh 4 hostA hostB
ping_ok podB1 "$(pod4 hostA 1)" 2
nsx hostA "$TWILL" nat set twill0 masquerade 10.244.0.0/16,fd00:244::/48 ||
	t_fail "hostA: twill nat set failed"

nat_stat() { # NAME: hostA's NAT counter, the test fails if it is missing
	local v
	v=$(nsx hostA "$TWILL" -j nat show twill0 | json_get "stats|$1")
	[ -n "$v" ] || t_fail "hostA: no NAT counter '$1' in twill -j nat show"
	echo "$v"
}

snapshot() { # PREFIX: dev_<reason> and peer_<reason> variables
	local r flat i v
	flat=$(twill_flat hostA)
	i=$(peer_index "$flat" "$B")
	[ -n "$i" ] || t_fail "hostA: peer $B missing"
	for r in $RX_REASONS no_peer no_route too_big loop nomem; do
		v=$(flat_get "$flat" "$J_DROPS|$r")
		[ -n "$v" ] || t_fail "hostA: no drops '$r' in twill show -j"
		eval "${1}_dev_$r=$v"
		v=$(flat_get "$flat" "$J_PEERS|$i|$J_DROPS|$r")
		[ -n "$v" ] || t_fail "hostA: peer B has no drops '$r' in twill show -j"
		eval "${1}_peer_$r=$v"
	done
	v=$(flat_get "$flat" "$J_PEERS|$i|rx_packets")
	[ -n "$v" ] || t_fail "hostA: peer B has no rx_packets in twill show -j"
	eval "${1}_rx=$v"
}

SENT=0
fuzz() { # HOST WHAT ARGS...: pktfuzz must make its whole count (else exit 1)
	local h=$1 what=$2 out rc=0 t0 sent
	shift 2
	info "$h: pktfuzz $*"
	t0=$(date +%s)
	out=$(nsx "$h" "$PKTFUZZ" "$@" 2>&1) || rc=$?
	printf '%s\n' "$out" | sed 's/^/   | /'
	[ "$rc" = 0 ] || t_fail "pktfuzz $what failed or stopped short of its count (exit $rc)"
	sent=$(printf '%s\n' "$out" | sed -n 's/^pktfuzz: seed [0-9]*: sent \([0-9]*\) of .*/\1/p')
	check_gt "${sent:-x}" 0 "$what: datagrams sent"
	SENT=$((SENT + sent))
	info "$what: $sent datagrams sent in $(($(date +%s) - t0))s"
}

info "TWILL_FUZZ_PKTS=$N TWILL_FUZZ_SEED=$SEED TWILL_FUZZ_TIME=$LIMIT"

snapshot before
s_rx0=$(link_stat podA1 eth0 rx packets)
nat_flows0=$(nat_stat flows_created)
nat_tx0=$(nat_stat tx_packets)

step "$N datagrams from the peer hostB, seed $SEED"
fuzz hostB "from B" -s "$SEED" -n "$N" -t "$LIMIT" -b "$B" \
	-d "$(twill_mac hostA)" -m "$(twill_mac hostB)" \
	-4 "$(pod4 hostB 1),$(pod4 hostA 1)" -6 "$(pod6 hostB 1),$(pod6 hostA 1)" "$A"
snapshot afterB

step "$((N / 4)) datagrams from the stranger hostS (IPv4), $((N / 10)) over IPv6"
fuzz hostS "from S" -s "$((SEED + 1))" -n "$((N / 4))" -t "$LIMIT" -b "$S" \
	-4 "$(pod4 hostB 1),$(pod4 hostA 1)" -6 "$(pod6 hostB 1),$(pod6 hostA 1)" "$A"
fuzz hostS "from S (IPv6)" -s "$((SEED + 2))" -n "$((N / 10))" -t "$LIMIT" -b "$(ul6 hostS)" \
	-4 "$(pod4 hostB 1),$(pod4 hostA 1)" -6 "$(pod6 hostB 1),$(pod6 hostA 1)" "$(ul6 hostA)"
snapshot after

step "drop counters moved in the right reasons"
for r in $RX_REASONS no_peer no_route too_big loop nomem; do
	eval "info \"   $r: device \$before_dev_$r -> \$afterB_dev_$r -> \$after_dev_$r, peer B \$before_peer_$r -> \$after_peer_$r\""
done
# B's mix provokes every rx reason but unknown_peer, on the device and on
# peer B; the stranger's packets are all unknown_peer.
# bad_header is decided before the peer lookup: device-wide only.
for r in bad_header bad_vni spoofed bad_inner bad_proto; do
	eval "d0=\$before_dev_$r d1=\$afterB_dev_$r p0=\$before_peer_$r p1=\$afterB_peer_$r"
	check_gt "$d1" "$d0" "device drops $r moved by B's datagrams"
	[ "$r" = bad_header ] || check_gt "$p1" "$p0" "peer B drops $r moved by B's datagrams"
done
check_eq "$afterB_dev_unknown_peer" "$before_dev_unknown_peer" "B's datagrams are not unknown_peer"
check_ge "$after_dev_unknown_peer" $((afterB_dev_unknown_peer + N / 4 / 2)) \
	"the stranger's datagrams are unknown_peer (half of them at least: bad headers and full queues)"
for r in bad_header bad_vni spoofed bad_inner bad_proto; do
	eval "check_eq \"\$after_peer_$r\" \"\$afterB_peer_$r\" \"the stranger's datagrams are not charged to peer B ($r)\""
done
check_gt "$afterB_rx" "$before_rx" "peer B rx_packets moved: valid datagrams accepted"
check_gt "$(link_stat podA1 eth0 rx packets)" "$s_rx0" "podA1 received the valid ones"
check_gt "$(nat_stat flows_created)" "$nat_flows0" "NAT: the fuzz made flows"
check_gt "$(nat_stat tx_packets)" "$nat_tx0" "NAT: the fuzz was translated"

step "the overlay still works"
ping_ok podB1 "$(pod4 hostA 1)" 3
ping_ok podA1 "$(pod4 hostB 1)" 3
ping_ok podA1 "$(pod6 hostB 1)" 3
ping_ok podB1 "$(pod6 hostA 1)" 3
show_twill hostA
nsx hostA "$TWILL" nat show twill0 | sed 's/^/   | /'
echo "PASS: fuzz-packets (seed $SEED, $N + $((N / 4)) + $((N / 10)) datagrams made, $SENT sent)"
