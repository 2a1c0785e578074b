#!/bin/sh
# shellcheck shell=dash
# NAT port allocation (issue 10).  Layout: tests/netns/natlib.sh, 4 pods
# behind hostA.
#   - TWILL_NAT_CONNS (1,000; 200 on a debug kernel) concurrent TCP
#     connections from the 4 pods to the server, all held open: every one
#     succeeds, the server sees them all from hostA's uplink address on
#     distinct ports (the pods' ephemeral ports collide now and then: those
#     get another port), num_flows and `nat flows` count them all.
#   - two pods using the same source port towards the same server port
#     (TCP and UDP, IPv4 and IPv6): two flows with distinct mapped ports,
#     one of them the original port; the server sees both.
#   - `ports 20000-20007`, then 20 concurrent connection attempts (4 pods x
#     5) to one server port: exactly 8 succeed, on ports 20000-20007, the
#     rest time out; drop_no_port counts every dropped SYN (those from the
#     pods less those at the server, both counted by nft, retransmissions
#     included); the same again for IPv6 (another destination: 8 more) while
#     the IPv4 ones are held; kernel log clean.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/natlib.sh"

CONNS=${TWILL_NAT_CONNS:-$(scaled 1000 200)}
echo "   TWILL_NAT_CONNS=${TWILL_NAT_CONNS:-} (kernel ${TWILL_KERNEL:-?}): $CONNS connections"
PER=$((CONNS / 4))
CONNS=$((PER * 4))

step "topology: hostA with 4 pods, the server beyond its uplink"
nat_topo 4 1
srv_start outside 8080,8081,8082
SLOG=$SRV_LOG
nat_on hostA

step "$CONNS concurrent TCP connections from 4 pods to $SRV4:8080"
nat_mark hostA
n0=$(log_lines "$SLOG")
pids=
logs=
for i in 1 2 3 4; do
	conn_start "podA$i" "$PER" "$SRV4" 8080
	pids="$pids $CONN_PID"
	logs="$logs $CONN_LOG"
done
ok=0
for l in $logs; do
	conn_wait "$l"
	info "$(basename "$l"): $CONN_OUT"
	ok=$((ok + CONN_OK))
	check_eq "$CONN_FAIL" 0 "no connection failed ($l)"
done
check_eq "$ok" "$CONNS" "every connection succeeded and got its answer"
peers=$(log_since "$SLOG" "$n0")
check_eq "$(printf '%s\n' "$peers" | grep -c "^tcp $UP4 ")" "$CONNS" "the server saw $CONNS connections from $UP4"
check_eq "$(printf '%s\n' "$peers" | grep -vc "^tcp $UP4 ")" 0 "and none from any other address"
check_eq "$(printf '%s\n' "$peers" | awk '{ print $3 }' | sort -u | wc -l | tr -d ' ')" "$CONNS" \
	"on $CONNS distinct ports"
nat_expect hostA "$CONNS connections" tx_packets=+ rx_packets=+ flows_created="$CONNS"
check_eq "$NAT_NOW_num_flows" "$CONNS" "num_flows"
text=$(nat_flows_text hostA)
check_eq "$(printf '%s\n' "$text" | grep -c "^tcp .* $SRV4:8080 as $UP4:[0-9]* established")" "$CONNS" \
	"nat flows: $CONNS established flows to $SRV4:8080 as $UP4"
check_eq "$(printf '%s\n' "$text" | grep "^tcp .* $SRV4:8080 as " | awk '{ print $6 }' | sort -u | wc -l | tr -d ' ')" "$CONNS" \
	"nat flows: $CONNS distinct mapped ports"
# the mapped ports the server saw are the ones in the table
check_eq "$(printf '%s\n' "$text" | grep "^tcp .* $SRV4:8080 as " | awk '{ sub(/.*:/, "", $6); print $6 }' | sort -n | tr '\n' ' ')" \
	"$(printf '%s\n' "$peers" | awk '{ print $3 }' | sort -n | tr '\n' ' ')" \
	"nat flows' mapped ports are the ports the server saw"
for p in $pids; do
	bg_stop "$p"
done

