#!/bin/sh
# shellcheck shell=dash
# Unsolicited packets to hostA's masquerade address reach no pod (issue
# 10).  Layout: tests/netns/natlib.sh; the outside namespace has a second
# address, 198.51.100.3 / 2001:db8:100::3 (another remote host).
# Live flows, both families: podA1 UDP :40000 -> server:7 (answered),
# podA2 TCP :41000 -> server:8080 (held open), podA1 echo to the server.
# Then, with a capture on hostA's pod bridge (cni0, every pod behind it):
#   - from the other address: UDP to the live UDP flow's mapped port (from
#     the server's port 7, too), TCP connections to the live TCP flow's
#     mapped port, UDP and TCP to unused ports (1024, 20000, 50000, 65535
#     and a sweep of 2,000 ports around the mapped ones), echo requests;
#   - from the server itself, but from other ports than the flows' own:
#     UDP to the UDP flow's mapped port, TCP to the TCP flow's.
#   hostA answers them itself (port unreachable, RST, echo reply): nothing
#   reaches the bridge, the NAT's rx_packets does not move.
#   - a control: the server's port 7 to the UDP flow's mapped port does
#     reach podA1 (the capture sees it, rx_packets moves by 1).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/natlib.sh"

OTHER4=198.51.100.3
OTHER6=2001:db8:100::3

step "topology; the outside namespace also has $OTHER4 and $OTHER6"
nat_topo 2 1
nsx outside "$IP" addr add "$OTHER4/24" dev eth0
# deprecated: the server's answers keep coming from $SRV6
nsx outside "$IP" addr add "$OTHER6/64" dev eth0 nodad preferred_lft 0
srv_start outside 7,8080
nat_on hostA
# hostA answers every probe below itself: no rate limit on its errors
nsx hostA sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 >/dev/null

held=
for fam in 4 6; do
	srv=$(srv_addr $fam)
	step "IPv$fam: live flows"
	out=$(nsx podA1 "$FLOWTOOL" udp -P 40000 "$srv" 7) || t_fail "flowtool udp"
	check_eq "$out" "reply $srv 7 16" "podA1:40000 -> $srv:7 answered"
	conn_hold podA2 1 "$srv" 8080 -P 41000
	check_eq "$CONN_OUT" "ok=1 fail=0" "podA2:41000 -> $srv:8080 connected (held)"
	held="$held $CONN_PID"
	ping_ok podA1 "$srv" 2
done
flows=$(nat_flows hostA)
printf '%s\n' "$flows" | sed 's/^/   | /'
# the mapped ports of the live flows (PROTO OSRC OSPORT ODST ODPORT RSRC
# RSPORT RDST RDPORT ...): the original ones, which were free
for fam in 4 6; do
	check_eq "$(printf '%s\n' "$flows" | awk -v s="$(srv_addr $fam)" '$1 == "udp" && $4 == s { print $9 }')" 40000 \
		"IPv$fam: the UDP flow is mapped to port 40000"
	check_eq "$(printf '%s\n' "$flows" | awk -v s="$(srv_addr $fam)" '$1 == "tcp" && $4 == s { print $9 }')" 41000 \
		"IPv$fam: the TCP flow is mapped to port 41000"
done

# listeners on the flows' own ports in the pods: whatever reaches them
# is logged (a SYN to podA2:41000 would be accepted)
srv_start podA1 40000
P1LOG=$SRV_LOG
P1PID=$SRV_PID
srv_start podA2 41000
P2LOG=$SRV_LOG
capture_start hostA cni0 -s 128 'ip or ip6'

# refresh FAM: podA1's UDP flow sent on again (it lives 120 s after its
# last packet: a debug kernel takes longer than that for what follows);
# the answer goes to this connected socket, not to podA1's listener
refresh() {
	local out
	out=$(nsx podA1 "$FLOWTOOL" udp -P 40000 "$(srv_addr "$1")" 7) || t_fail "flowtool udp"
	check_eq "$out" "reply $(srv_addr "$1") 7 16" "IPv$1: podA1's UDP flow refreshed"
}

