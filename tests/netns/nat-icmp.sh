#!/bin/sh
# shellcheck shell=dash
# ICMP errors about masqueraded flows reach the pod (issue 10).  Layout:
# tests/netns/natlib.sh with a router between hostA's uplink and the
# server; the router -> server link has MTU 1280; neither router nor
# server rate-limits its ICMP errors.  Per family:
#   - ping -t 2 (hostA forwards with TTL 1, the router drops it): every
#     request gets "time exceeded" from the router, printed by ping (which
#     matches the error to its own request by the inner echo id, i.e. the
#     inner header was translated back).
#   - traceroute by hand: UDP probes with TTL 1, 2, 3 from a connected
#     socket with IP_RECVERR: hostA itself (not translated), the router
#     (time exceeded, translated back), the server (port unreachable:
#     translated back, the socket gets ECONNREFUSED).
#   - a 1428-byte DF echo (ping -M do -s 1400) gets "fragmentation needed"
#     (IPv4) / "packet too big" (IPv6) with mtu 1280 from the router, and
#     the pod's route cache takes mtu 1280; a 1400-byte UDP datagram with
#     DF (IP_PMTUDISC_PROBE: past the cached MTU) gets the same error on
#     its socket.
#   - icmp_errors moves by exactly the number of errors (7), no drops.
#   - errors sent by hand (flowtool icmperr) about a live UDP flow whose
#     quote stops 4 and 6 bytes into the UDP header (short of its
#     checksum) are translated back and counted, and nothing past the
#     packet is touched (KASAN on the debug kernel).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/natlib.sh"

step "topology: hostA -- router -- server (router -> server MTU $NAT_MTU)"
nat_topo router 1 1
srv_start outside 7
nat_on hostA
ping_ok podA1 "$SRV4" 2
ping_ok podA1 "$SRV6" 2

for fam in 4 6; do
	srv=$(srv_addr $fam)
	rtr=$RTR4
	gw=10.244.1.1
	te_type="type=11 code=0"
	pu_type="type=3 code=3"
	fn_type="type=3 code=4"
	if [ $fam = 6 ]; then
		rtr=$RTR6
		gw=fd00:244:0:1::1
		te_type="type=3 code=0"
		pu_type="type=1 code=4"
		fn_type="type=2 code=0"
	fi

	step "IPv$fam: ping -t 2: time exceeded from the router, for every request"
	nat_mark hostA
	out=$(nsx podA1 "$PING" -c 3 -i 0.3 -W 2 -t 2 "$srv" 2>&1) && t_fail "ping -t 2 got replies: $out"
	printf '%s\n' "$out" | sed 's/^/   | /'
	sent=$(ping_sent "$out")
	check_eq "$sent" 3 "3 requests sent"
	check_eq "$(printf '%s\n' "$out" | grep -c "^From $rtr icmp_seq=[0-9]* Time")" 3 \
		"ping printed 3 time-exceeded errors from the router $rtr"
	nat_expect hostA "ping -t 2" tx_packets=3 rx_packets='*' icmp_errors=3 flows_created=1

	step "IPv$fam: traceroute with UDP probes (TTL 1, 2, 3)"
	nat_mark hostA
	out=$(nsx podA1 "$FLOWTOOL" udp -T 1 "$srv" 33434) || t_fail "flowtool udp -T 1"
	check_contains "$out" "icmp $te_type from=$gw " "TTL 1: time exceeded from hostA itself ($gw)"
	out=$(nsx podA1 "$FLOWTOOL" udp -T 2 "$srv" 33435) || t_fail "flowtool udp -T 2"
	check_contains "$out" "icmp $te_type from=$rtr " "TTL 2: time exceeded from the router"
	out=$(nsx podA1 "$FLOWTOOL" udp -T 3 "$srv" 33436) || t_fail "flowtool udp -T 3"
	check_contains "$out" "icmp $pu_type from=$srv " "TTL 3: port unreachable from the server"
	check_contains "$out" "errno=ECONNREFUSED" "TTL 3: the socket got ECONNREFUSED"
	# the TTL 1 probe never left hostA: not translated, its error not either
	nat_expect hostA "traceroute" tx_packets=2 rx_packets='*' icmp_errors=2 flows_created=2

	step "IPv$fam: DF packet over the router's MTU $NAT_MTU"
	nat_mark hostA
	out=$(nsx podA1 "$PING" -c 1 -W 3 -Mdo -s 1400 "$srv" 2>&1) && t_fail "ping -M do -s 1400 got a reply: $out"
	printf '%s\n' "$out" | sed 's/^/   | /'
	check_contains "$out" "From $rtr icmp_seq=1" "ping printed the router's error"
	check_contains "$(printf '%s\n' "$out" | grep "^From $rtr")" "$NAT_MTU" "with mtu $NAT_MTU"
	check_ok "ip route get $srv in podA1" nsx podA1 "$IP" route get "$srv"
	check_contains "$CHECK_OUT" "mtu $NAT_MTU" "the pod's route cache took mtu $NAT_MTU"
	out=$(nsx podA1 "$FLOWTOOL" udp -D -l 1400 "$srv" 7) || t_fail "flowtool udp -D"
	check_contains "$out" "icmp $fn_type from=$rtr info=$NAT_MTU errno=EMSGSIZE" \
		"UDP 1400 bytes with DF: the error with mtu $NAT_MTU reached the socket"
	out=$(nsx podA1 "$FLOWTOOL" udp -l 1200 "$srv" 7) || t_fail "flowtool udp -l 1200"
	check_eq "$out" "reply $srv 7 1200" "UDP 1200 bytes fits: echoed"
	nat_expect hostA "DF over the MTU" tx_packets=3 rx_packets='*' icmp_errors=2 flows_created=3

	step "IPv$fam: hostile errors whose quote stops short of the UDP checksum"
	pod=$(pod_addr hostA 1 $fam)
	sport=4${fam}100
	out=$(nsx podA1 "$FLOWTOOL" udp -P "$sport" "$srv" 7) || t_fail "flowtool udp -P $sport"
	check_eq "$out" "reply $srv 7 16" "UDP $pod:$sport -> $srv:7 echoed"
	mapped=$(nat_flows hostA | awk -v p="$pod" -v sp="$sport" -v s="$srv" \
		'$1 == "udp" && $2 == p && $3 == sp && $4 == s && $5 == 7 { print $8, $9 }')
	check_eq "$(echo "$mapped" | wc -l | tr -d ' ')" 1 "one flow for $pod:$sport -> $srv:7 ($mapped)"
	up=${mapped% *}
	mport=${mapped#* }
	nat_mark hostA
	for q in 4 6; do
		check_ok "the router sends port unreachable to $up quoting $q bytes of $up:$mport -> $srv:7" \
			nsx router "$FLOWTOOL" icmperr -l $q "$up" "$up" "$mport" "$srv" 7
	done
	# each translated back, quote and all, with nothing written past it
	nat_expect hostA "short quotes" rx_packets='*' icmp_errors=2
done

step "the flows of the probes, and a clean kernel log"
nat_flows_text hostA | sed 's/^/   | /'
klog_clean
echo "PASS: nat-icmp"
