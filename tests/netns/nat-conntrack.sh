#!/bin/sh
# shellcheck shell=dash
# NAT masquerade beside netfilter conntrack (issue 10, "coexistence").
# Layout: tests/netns/natlib.sh.  Two cases, each in fresh namespaces:
#   1. conntrack not in use in hostA's namespace at all (no rule needs it:
#      nf_conntrack is not even loaded on a stock kernel when this runs
#      first, and where it is loaded or built in, hostA's conntrack table
#      stays empty): ICMP echo, UDP and TCP from the pods reach the server,
#      both families.
#   2. a stateful nft firewall on hostA, as Docker / kube-proxy hosts have:
#      forward chain, policy drop; `ct state established,related accept`;
#      new connections from the pods' bridge accepted; anything else
#      counted and dropped.  The same traffic works, and conntrack sees
#      one consistent tuple per flow: the first packet of each flow is
#      "new", every later packet of it (the replies first of all, which
#      twill translated back before conntrack looked) "established", and
#      the drop rule counts nothing.  Where /proc/net/nf_conntrack exists,
#      its entries carry the pods' addresses both ways (reply tuple to the
#      pod, never to hostA's uplink address) and the flows are ASSURED.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/natlib.sh"

# traffic WHAT: echo, UDP and TCP from podA1 and podA2 to the server, both
# families; NAT counters move by what was sent.  Sets T_NEW (flows
# started: the "new" packets a stateful firewall sees) and T_PKTS (the
# packets of the echo and UDP exchanges).
traffic() {
	local fam srv out
	T_NEW=0
	T_PKTS=0
	for fam in 4 6; do
		srv=$(srv_addr $fam)
		nat_mark hostA
		ping_ok podA1 "$srv" 3
		check_eq "$PING_RCVD" "$PING_SENT" "$1: IPv$fam: every echo answered"
		out=$(nsx podA2 "$FLOWTOOL" udp -n 2 "$srv" 7) || t_fail "flowtool udp"
		check_eq "$(printf '%s\n' "$out" | grep -c "^reply $srv 7 16\$")" 2 "$1: IPv$fam: 2 UDP replies"
		out=$(nsx podA1 "$FLOWTOOL" connect -n 4 "$srv" 8080) || t_fail "flowtool connect"
		check_eq "$out" "ok=4 fail=0" "$1: IPv$fam: 4 TCP connections"
		nat_expect hostA "$1: IPv$fam" tx_packets=+ rx_packets=+ flows_created=6
		check_ge "$NAT_NOW_tx_packets" $((NAT_MARK_tx_packets + PING_SENT + 2 + 4 * 3)) \
			"$1: IPv$fam: echo, UDP, TCP packets translated"
		T_NEW=$((T_NEW + 6))
		T_PKTS=$((T_PKTS + PING_SENT + PING_RCVD + 4))
	done
	iperf_tcp podA1 outside "$SRV4"
	check_gt "$IPERF_RESULT" 100000 "$1: iperf3 TCP podA1 -> server"
	iperf_tcp podA2 outside "$SRV6" -R
	check_gt "$IPERF_RESULT" 100000 "$1: iperf3 TCP server -> podA2 (IPv6)"
	# iperf3: a control and a data connection per run
	T_NEW=$((T_NEW + 4))
}

# ct_count: hostA's conntrack entries, or "none" where conntrack has no
# table in that namespace (module not loaded).
ct_count() {
	nsx hostA cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo none
}

step "case 1: conntrack not in use in hostA's namespace"
if grep -q '^nf_conntrack ' /proc/modules; then
	info "nf_conntrack is loaded (used elsewhere before)"
elif [ -e /proc/sys/net/netfilter/nf_conntrack_max ]; then
	info "nf_conntrack is built in"
else
	info "nf_conntrack is not loaded"
fi
nat_topo 2 1
srv_start outside 7,8080
nat_on hostA
traffic "no conntrack"
c=$(ct_count)
case $c in
none) info "ok: hostA has no conntrack table (nf_conntrack not loaded)" ;;
*) check_eq "$c" 0 "hostA's conntrack table is empty (conntrack not in use there)" ;;
esac
check_eq "$(nsx hostA nft list ruleset | grep -c .)" 0 "no nftables rules in hostA"
klog_clean "case 1"
topo_cleanup
TOPO_TMP=$(mktemp -d /tmp/topo.XXXXXX)