for fam in 4 6; do
	srv=$(srv_addr $fam)
	up=$(up_addr $fam)
	other=$OTHER4
	pu="type=3 code=3"
	if [ $fam = 6 ]; then
		other=$OTHER6
		pu="type=1 code=4"
	fi
	refresh $fam
	nat_mark hostA
	step "IPv$fam: from $other to the mapped ports of live flows"
	out=$(nsx outside "$FLOWTOOL" udp -b "$other" "$up" 40000) || t_fail "flowtool udp"
	check_contains "$out" "icmp $pu from=$up " "UDP $other -> $up:40000: hostA says port unreachable"
	out=$(nsx outside "$FLOWTOOL" udp -b "$other" -P 7 "$up" 40000) || t_fail "flowtool udp"
	check_contains "$out" "icmp $pu from=$up " "UDP $other:7 -> $up:40000: hostA says port unreachable"
	out=$(nsx outside "$FLOWTOOL" connect -n 3 -t 5 -b "$other" "$up" 41000) || t_fail "flowtool connect"
	check_eq "$out" "ok=0 fail=3" "TCP $other -> $up:41000 refused"
	# (not from port 8080 itself: the server listens there)
	out=$(nsx outside "$FLOWTOOL" connect -t 5 -b "$other" -P 8081 "$up" 41000) || t_fail "flowtool connect"
	check_eq "$out" "ok=0 fail=1" "TCP $other:8081 -> $up:41000 refused"

	step "IPv$fam: from the server, but from other ports than the flows'"
	out=$(nsx outside "$FLOWTOOL" udp -b "$srv" -P 8 "$up" 40000) || t_fail "flowtool udp"
	check_contains "$out" "icmp $pu from=$up " "UDP $srv:8 -> $up:40000: hostA says port unreachable"
	out=$(nsx outside "$FLOWTOOL" connect -t 5 -b "$srv" -P 9999 "$up" 41000) || t_fail "flowtool connect"
	check_eq "$out" "ok=0 fail=1" "TCP $srv:9999 -> $up:41000 refused"

	step "IPv$fam: from $other to unused ports, echo requests"
	for p in 1024 20000 50000 65535; do
		out=$(nsx outside "$FLOWTOOL" udp -b "$other" "$up" $p) || t_fail "flowtool udp"
		check_contains "$out" "icmp $pu from=$up " "UDP -> $up:$p: port unreachable"
		out=$(nsx outside "$FLOWTOOL" connect -t 5 -b "$other" "$up" $p) || t_fail "flowtool connect"
		check_eq "$out" "ok=0 fail=1" "TCP -> $up:$p refused"
	done
	check_ok "echo requests to hostA" nsx outside "$PING" -c 3 -i 0.2 -W 2 -I "$other" "$up"
	nat_expect hostA "IPv$fam: unsolicited packets"
done
refresh 4
refresh 6
nat_mark hostA
# last: thousands of port unreachables may empty the global ICMP budget
for fam in 4 6; do
	step "IPv$fam: UDP sweeps of ports 39000-41099"
	other=$OTHER4
	[ $fam = 6 ] && other=$OTHER6
	check_ok "from $other" nsx outside "$FLOWTOOL" udpflows -b "$other" -n 2100 "$(up_addr $fam)" 39000
	check_ok "from the server" nsx outside "$FLOWTOOL" udpflows -b "$(srv_addr $fam)" -n 2100 "$(up_addr $fam)" 39000
done
sleep 1
nat_expect hostA "unsolicited packets"

step "control: the UDP flow's own remote endpoint reaches podA1"
flows=$(nat_flows hostA)
check_eq "$(printf '%s\n' "$flows" | awk '$1 == "udp" && $9 == 40000 || $1 == "tcp" && $9 == 41000' | wc -l | tr -d ' ')" 4 \
	"the 4 flows were live throughout"
refresh 4
nat_mark hostA
check_eq "$(cat "$P1LOG" "$P2LOG" | grep -v '^listening')" "" "nothing reached the listeners in podA1 and podA2"
out=$(nsx outside "$FLOWTOOL" udp -b "$SRV4" -P 7 "$UP4" 40000) || t_fail "flowtool udp"
check_eq "$out" "reply $UP4 40000 16" "podA1's listener echoed it, from $UP4:40000"
check_eq "$(grep -v '^listening' "$P1LOG")" "udp $SRV4 7" "podA1's listener got it from $SRV4:7"
nat_expect hostA "the flow's remote endpoint" rx_packets=1 tx_packets=1

step "control: with podA1's listener gone, its port unreachable goes out masqueraded"
bg_stop "$P1PID"
nat_mark hostA
out=$(nsx outside "$FLOWTOOL" udp -b "$SRV4" -P 7 "$UP4" 40000) || t_fail "flowtool udp"
# an ICMP error about a packet of the flow: translated like the flow
# (outer source and inner header), so the server's socket matches it
check_contains "$out" "icmp type=3 code=3 from=$UP4 " "podA1's port unreachable reached the server from $UP4"
nat_expect hostA "podA1's port unreachable" rx_packets=1 tx_packets='*' icmp_errors='*'
sleep 1
capture_stop
cap=$(capture_read)
printf '%s\n' "$cap" | grep -v -e "ICMP6, neighbor" -e "ICMP6, router" -e "ICMP6, multicast" | tail -n 20 | sed 's/^/   | /'
check_contains "$cap" "$SRV4.7 > 10.244.1.11.40000: UDP" "the control datagram reached podA1 (the capture works)"
check_lacks "$cap" "$OTHER4" "nothing from $OTHER4 reached the pods' bridge"
check_lacks "$cap" "$OTHER6" "nothing from $OTHER6 reached the pods' bridge"
check_eq "$(capture_read "src host $SRV4 and udp and not src port 7" | wc -l | tr -d ' ')" 0 \
	"no UDP from $SRV4 but from port 7"
check_eq "$(capture_read "src host $SRV6 and udp and not src port 7" | wc -l | tr -d ' ')" 0 \
	"no UDP from $SRV6 but from port 7"
check_eq "$(capture_read "tcp and (src host $SRV4 or src host $SRV6) and not src port 8080" | wc -l | tr -d ' ')" 0 \
	"no TCP from the server but from port 8080"
check_eq "$(capture_read "tcp[tcpflags] & tcp-syn != 0" | wc -l | tr -d ' ')" 0 "no SYN reached the bridge"
for p in $held; do
	bg_stop "$p"
done
klog_clean
echo "PASS: nat-unsolicited"
