#!/bin/sh
# shellcheck shell=dash
# Services beside netfilter conntrack and a stateful firewall (issue 11;
# nat-conntrack is the same for masquerade).  Layout: topo.sh's hostA and
# hostB joined by twill0; the client podA1 on hostA, the backends podB1
# and podB2 on hostB; the services on hostA (10.96.0.10:80/tcp, :53/udp,
# [fd00:96::10]:80/tcp, :53/udp).  hostA has the firewall of a Docker or
# kube-proxy host: forward chain, policy drop; `ct state
# established,related accept`; new flows from the pods' bridge accepted;
# anything else counted and dropped.
#   - TCP connections and UDP exchanges through the services work, both
#     families: the backends' replies reach conntrack as the backend's
#     (twill translated the client's packets before conntrack looked, and
#     translates the replies after it), so they are "established"; no
#     packet is "new" from elsewhere, invalid, or dropped.
#   - hostA's conntrack entries of podA1's flows say podA1 -> backend, and
#     their reply tuples mirror that (conntrack never saw the service
#     address).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/natlib.sh"

VIP4=10.96.0.10
VIP6=fd00:96::10
vip() { if [ "$1" = 6 ]; then echo "$VIP6"; else echo "$VIP4"; fi; }
svc_key() { if [ "$1" = 6 ]; then echo "[$2]:$3/$4"; else echo "$2:$3/$4"; fi; }

step "topology: hostA (client podA1), hostB (backends podB1, podB2), twill0 mesh"
topo_hosts hostA hostB
topo_pods hostA 1
topo_pods hostB 2
topo_twill_mesh 4 hostA hostB
srv_start podB1 7,8080
srv_start podB2 7,8080

step "services on hostA"
for fam in 4 6; do
	b1=$(pod_addr hostB 1 $fam)
	b2=$(pod_addr hostB 2 $fam)
	[ $fam = 6 ] && { b1="[$b1]"; b2="[$b2]"; }
	check_ok "IPv$fam TCP service" nsx hostA "$TWILL" service set twill0 \
		"$(svc_key $fam "$(vip $fam)" 80 tcp)" backend "$b1:8080" backend "$b2:8080"
	check_ok "IPv$fam UDP service" nsx hostA "$TWILL" service set twill0 \
		"$(svc_key $fam "$(vip $fam)" 53 udp)" backend "$b1:7" backend "$b2:7"
done

step "nf_conntrack and a stateful nft firewall on hostA"
nsx hostA nft -f - <<'NFT' || t_fail "nft ruleset"
table inet fw {
	chain fw_forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related counter accept comment "est"
		ct state new iifname "cni0" counter accept comment "new-pods"
		ct state new counter comment "new-other"
		ct state invalid counter comment "invalid"
		counter drop comment "dropped"
	}
}
NFT
# rule_count COMMENT: packets of the forward chain's rule with that comment
rule_count() {
	local v
	v=$(nsx hostA nft list chain inet fw fw_forward | grep -F "comment \"$1\"" | grep -o 'packets [0-9]*' | awk '{ print $2 }')
	[ -n "$v" ] || t_fail "no counter for rule '$1' in hostA's forward chain"
	echo "$v"
}

flows=0
for fam in 4 6; do
	v=$(vip $fam)
	step "IPv$fam: 10 TCP connections and 5 UDP clients podA1 -> $v through the firewall"
	out=$(nsx podA1 "$FLOWTOOL" connect -n 10 "$v" 80) || t_fail "flowtool connect"
	check_eq "$out" "ok=10 fail=0" "10 connections, each answered"
	i=0
	while [ $i -lt 5 ]; do
		out=$(nsx podA1 "$FLOWTOOL" udp -P $((46000 + i)) -n 2 "$v" 53) || t_fail "flowtool udp"
		check_eq "$out" "reply $v 53 16
reply $v 53 16" "UDP client $((46000 + i)): 2 replies from $v:53" >/dev/null
		i=$((i + 1))
	done
	info "ok: 5 UDP clients, 2 replies each from $v:53"
	flows=$((flows + 15))
done

step "the firewall saw every reply as established, nothing else"
check_eq "$(rule_count new-pods)" "$flows" "one 'new' packet per flow from the pods ($flows flows)"
check_gt "$(rule_count est)" "$flows" "replies and later packets matched 'established'"
check_eq "$(rule_count new-other)" 0 "no 'new' packet from elsewhere (a reply conntrack did not know)"
check_eq "$(rule_count invalid)" 0 "no invalid packet"
check_eq "$(rule_count dropped)" 0 "nothing dropped"
if nsx hostA test -r /proc/net/nf_conntrack; then
	ct=$(nsx hostA cat /proc/net/nf_conntrack)
	printf '%s\n' "$ct" | grep -E 'dport=(8080|7) ' | head -n 6 | sed 's/^/   | /'
	# podA1's entries: original podA1 -> a backend (never the service
	# address), reply tuple its mirror.  Prints "GOOD TOTAL VIP".
	res=$(printf '%s\n' "$ct" | awk -v a4="$(pod_addr hostA 1 4)" '{
		split("", o); split("", r)
		for (i = 1; i <= NF; i++) {
			if ($i !~ /^(src|dst|sport|dport)=/) continue
			eq = index($i, "=")
			k = substr($i, 1, eq - 1)
			v = substr($i, eq + 1)
			if (!(k in o)) o[k] = v
			else if (!(k in r)) r[k] = v
		}
		if (o["src"] != a4 && o["src"] !~ /^fd00:/) next
		if (o["dport"] != 8080 && o["dport"] != 7 && o["dport"] != 80 && o["dport"] != 53) next
		total++
		if (o["dst"] ~ /^(10\.96\.|fd00:0096:)/) vip++
		if (r["src"] == o["dst"] && r["dst"] == o["src"] &&
		    r["sport"] == o["dport"] && r["dport"] == o["sport"]) good++
		else print "   not mirrored: " $0 > "/dev/stderr"
	} END { print good + 0, total + 0, vip + 0 }')
	set -- $res
	check_eq "$2" "$flows" "hostA's conntrack holds podA1's $flows flows"
	check_eq "$1" "$2" "each says podA1 -> backend, reply tuple mirrored"
	check_eq "$3" 0 "none has the service address"
else
	info "no /proc/net/nf_conntrack on this kernel: the nft counters above are the check"
fi

klog_clean
echo "PASS: svc-conntrack"