step "case 2: nf_conntrack and a stateful nft firewall on hostA"
nat_topo 2 1
srv_start outside 7,8080
nsx hostA nft -f - <<'NFT' || t_fail "nft ruleset"
table inet fw {
	chain fw_forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related counter accept comment "est"
		ct state new iifname "cni0" counter accept comment "new-pods"
		ct state new iifname "up0" counter comment "new-uplink"
		ct state invalid counter comment "invalid"
		counter drop comment "dropped"
	}
}
NFT
nsx hostA nft list ruleset | sed 's/^/   | /'
# rule_count COMMENT: packets of the forward chain's rule with that comment
rule_count() {
	local v
	v=$(nsx hostA nft list chain inet fw fw_forward | grep -F "comment \"$1\"" | grep -o 'packets [0-9]*' | awk '{ print $2 }')
	[ -n "$v" ] || t_fail "no counter for rule '$1' in hostA's forward chain"
	echo "$v"
}
check_eq "$(ct_count)" 0 "conntrack table empty before the traffic"
nat_on hostA
est0=$(rule_count est)
new0=$(rule_count new-pods)
traffic "conntrack + firewall"
est=$(($(rule_count est) - est0))
new=$(($(rule_count new-pods) - new0))
check_eq "$new" "$T_NEW" "firewall: one 'new' packet per flow from the pods ($T_NEW flows)"
check_gt "$est" "$T_PKTS" "firewall: replies and later packets matched 'established'"
check_eq "$(rule_count new-uplink)" 0 "firewall: no 'new' packet from the uplink (replies were translated before conntrack)"
check_eq "$(rule_count invalid)" 0 "firewall: no invalid packet"
check_eq "$(rule_count dropped)" 0 "firewall: nothing dropped"
c=$(ct_count)
check_gt "$c" 0 "hostA's conntrack table holds the flows"
if nsx hostA test -r /proc/net/nf_conntrack; then
	ct=$(nsx hostA cat /proc/net/nf_conntrack)
	printf '%s\n' "$ct" | head -n 20 | sed 's/^/   | /'
	check_lacks "$ct" "dst=$UP4 " "no conntrack tuple towards hostA's uplink address (IPv4)"
	# (IPv6 addresses in full there)
	check_lacks "$ct" "dst=2001:0db8:0100:0000:0000:0000:0000:0002 " "no conntrack tuple towards hostA's uplink address (IPv6)"
	check_lacks "$ct" "dst=$UP6 " "no conntrack tuple towards hostA's uplink address (IPv6, short form)"
	# per entry whose original source is a pod: the reply tuple mirrors
	# the original one (addresses, ports, echo id): conntrack never saw
	# the translated packets.  Prints "GOOD TOTAL ASSURED_TCP TCP".
	res=$(printf '%s\n' "$ct" | awk '{
		split("", o); split("", r)
		for (i = 1; i <= NF; i++) {
			if ($i !~ /^(src|dst|sport|dport|id)=/) continue
			eq = index($i, "=")
			k = substr($i, 1, eq - 1)
			v = substr($i, eq + 1)
			if (!(k in o)) o[k] = v
			else if (!(k in r)) r[k] = v
		}
		if (o["src"] !~ /^(10\.244\.|fd00:(0244|244):)/) next
		total++
		ok = r["src"] == o["dst"] && r["dst"] == o["src"]
		if ("sport" in o) ok = ok && r["sport"] == o["dport"] && r["dport"] == o["sport"]
		if ("id" in o) ok = ok && r["id"] == o["id"]
		if (ok) good++
		else print "   not mirrored: " $0 > "/dev/stderr"
		if ($0 ~ / tcp / && o["dport"] == 8080) { tcp++; if ($0 ~ /ASSURED/) assured++ }
	} END { print good + 0, total + 0, assured + 0, tcp + 0 }')
	set -- $res
	check_ge "$2" 12 "conntrack entries from the pods (echo, UDP, TCP, both families)"
	check_eq "$1" "$2" "every entry from a pod has the mirrored reply tuple"
	check_eq "$4" 8 "the 8 TCP connections to :8080 are in the table"
	check_eq "$3" "$4" "and ASSURED"
else
	info "no /proc/net/nf_conntrack on this kernel: the nft counters above are the check"
fi

step "NAT off: the server is unreachable, the firewall drops nothing"
check_ok "nat off" nsx hostA "$TWILL" nat set twill0 off
ping_fails podA1 "$SRV4" 2
check_eq "$(rule_count dropped)" 0 "firewall: nothing dropped (the requests were forwarded, nobody answered)"
klog_clean "case 2"
echo "PASS: nat-conntrack"