for fam in 4 6; do
	srv=$(srv_addr $fam)
	up=$(up_addr $fam)
	# (31000: below the pods' ephemeral ports, of which the connections
	# above leave some in TIME_WAIT, where a bind would fail)
	step "IPv$fam: podA1 and podA2 both from port 31000 to $srv:8081 (TCP) and :8081 (UDP)"
	nat_mark hostA
	n0=$(log_lines "$SLOG")
	conn_hold podA1 1 "$srv" 8081 -P 31000
	p1=$CONN_PID
	check_eq "$CONN_OUT" "ok=1 fail=0" "podA1:31000 connected"
	conn_hold podA2 1 "$srv" 8081 -P 31000
	p2=$CONN_PID
	check_eq "$CONN_OUT" "ok=1 fail=0" "podA2:31000 connected"
	for i in 1 2; do
		out=$(nsx "podA$i" "$FLOWTOOL" udp -P 31000 "$srv" 8081) || t_fail "flowtool udp"
		check_eq "$out" "reply $srv 8081 16" "podA$i:31000 UDP answered"
	done
	new=$(log_since "$SLOG" "$n0")
	printf '%s\n' "$new" | sed 's/^/   | /'
	for proto in tcp udp; do
		ports=$(printf '%s\n' "$new" | awk -v p="$proto" -v u="$up" '$1 == p && $2 == u { print $3 }' | sort -n)
		check_eq "$(printf '%s\n' "$ports" | sort -u | wc -l | tr -d ' ')" 2 "$proto: the server saw two distinct ports from $up"
		check_contains " $(echo $ports) " " 31000 " "$proto: one of them the original port"
		other=$(printf '%s\n' "$ports" | grep -vx 31000)
		[ "$other" -ge 1024 ] && [ "$other" -le 65535 ] || t_fail "$proto: the other port $other is outside 1024-65535"
		info "ok: $proto: the second got port $other"
		flows=$(nat_flows hostA | awk -v p="$proto" -v s="$srv" '$1 == p && $3 == 31000 && $4 == s && $5 == 8081')
		check_eq "$(printf '%s\n' "$flows" | awk '{ print $2 }' | sort -u | wc -l | tr -d ' ')" 2 "$proto: nat flows: one flow per pod"
		check_eq "$(printf '%s\n' "$flows" | awk '{ print $9 }' | sort -n | tr '\n' ' ')" "$(echo $ports) " \
			"$proto: nat flows: the mapped ports are those the server saw"
	done
	nat_expect hostA "same source port" tx_packets=+ rx_packets=+ flows_created=4
	bg_stop "$p1"
	bg_stop "$p2"
done

step "ports 20000-20007 (NAT turned off and on: no flows left)"
check_ok "nat off" nsx hostA "$TWILL" nat set twill0 off
nat_on hostA ports 20000-20007
nat_snap hostA
check_eq "$(snap_get port_min)-$(snap_get port_max)" 20000-20007 "port range"
check_eq "$(snap_get num_flows)" 0 "no flows after turning NAT off and on"
# SYNs to :8082 counted as they come from the pods and as they reach the
# server: the difference is what twill dropped, retransmitted SYNs included
# (an attempt without a port retransmits its SYN into a full range; one
# whose SYN-ACK is late, on a loaded host, sends its SYN again on the port
# it holds)
nsx hostA nft -f - <<'NFT' || t_fail "nft in hostA"
table inet syns {
	chain pre {
		type filter hook prerouting priority -300;
		iifname "cni0" tcp dport 8082 tcp flags & (syn | ack) == syn counter
	}
}
NFT
nsx outside nft -f - <<'NFT' || t_fail "nft in outside"
table inet syns {
	chain in {
		type filter hook input priority -300;
		tcp dport 8082 tcp flags & (syn | ack) == syn counter
	}
}
NFT
# syns NS: SYNs counted there so far
syns() {
	local v
	v=$(nsx "$1" nft list table inet syns | grep -o 'packets [0-9]*' | awk '{ print $2 }')
	[ -n "$v" ] || t_fail "no SYN counter in $1"
	echo "$v"
}
held=
for fam in 4 6; do
	srv=$(srv_addr $fam)
	up=$(up_addr $fam)
	step "IPv$fam: 20 connection attempts to $srv:8082 with 8 ports: 8 succeed"
	nat_mark hostA
	sa0=$(syns hostA)
	so0=$(syns outside)
	n0=$(log_lines "$SLOG")
	logs=
	for i in 1 2 3 4; do
		# The deadline only bounds the wait: an attempt that got a
		# port needs one round trip, which a loaded host (two VMs on
		# two cores in CI) can stretch past a second; one without a
		# port fails however long it waits, as the 8 are held.
		conn_start "podA$i" 5 "$srv" 8082 -t "$(scaled 4 10)"
		held="$held $CONN_PID"
		logs="$logs $CONN_LOG"
	done
	ok=0
	bad=0
	for l in $logs; do
		conn_wait "$l"
		info "$(basename "$l"): $CONN_OUT"
		ok=$((ok + CONN_OK))
		bad=$((bad + CONN_FAIL))
	done
	check_eq "$ok $bad" "8 12" "IPv$fam: connections that succeeded and failed"
	ports=$(log_since "$SLOG" "$n0" | awk -v u="$up" '$1 == "tcp" && $2 == u { print $3 }' | sort -n | tr '\n' ' ')
	check_eq "$ports" "20000 20001 20002 20003 20004 20005 20006 20007 " "IPv$fam: the server saw the 8 ports of the range"
	check_eq "$(log_since "$SLOG" "$n0" | grep -vc "^tcp $up ")" 0 "IPv$fam: nothing else reached the server"
	sa=$(($(syns hostA) - sa0))
	so=$(($(syns outside) - so0))
	info "SYNs from the pods: $sa, at the server: $so"
	check_ge "$so" 8 "IPv$fam: the 8 connections' SYNs reached the server"
	check_ge "$sa" 20 "IPv$fam: SYNs from the pods"
	nat_expect hostA "IPv$fam port exhaustion" tx_packets=+ rx_packets=+ flows_created=8 drop_no_port=$((sa - so))
	check_eq "$NAT_NOW_num_flows" $((NAT_MARK_num_flows + 8)) "IPv$fam: 8 more flows"
done
nat_flows_text hostA | sed 's/^/   | /'
for p in $held; do
	bg_stop "$p"
done
klog_clean
echo "PASS: nat-ports"
