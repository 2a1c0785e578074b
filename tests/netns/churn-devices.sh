#!/bin/sh
# Device churn: 200 twill devices created, configured (peers, prefixes,
# settings, addresses, up) and deleted in 20 namespaces, 20 loops running
# at once, while one long-lived twill pair (hostA <-> hostB) carries pings
# both ways (IPv4 and IPv6 inside) and iperf3 TCP.  At the end no twill
# device is left in the churn namespaces, the long-lived pair's peer
# counters moved during the churn, and its pods still ping each other.
#
# Environment: TWILL_CHURN_DEVICES (default 200: devices in all, spread over
# TWILL_CHURN_NS namespaces, default 20).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

TOTAL=${TWILL_CHURN_DEVICES:-200}
NNS=${TWILL_CHURN_NS:-20}
PER=$((TOTAL / NNS))
B=$(ul4 hostB)

step "long-lived pair: hostA, hostB, one pod each, twill0 mesh"
topo_hosts hostA hostB
topo_pods hostA 1
topo_pods hostB 1
topo_twill_mesh 4 hostA hostB
ping_ok podA1 "$(pod4 hostB 1)" 2
ping_ok podB1 "$(pod6 hostA 1)" 2

step "$NNS churn namespaces"
i=1
while [ "$i" -le "$NNS" ]; do
	topo_ns_add "churn$i"
	i=$((i + 1))
done

step "traffic through the long-lived pair"
tx0=$(peer_get hostA "$B" tx_packets)
bg_in podA1 "$PING" -q -i 0.05 "$(pod4 hostB 1)" >/dev/null 2>&1
P1=$BG_PID
bg_in podB1 "$PING" -q -i 0.05 "$(pod6 hostA 1)" >/dev/null 2>&1
P2=$BG_PID
IPERF_PORT=$((IPERF_PORT + 1))
bg_in podB1 "$IPERF" -s -p "$IPERF_PORT" >/dev/null 2>&1
topo_wait 20 iperf_listening podB1 "$IPERF_PORT" || t_fail "iperf3 server did not start"
bg_in podA1 "$IPERF" -c "$(pod4 hostB 1)" -p "$IPERF_PORT" -t 600 -b 20M >/dev/null 2>&1
P3=$BG_PID

# churn NS: PER devices one after the other, each configured then deleted;
# the odd ones are deleted while up with peers, the even ones after down.
churn() {
	local ns=$1 n=$2 k=1 dev port
	while [ "$k" -le "$PER" ]; do
		dev=tw$k
		port=$((9000 + n * 50 + k))
		"$IP" -n "$ns" link add "$dev" type twill || { echo "$ns: link add $dev"; return 1; }
		nsx "$ns" "$TWILL" set "$dev" listen-port "$port" vni "$k" \
			peer "192.0.2.$k" prefixes "10.$n.$k.0/24,fd00:$n:$k::/64" \
			peer "[2001:db8::$k]:4789" prefixes "10.$((n + 100)).$k.0/24" >/dev/null ||
			{ echo "$ns: twill set $dev"; return 1; }
		"$IP" -n "$ns" addr add "10.$n.0.$k/32" dev "$dev"
		"$IP" -n "$ns" link set "$dev" up
		if [ $((k % 2)) = 0 ]; then
			nsx "$ns" "$TWILL" set "$dev" peer "192.0.2.$k" remove >/dev/null ||
				{ echo "$ns: twill set remove"; return 1; }
			"$IP" -n "$ns" link set "$dev" down
		fi
		"$IP" -n "$ns" link del "$dev" || { echo "$ns: link del $dev"; return 1; }
		k=$((k + 1))
	done
	echo "$ns: ok"
}

step "churn: $TOTAL devices in $NNS namespaces, $NNS loops at once"
t0=$(date +%s)
i=1
pids=""
while [ "$i" -le "$NNS" ]; do
	churn "churn$i" "$i" >"$TOPO_TMP/churn$i.out" 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done 2>/dev/null
bad=0
for p in $pids; do
	wait "$p" || bad=$((bad + 1))
done
info "churn took $(($(date +%s) - t0))s"
cat "$TOPO_TMP"/churn*.out | grep -v ': ok$' | sed 's/^/   | /' >&2 || :
check_eq "$bad" 0 "churn loops that failed"

step "every churn device is gone"
left=0
i=1
while [ "$i" -le "$NNS" ]; do
	n=$("$IP" -n "churn$i" -o link show type twill | wc -l)
	left=$((left + n))
	i=$((i + 1))
done
check_eq "$left" 0 "twill devices left in the churn namespaces"

step "the long-lived pair carried traffic throughout and still works"
for p in $P1 $P2 $P3; do
	kill -0 "$p" 2>/dev/null || t_fail "a traffic generator (pid $p) died during the churn"
done
kill "$P1" "$P2" "$P3" 2>/dev/null || :
tx1=$(peer_get hostA "$B" tx_packets)
check_gt "$tx1" $((tx0 + 100)) "hostA: peer B tx_packets moved during the churn"
ping_ok podA1 "$(pod4 hostB 1)" 3
ping_ok podB1 "$(pod6 hostA 1)" 3
echo "PASS: churn-devices ($TOTAL devices)"
