#!/bin/sh
# shellcheck shell=dash
# NAT masquerade, the basics (issue 10).  Layout: tests/netns/natlib.sh
# (hostA's uplink up0 leads straight to the "outside" namespace with the
# server 198.51.100.1 / 2001:db8:100::1, which has no route to the pods).
# hostA: `twill nat set twill0 masquerade CLUSTER exclude CLUSTER`.
#   - IPv4 and IPv6: pods reach the server by ICMP echo, UDP and TCP
#     (short connections and an iperf3 bulk transfer both ways); the
#     server sees only hostA's uplink address (its own log of peers, and a
#     capture on its interface that never shows a pod address); the
#     counters move by what was sent (echo and UDP: exactly); `nat flows`
#     lists the flows with both tuples.
#   - pod to pod across the overlay (podA1 -> podB1 via twill0): podB1
#     sees podA1's own address, no NAT counter moves, no flow is made.
#   - masquerade 0.0.0.0/0,::/0 (the cluster excluded) with `to` the
#     uplink addresses: twill's own VXLAN packets are not translated (the
#     overlay still works, hostB counts them from hostA's underlay address,
#     no flow, no counter), the pods still reach the server.
#   - a service (to podB1) beside masquerade: podB1 sees podA1's own
#     address, the server still sees hostA's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/natlib.sh"

step "topology: hostA (2 pods, uplink to the server), hostB (1 pod), twill0 mesh"
nat_topo 2 1
srv_start outside 7,8080
SLOG=$SRV_LOG
srv_start podB1 7,8080
BLOG=$SRV_LOG

step "before NAT: the pods cannot reach the server (no route back)"
ping_fails podA1 "$SRV4" 2

# na_probe: podA1's entry for its gateway goes stale and is used (without
# a packet: `ip neigh change ... use`): after a second podA1 probes it,
# with a unicast NS from its link-local address (a probe has no packet to
# take a source from), which hostA answers with an NA from the target,
# fd00:244:0:1::1 (in the masquerade prefix), to that link-local address
# (in no exclude prefix), out of cni0.  NA_CAP: the NAs seen leaving
# cni0.
gw_reachable() { nsx podA1 "$IP" -6 neigh show fd00:244:0:1::1 dev eth0 | grep -q REACHABLE; }
na_probe() {
	# (not 'ip6[40] == 136': 6.1's capture on the bridge matched nothing)
	capture_start hostA cni0 -s 200 icmp6
	nsx podA1 sysctl -qw net.ipv6.neigh.eth0.delay_first_probe_time=1 >/dev/null
	nsx podA1 "$IP" -6 neigh replace fd00:244:0:1::1 dev eth0 \
		lladdr "$(nsx_sys hostA cat /sys/class/net/cni0/address)" nud stale
	nsx podA1 "$IP" -6 neigh change fd00:244:0:1::1 dev eth0 use
	sleep 1
	topo_wait 15 gw_reachable || t_fail "podA1's probe of its gateway got no answer: $(nsx podA1 "$IP" -6 neigh show dev eth0)"
	nsx podA1 sysctl -qw net.ipv6.neigh.eth0.delay_first_probe_time=5 >/dev/null
	capture_stop
	NA_CAP=$(capture_read | grep 'neighbor advertisement' || :)
	printf '%s\n' "$NA_CAP" | sed 's/^/   | /'
}
CNI0_LL=$(nsx hostA "$IP" -6 addr show dev cni0 scope link | awk '/inet6/ { sub(/\/.*/, "", $2); print $2 }')
step "before NAT: hostA's neighbour advertisement to a pod's link-local address"
na_probe
check_contains "$NA_CAP" "fd00:244:0:1::1 > fe80::" "without NAT, the NA leaves from fd00:244:0:1::1"

step "twill nat set twill0 masquerade $CLUSTER exclude $CLUSTER"
nat_on hostA
capture_start outside eth0 -s 128 'ip or ip6'
nat_snap hostA
check_eq "$(snap_get nat)" true "nat on"
check_eq "$(snap_get 'masquerade|0') $(snap_get 'masquerade|1')" "10.244.0.0/16 fd00:244::/48" "masquerade prefixes"
check_eq "$(snap_get 'exclude|0') $(snap_get 'exclude|1')" "10.244.0.0/16 fd00:244::/48" "exclude prefixes"
check_eq "$(snap_get port_min)-$(snap_get port_max)" 1024-65535 "default port range"
check_eq "$(snap_get max_flows)" 131072 "default max-flows"
nat_vars S_
check_eq "$S_num_flows" 0 "no flows yet"
check_gt "$(snap_get buckets)" 0 "hash buckets"
for s in $NAT_STATS; do
	eval "v=\$S_$s"
	check_eq "$v" 0 "stats $s"
