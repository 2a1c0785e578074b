#!/bin/sh
# Device churn: 200 twill devices created, configured (peers, prefixes,
# settings, addresses, up) and deleted in 20 namespaces, 20 loops running
# at once (waves of 5 devices per namespace), while one long-lived twill pair (hostA <-> hostB) carries pings
# both ways (IPv4 and IPv6 inside) and iperf3 TCP.  At the end no twill
# device is left in the churn namespaces, the long-lived pair's peer
# counters moved during the churn, each side received exactly what the
# other sent, and its pods still ping each other.
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
info "TWILL_CHURN_DEVICES=$TOTAL TWILL_CHURN_NS=$NNS"
A=$(ul4 hostA)
tx0=$(peer_get hostA "$B" tx_packets)
rx0=$(peer_get hostB "$A" rx_packets)
btx0=$(peer_get hostB "$A" tx_packets)
arx0=$(peer_get hostA "$B" rx_packets)
bg_in podA1 "$PING" -q -i 0.05 "$(pod4 hostB 1)" >/dev/null 2>&1
P1=$BG_PID
bg_in podB1 "$PING" -q -i 0.05 "$(pod6 hostA 1)" >/dev/null 2>&1
P2=$BG_PID
IPERF_PORT=$((IPERF_PORT + 1))
bg_in podB1 "$IPERF" -s -p "$IPERF_PORT" >/dev/null 2>&1
topo_wait 20 iperf_listening podB1 "$IPERF_PORT" || t_fail "iperf3 server did not start"
bg_in podA1 "$IPERF" -c "$(pod4 hostB 1)" -p "$IPERF_PORT" -t 600 -b 5M >/dev/null 2>&1
P3=$BG_PID

# churn NS N: PER devices in waves of 5: made with one `ip -batch`,
# configured with twill set (own port, VNI, two peers with IPv4 and IPv6
# prefixes; in odd waves one peer removed again), addressed and brought up
# with one `ip -batch`, then deleted with one (the odd waves' while down).
churn() {
	local ns=$1 n=$2 k=1 w=0 i last
	while [ "$k" -le "$PER" ]; do
		w=$((w + 1))
		last=$((k + 4))
		[ "$last" -le "$PER" ] || last=$PER
		# Made down: an up twill device holds its port (8472 by default)
		# and a new one, which would take the same, is refused.
		i=$k
		while [ "$i" -le "$last" ]; do
			echo "link add tw$i type twill"
			i=$((i + 1))
		done >"$TOPO_TMP/$ns.add"
		"$IP" -n "$ns" -batch "$TOPO_TMP/$ns.add" || { echo "$ns: wave $w: add"; return 1; }
		i=$k
		while [ "$i" -le "$last" ]; do
			nsx "$ns" "$TWILL" set "tw$i" listen-port $((9000 + n * 50 + i)) vni "$i" \
				peer "192.0.2.$i" prefixes "10.$n.$i.0/24,fd00:$n:$i::/64" \
				peer "[2001:db8::$i]:4789" prefixes "10.$((n + 100)).$i.0/24" >/dev/null ||
				{ echo "$ns: twill set tw$i"; return 1; }
			echo "addr add 10.$n.0.$i/32 dev tw$i" >>"$TOPO_TMP/$ns.up"
			echo "link set tw$i up" >>"$TOPO_TMP/$ns.up"
			i=$((i + 1))
		done
		"$IP" -n "$ns" -batch "$TOPO_TMP/$ns.up" || { echo "$ns: wave $w: up"; return 1; }
		rm -f "$TOPO_TMP/$ns.up"
		if [ $((w % 2)) = 1 ]; then
			nsx "$ns" "$TWILL" set "tw$k" peer "192.0.2.$k" remove >/dev/null ||
				{ echo "$ns: twill set remove"; return 1; }
		fi
		i=$k
		while [ "$i" -le "$last" ]; do
			[ $((w % 2)) = 1 ] && echo "link set tw$i down"
			echo "link del tw$i"
			i=$((i + 1))
		done >"$TOPO_TMP/$ns.del"
		"$IP" -n "$ns" -batch "$TOPO_TMP/$ns.del" || { echo "$ns: wave $w: del"; return 1; }
		k=$((last + 1))
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
for p in $P1 $P2 $P3; do
	wait "$p" 2>/dev/null || :
done
# What is still in flight (iperf3's last segments, the server's answers)
# lands within a second on a direct veth underlay.
sleep 1
tx1=$(peer_get hostA "$B" tx_packets)
check_gt "$tx1" $((tx0 + 100)) "hostA: peer B tx_packets moved during the churn"
check_eq "$(($(peer_get hostB "$A" rx_packets) - rx0))" $((tx1 - tx0)) \
	"hostB: peer A rx_packets moved by what A sent"
btx=$(($(peer_get hostB "$A" tx_packets) - btx0))
check_gt "$btx" 100 "hostB: peer A tx_packets moved during the churn"
check_eq "$(($(peer_get hostA "$B" rx_packets) - arx0))" "$btx" \
	"hostA: peer B rx_packets moved by what B sent"
ping_ok podA1 "$(pod4 hostB 1)" 3
ping_ok podB1 "$(pod6 hostA 1)" 3
echo "PASS: churn-devices ($TOTAL devices)"