done
nsx hostA "$TWILL" nat show twill0 | sed 's/^/   | /'

for fam in 4 6; do
	srv=$(srv_addr $fam)
	up=$(up_addr $fam)
	pod1=$(pod_addr hostA 1 $fam)
	pod2=$(pod_addr hostA 2 $fam)

	# The flows are checked right after the traffic that made them: on a
	# debug kernel minutes pass between steps, and echo flows live 30 s.
	# nat_flows: PROTO OSRC OSPORT ODST ODPORT RSRC RSPORT RDST RDPORT
	# STATE TIMEOUT_MS.
	step "IPv$fam: ICMP echo podA1 -> server"
	nat_mark hostA
	ping_ok podA1 "$srv" 3
	flows=$(nat_flows hostA)
	check_eq "$PING_RCVD" "$PING_SENT" "every echo answered"
	check_eq "$(printf '%s\n' "$flows" | awk -v p="$pod1" -v s="$srv" -v u="$up" \
		'$1 == "icmp" && $2 == p && $4 == s && $6 == s && $8 == u && $3 == $9 && $10 == "replied" &&
		$11 > 0 && $11 <= 30000 { n++ } END { print n + 0 }')" 1 \
		"nat flows: echo $pod1 -> $srv as $up, id kept, replied, timeout <= 30 s"
	nat_expect hostA "echo" tx_packets="$PING_SENT" rx_packets="$PING_RCVD" flows_created=1

	step "IPv$fam: UDP podA1:40000 -> server:7, 3 datagrams, each echoed"
	nat_mark hostA
	n0=$(log_lines "$SLOG")
	out=$(nsx podA1 "$FLOWTOOL" udp -P 40000 -n 3 "$srv" 7) || t_fail "flowtool udp"
	flows=$(nat_flows hostA)
	check_eq "$(printf '%s\n' "$out" | grep -c "^reply $srv 7 16\$")" 3 "3 replies from $srv:7"
	check_eq "$(printf '%s\n' "$flows" | awk -v p="$pod1" -v s="$srv" -v u="$up" \
		'$1 == "udp" && $2 == p && $3 == 40000 && $4 == s && $5 == 7 && $6 == s && $7 == 7 && $8 == u && $9 == 40000 &&
		$10 == "replied" && $11 > 30000 && $11 <= 120000 { n++ } END { print n + 0 }')" 1 \
		"nat flows: udp $pod1:40000 -> $srv:7 as $up:40000, replied, timeout <= 120 s"
	nat_expect hostA "udp" tx_packets=3 rx_packets=3 flows_created=1
	check_eq "$(log_since "$SLOG" "$n0" | sort -u)" "udp $up 40000" \
		"the server saw hostA's uplink address, port 40000 kept"
	[ "$fam" = 4 ] && check_contains "$(nat_flows_text hostA)" "udp $pod1:40000 -> $srv:7 as $up:40000 replied" \
		"text dump: the UDP flow's line"

	step "IPv$fam: TCP, 5 connections podA2 -> server:8080, held open"
	nat_mark hostA
	n0=$(log_lines "$SLOG")
	conn_hold podA2 5 "$srv" 8080
	check_eq "$CONN_OUT" "ok=5 fail=0" "5 connections, request answered"
	nf0=$(nat_get hostA num_flows)
	flows=$(nat_flows hostA)
	printf '%s\n' "$flows" | sed 's/^/   | /'
	check_eq "$(printf '%s\n' "$flows" | awk -v p="$pod2" -v s="$srv" -v u="$up" \
		'$1 == "tcp" && $2 == p && $4 == s && $5 == 8080 && $6 == s && $7 == 8080 && $8 == u && $3 == $9 &&
		$10 == "established" && $11 > 21000000 && $11 <= 21600000 { n++ } END { print n + 0 }')" 5 \
		"nat flows: 5 tcp $pod2 -> $srv:8080 as $up, ports kept, established, timeout <= 6 h"
	# num_flows counts expired flows until the collector (a pass every
	# 4 s) takes them; the dump leaves them out
	nl=$(printf '%s\n' "$flows" | grep -c .)
	[ "$nl" -le "$nf0" ] && [ "$nl" -ge 6 ] || t_fail "the dump has $nl flows, num_flows said $nf0 before it"
	info "ok: the dump lists $nl flows, num_flows said $nf0 before it"
	nat_expect hostA "tcp" tx_packets=+ rx_packets=+ flows_created=5
	check_eq "$(log_since "$SLOG" "$n0" | awk '{ print $1, $2 }' | sort | uniq -c | awk '{ print $1, $2, $3 }')" \
		"5 tcp $up" "the server saw 5 connections, all from $up"
	text=$(nat_flows_text hostA)
	check_contains "$text" "tcp $(ep "$pod2")" "text dump: podA2's flows"
	check_contains "$text" "-> $(ep "$srv" 8080) as $(ep "$up")" "text dump: to the server as the uplink address"
	bg_stop "$CONN_PID"

	step "IPv$fam: TCP bulk (iperf3) podA1 -> server and back (-R)"
	nat_mark hostA
	iperf_tcp podA1 outside "$srv"
	check_gt "$IPERF_RESULT" 100000 "TCP podA1 -> server bytes"
	iperf_tcp podA1 outside "$srv" -R
	check_gt "$IPERF_RESULT" 100000 "TCP server -> podA1 bytes"
	nat_expect hostA "iperf3" tx_packets=+ rx_packets=+ flows_created=4
	check_gt "$NAT_NOW_rx_packets" $((NAT_MARK_rx_packets + 100)) "replies translated back"
done

step "hostA's own neighbour discovery with a pod is not translated"
# (the server's capture goes on meanwhile)
SRVCAP_FILE=$CAPTURE_FILE
SRVCAP_PID=$CAPTURE_PID
nat_mark hostA
na_probe
check_contains "$NA_CAP" "fd00:244:0:1::1 > fe80::" "hostA's NA to podA1's link-local address left from fd00:244:0:1::1, as without NAT"
check_lacks "$NA_CAP" "$CNI0_LL > fe80::" "no NA with its source rewritten to cni0's link-local address"
nat_expect hostA "neighbour discovery"
CAPTURE_FILE=$SRVCAP_FILE
CAPTURE_PID=$SRVCAP_PID

step "what the server's interface carried: hostA's uplink address only"
capture_stop
cap=$(capture_read)
for fam in 4 6; do
	up=$(up_addr $fam)
	check_contains "$cap" "$up > $(srv_addr $fam): ICMP" "server got echo requests from $up"
	check_contains "$cap" "$up.40000 > $(srv_addr $fam).7: UDP" "server got UDP from $up.40000"
	check_contains "$cap" "> $(srv_addr $fam).8080: Flags [S]" "server got TCP SYNs"
done
check_eq "$(printf '%s\n' "$cap" | grep -F -e 10.244. -e fd00:244: | head -n 20)" "" \
	"no pod address on the server's wire"
check_eq "$(capture_read 'tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0 and not src host '"$UP4" | wc -l | tr -d ' ')" 0 \
	"no IPv4 SYN from anyone but hostA"

for fam in 4 6; do
	dst=$(pod_addr hostB 1 $fam)
	src=$(pod_addr hostA 1 $fam)
	step "IPv$fam: pod to pod across the overlay is not translated"
	nat_mark hostA
	n0=$(log_lines "$BLOG")
	ping_ok podA1 "$dst" 3
	out=$(nsx podA1 "$FLOWTOOL" udp -P 41000 -n 2 "$dst" 7) || t_fail "flowtool udp"
	check_eq "$(printf '%s\n' "$out" | grep -c "^reply $dst 7 16\$")" 2 "2 UDP replies from podB1"
	out=$(nsx podA1 "$FLOWTOOL" connect -n 3 "$dst" 8080) || t_fail "flowtool connect"
	check_eq "$out" "ok=3 fail=0" "3 TCP connections to podB1"
	check_eq "$(log_since "$BLOG" "$n0" | awk '{ print $1, $2 }' | sort | uniq -c | awk '{ print $1, $2, $3 }' | tr '\n' ' ')" \
		"3 tcp $src 2 udp $src " "podB1 saw podA1's own address"
	check_contains "$(log_since "$BLOG" "$n0")" "udp $src 41000" "podB1 saw podA1's own port"
	nat_expect hostA "pod to pod"
done

step "masquerade 0.0.0.0/0,::/0, cluster excluded, to $UP4,$UP6: twill's own VXLAN is left alone"
check_ok "nat set 0/0" nsx hostA "$TWILL" nat set twill0 masquerade 0.0.0.0/0,::/0 \
	exclude "$CLUSTER" to "$UP4,$UP6"
nat_snap hostA
check_eq "$(snap_get 'masquerade|0') $(snap_get 'masquerade|1')" "0.0.0.0/0 ::/0" "masquerade 0/0"
check_eq "$(snap_get 'to|0') $(snap_get 'to|1')" "$UP4 $UP6" "to"
A=$(ul4 hostA)
for fam in 4 6; do
	nat_mark hostA
	rx0=$(peer_get hostB "$A" rx_packets)
	unk0=$(dev_drop hostB unknown_peer)
	ping_ok podA1 "$(pod_addr hostB 1 $fam)" 3
	sent=$PING_SENT
	ping_ok podB1 "$(pod_addr hostA 2 $fam)" 3
	sent=$((sent + PING_RCVD))
	check_eq "$(peer_get hostB "$A" rx_packets)" $((rx0 + sent)) \
		"IPv$fam: hostB got every VXLAN packet from hostA's underlay address $A"
	check_eq "$(dev_drop hostB unknown_peer)" "$unk0" "IPv$fam: hostB: no datagram from an unknown peer"
	nat_expect hostA "IPv$fam overlay with 0/0"
	nat_mark hostA
	ping_ok podA2 "$(srv_addr $fam)" 2
	# (with 0/0 hostA's own packets on up0, neighbour discovery, count too)
	nat_expect hostA "IPv$fam pod -> server with 0/0" tx_packets=+ rx_packets=+ flows_created=+
	check_ge "$NAT_NOW_tx_packets" $((NAT_MARK_tx_packets + PING_SENT)) "IPv$fam: echo requests translated"
	check_ge "$NAT_NOW_rx_packets" $((NAT_MARK_rx_packets + PING_RCVD)) "IPv$fam: echo replies translated"
done
capture_start outside eth0 'icmp and src host '"$UP4"
ping_ok podA1 "$SRV4" 2
capture_stop
check_contains "$(capture_read)" "$UP4 > $SRV4: ICMP echo request" "the server sees $UP4 with 'to'"

step "a service beside masquerade: its flows to pods are not masqueraded, to the server (directly or as a backend) they are"
check_ok "service 10.96.0.30:80/tcp -> podB1:8080" nsx hostA "$TWILL" service set twill0 \
	10.96.0.30:80/tcp backend "$(pod_addr hostB 1 4):8080"
n=$(log_lines "$BLOG")
out=$(nsx podA1 "$FLOWTOOL" connect -P 45100 10.96.0.30 80) || t_fail "flowtool connect"
check_eq "$out" "local 45100
ok=1 fail=0" "podA1 -> 10.96.0.30:80, answered by podB1"
check_eq "$(log_since "$BLOG" "$n" | awk '{ print $1, $2, $3 }')" "tcp $(pod_addr hostA 1 4) 45100" \
	"podB1 saw podA1's own address and port"
n=$(log_lines "$SLOG")
out=$(nsx podA1 "$FLOWTOOL" connect -P 45101 "$SRV4" 8080) || t_fail "flowtool connect"
check_eq "$out" "local 45101
ok=1 fail=0" "podA1 -> server:8080 beside the service"
check_eq "$(log_since "$SLOG" "$n" | awk '{ print $1, $2 }')" "tcp $UP4" "the server saw hostA's uplink address"
check_ok "service removed" nsx hostA "$TWILL" service set twill0 10.96.0.30:80/tcp remove
# A backend outside the cluster (kube-proxy: an endpoint outside the pod
# network) cannot answer a pod's address: the flow is masqueraded too.
check_ok "service 10.96.0.31:80/tcp -> server:8080" nsx hostA "$TWILL" service set twill0 \
	10.96.0.31:80/tcp backend "$SRV4:8080"
n=$(log_lines "$SLOG")
out=$(nsx podA1 "$FLOWTOOL" connect -P 45102 10.96.0.31 80) || t_fail "flowtool connect"
check_eq "$out" "local 45102
ok=1 fail=0" "podA1 -> 10.96.0.31:80, answered by the server outside the cluster"
check_eq "$(log_since "$SLOG" "$n" | awk '{ print $1, $2 }')" "tcp $UP4" \
	"the server outside the cluster saw hostA's uplink address"
check_ok "service removed" nsx hostA "$TWILL" service set twill0 10.96.0.31:80/tcp remove

step "nat set twill0 off: flows dropped, the server unreachable again"
check_ok "nat off" nsx hostA "$TWILL" nat set twill0 off
nat_is_off hostA
ping_fails podA1 "$SRV4" 2
check_fails "nat flows without NAT" nsx hostA "$TWILL" nat flows twill0
klog_clean
show_twill hostA
echo "PASS: nat-basic"
