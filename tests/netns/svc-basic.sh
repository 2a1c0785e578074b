#!/bin/sh
# shellcheck shell=dash
# Service virtual addresses, the datapath basics (issue 11).  Layout:
# topo.sh's hostA and hostB, twill0 on both (IPv4 underlay), and on hostA
#
#   podA1 (client, on the cni0 bridge, 10.244.1.11, fd00:244:0:1::11)
#   podL  (a backend, routed: 10.244.9.50/32 and fd00:244:0:9::50/128 on
#          a veth of its own, hostA's end "vethL", as a point-to-point CNI
#          such as twill-cni or Calico wires a pod)
#
# and on hostB the backends podB1 and podB2 (its cni0 bridge).  hostA has
# the services (client side: the pod's packets are translated where they
# enter the host):
#
#   10.96.0.10:80/tcp, :53/udp and [fd00:96::10]:80/tcp, :53/udp
#        backends podL, podB1, podB2 (TCP 8080, UDP 7: flowtool serve)
#   10.96.0.11:80/tcp, :53/udp and [fd00:96::11]:80/tcp, :53/udp: none
#
#   - TCP and UDP, IPv4 and IPv6: the client's connections succeed, the
#     backends see the client's own address, the replies come from the
#     virtual address (a connected socket takes nothing else); 60 TCP
#     connections and 30 UDP clients reach all 3 backends, the local one
#     and both across the overlay; `nat flows` shows a flow with the
#     service as destination and the backend as reply source; the
#     counters of `twill service show` move; the same from hostA's own
#     processes (the local-output hook).
#   - distribution: TWILL_NAT_SVC_CONNS connections (3,000) over 3 equal
#     backends, then weights 1:2:3, pass a chi-square test.
#   - affinity: all of a client's connections meet one backend; 24
#     clients keep theirs through a change of weights while their affinity
#     entries (`nat flows`, state affinity) live, and move once they expired.
#   - a service without backends refuses at once: connect() fails with
#     ECONNREFUSED on a reset (one SYN, one TCP segment back, no ICMP), UDP
#     gets port unreachable.
#   - a backend's ICMP port unreachable reaches the client from the
#     service address, its quoted packet translated back (the client's
#     connected socket gets ECONNREFUSED).
#   - a port of a virtual address that no service has: no answer, counted
#     as dropped.
#   - hairpin: podL reaches itself through a service whose only backend
#     it is (it sees the service address as the source), TCP and UDP.
#   - a backend removed: its UDP flows are purged (counted), the client
#     that keeps sending from the same port reaches a live backend, the
#     flows to the other backends stay as they were.
# (A local backend on the client's own bridge needs the bridge to pass
# its replies through the IP hooks, br_netfilter: not here.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/natlib.sh"

VIP4=10.96.0.10
VIP6=fd00:96::10
NONE4=10.96.0.11
NONE6=fd00:96::11
L4=10.244.9.50
L6=fd00:244:0:9::50

vip() { if [ "$1" = 6 ]; then echo "$VIP6"; else echo "$VIP4"; fi; }
none() { if [ "$1" = 6 ]; then echo "$NONE6"; else echo "$NONE4"; fi; }
# svc_key FAMILY ADDR PORT PROTO: ADDR:PORT/PROTO, [ADDR]:PORT/PROTO for 6
svc_key() { if [ "$1" = 6 ]; then echo "[$2]:$3/$4"; else echo "$2:$3/$4"; fi; }
local_addr() { if [ "$1" = 6 ]; then echo "$L6"; else echo "$L4"; fi; }

# mib NS NAME: a counter of NS's /proc/net/snmp (as nstat names it:
# TcpInSegs, IcmpInDestUnreachs) or /proc/net/snmp6; fails if missing.
mib() {
	local v
	v=$(nsx "$1" cat /proc/net/snmp /proc/net/snmp6 | awk -v k="$2" '
		NF == 2 && $1 == k { v = $2 }
		$1 ~ /:$/ {
			p = substr($1, 1, length($1) - 1)
			if (!(p in h)) { h[p] = $0; next }
			split(h[p], n)
			for (i = 2; i <= NF; i++) if (p n[i] == k) v = $i
		}
		END { if (v != "") print v }')
	[ -n "$v" ] || t_fail "no counter $2 in $1's /proc/net/snmp{,6}"
	echo "$v"
}
unreach_mib() { if [ "$1" = 6 ]; then echo Icmp6InDestUnreachs; else echo IcmpInDestUnreachs; fi; }

# counts LOG0 LOG1 LOG2 N0 N1 N2 PROTO: lines of PROTO in each log since
# its mark, as "a b c".
counts() {
	local proto=$7
	echo "$(log_since "$1" "$4" | grep -c "^$proto ") $(log_since "$2" "$5" | grep -c "^$proto ") $(log_since "$3" "$6" | grep -c "^$proto ")"
}

# Session affinity's clients: podA1's extra addresses 10.244.1.100-123.
AFF_FIRST=100
AFF_END=124

# backend_of ADDR N0 N1 N2: the backends (podL, podB1, podB2) whose logs
# have a TCP connection from ADDR since their marks.
backend_of() {
	local hits=""
	log_since "$LOG0" "$2" | grep -q "^tcp $1 " && hits="$hits podL"
	log_since "$LOG1" "$3" | grep -q "^tcp $1 " && hits="$hits podB1"
	log_since "$LOG2" "$4" | grep -q "^tcp $1 " && hits="$hits podB2"
	echo "${hits# }"
}

# affinity_round: one connection to $VIP4:80 from each client; prints
# "ADDR BACKEND" for each.
affinity_round() {
	local n0 n1 n2 i out
	n0=$(log_lines "$LOG0") n1=$(log_lines "$LOG1") n2=$(log_lines "$LOG2")
	i=$AFF_FIRST
	while [ $i -lt $AFF_END ]; do
		out=$(nsx podA1 "$FLOWTOOL" connect -b "10.244.1.$i" "$VIP4" 80) || t_fail "flowtool connect from 10.244.1.$i"
		[ "$out" = "ok=1 fail=0" ] || t_fail "client 10.244.1.$i: $out"
		i=$((i + 1))
	done
	i=$AFF_FIRST
	while [ $i -lt $AFF_END ]; do
		echo "10.244.1.$i $(backend_of "10.244.1.$i" "$n0" "$n1" "$n2")"
		i=$((i + 1))
	done
}

# affinity_kept: 24 clients keep their backends through a change of the
# weights that moves most of Maglev's choices (1:1:1 to 1:1:30), while
# their affinity entries live; once those expired, the same change moves
# them (each client stays with probability about 0.4: all 24 with 3e-10).
affinity_kept() {
	local key before after i moved
	key=$(svc_key 4 "$VIP4" 80 tcp)
	step "IPv4: affinity entries keep 24 clients' backends through a change, then expire"
	i=$AFF_FIRST
	while [ $i -lt $AFF_END ]; do
		nsx podA1 "$IP" addr add "10.244.1.$i/24" dev eth0 || t_fail "address 10.244.1.$i"
		i=$((i + 1))
	done
	check_ok "affinity 300" nsx hostA "$TWILL" service set twill0 "$key" affinity 300
	before=$(affinity_round)
	check_eq "$(printf '%s\n' "$before" | awk 'NF != 2' | wc -l)" 0 "each client's connection met exactly one backend"
	# (the text form: the JSON one's parser takes long over the thousands
	# of flows the distribution test left)
	check_eq "$(nat_flows_text hostA | grep -c '^tcp 10[.]244[.]1[.]1[0-2][0-9]:0 -> 10[.]96[.]0[.]10:80 to 10[.]244[.][29][.][0-9]*:8080 as .* affinity [0-9]*s$')" \
		$((AFF_END - AFF_FIRST)) "nat flows: one affinity entry per client"
	check_ok "weights 1:1:30" nsx hostA "$TWILL" service set twill0 "$key" affinity 300 \
		backend "$L4:8080" weight 1 backend "$(pod_addr hostB 1 4):8080" weight 1 \
		backend "$(pod_addr hostB 2 4):8080" weight 30
	after=$(affinity_round)
	check_eq "$after" "$before" "every client kept its backend"
	# a new flow restarts each entry's timeout, now 1 s
	check_ok "affinity 1" nsx hostA "$TWILL" service set twill0 "$key" affinity 1
	after=$(affinity_round)
	check_eq "$after" "$before" "still kept (the entries were alive)"
	sleep 2
	after=$(affinity_round)
	moved=$(printf '%s\n%s\n' "$before" "$after" | sort | uniq -u | wc -l)
	info "after expiry: $((moved / 2)) of $((AFF_END - AFF_FIRST)) clients moved"
	check_gt "$moved" 0 "expired entries let Maglev's new choices through"
	check_ok "equal weights again, affinity 10800" nsx hostA "$TWILL" service set twill0 "$key" affinity 10800 \
		backend "$L4:8080" backend "$(pod_addr hostB 1 4):8080" backend "$(pod_addr hostB 2 4):8080"
	i=$AFF_FIRST
	while [ $i -lt $AFF_END ]; do
		nsx podA1 "$IP" addr del "10.244.1.$i/24" dev eth0 || t_fail "address 10.244.1.$i"
		i=$((i + 1))
	done
}

# Connections of the distribution test (TWILL_NAT_SVC_CONNS; 3,000, 600 on a
# debug kernel).
DIST=${TWILL_NAT_SVC_CONNS:-$(scaled 3000 600)}
BATCH=$(scaled 100 50)
[ $((DIST % BATCH)) = 0 ] || t_fail "TWILL_NAT_SVC_CONNS: a multiple of $BATCH"
echo "   TWILL_NAT_SVC_CONNS=${TWILL_NAT_SVC_CONNS:-} (kernel ${TWILL_KERNEL:-?}): $DIST connections"

# chi_check W0 W1 W2: $DIST connections from podA1 to $VIP4:80 spread over
# podL, podB1 and podB2 in proportion to W0:W1:W2, by Pearson's chi-square
# test with 2 degrees of freedom: below 27.63, which a fair spread exceeds
# with probability 1e-6 (so a failure is not bad luck), and which
# 3,000 connections ignoring 1:2:3 exceed more than twenty times over.
chi_check() {
	local n0 n1 n2 out chi i=0
	n0=$(log_lines "$LOG0") n1=$(log_lines "$LOG1") n2=$(log_lines "$LOG2")
	# in batches: flowtool opens a batch's connections at once
	while [ $i -lt $((DIST / BATCH)) ]; do
		out=$(nsx podA1 "$FLOWTOOL" connect -n "$BATCH" "$VIP4" 80) || t_fail "flowtool connect"
		check_eq "$out" "ok=$BATCH fail=0" "batch $i: $BATCH connections, each answered" >/dev/null
		i=$((i + 1))
	done
	info "ok: $DIST connections in batches of $BATCH, each answered"
	set -- "$1" "$2" "$3" $(counts "$LOG0" "$LOG1" "$LOG2" "$n0" "$n1" "$n2" tcp)
	check_eq "$(($4 + $5 + $6))" "$DIST" "the backends saw $DIST connections"
	chi=$(awk -v w="$1 $2 $3" -v o="$4 $5 $6" -v n="$DIST" 'BEGIN {
		split(w, W, " "); split(o, O, " ")
		t = W[1] + W[2] + W[3]
		for (i = 1; i <= 3; i++) { e = n * W[i] / t; d = O[i] - e; c += d * d / e }
		printf "%.2f", c
	}')
	info "podL $4, podB1 $5, podB2 $6 for weights $1:$2:$3: chi-square $chi"
	check_eq "$(awk -v c="$chi" 'BEGIN { print (c < 27.63) ? "fair" : "skewed" }')" fair \
		"chi-square $chi < 27.63 (2 degrees of freedom, p = 1e-6)"
}

# svc_diag: the service counters, hostA's flows and each host's peer
# counters, one line each, for the lane's digest of a failure
svc_diag() {
	local h
	echo "FAIL: (diag) hostA services: $(nsx hostA "$TWILL" service show twill0 2>&1 | grep -E 'translated|drops' | tr '\n' ' ')"
	echo "FAIL: (diag) hostA flows: $(nsx hostA "$TWILL" nat flows twill0 2>&1 | tail -n 6 | tr '\n' ';')"
	for h in hostA hostB; do
		echo "FAIL: (diag) $h peers: $(nsx "$h" "$TWILL" show twill0 dump 2>&1 | tail -n +2 | tr '\n' ';')"
	done
}
T_DIAG=svc_diag

step "topology: hostA (client podA1, routed backend podL), hostB (backends podB1, podB2), twill0 mesh"
topo_hosts hostA hostB
topo_pods hostA 1
topo_pods hostB 2
topo_twill_mesh 4 hostA hostB
topo_ns_add podL
"$IP" link add vethL netns hostA type veth peer name eth0 netns podL || t_fail "veth hostA <-> podL"
nsx hostA "$IP" link set vethL up
nsx hostA "$IP" -6 addr add fe80::1/64 dev vethL nodad
nsx hostA "$IP" route add "$L4/32" dev vethL || t_fail "hostA: route to podL"
nsx hostA "$IP" -6 route add "$L6/128" dev vethL || t_fail "hostA: IPv6 route to podL"
nsx podL "$IP" addr add "$L4/32" dev eth0
nsx podL "$IP" -6 addr add "$L6/128" dev eth0 nodad
nsx podL "$IP" link set eth0 up
nsx podL "$IP" route add 10.244.1.1 dev eth0
nsx podL "$IP" route add default via 10.244.1.1 dev eth0 || t_fail "podL: default route"
nsx podL "$IP" -6 route add default via fe80::1 dev eth0 || t_fail "podL: IPv6 default route"
# every refusal sent: no ICMP rate limit on hostA (one refusal per
# attempt is what the counters must show)
nsx hostA sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 >/dev/null ||
	t_fail "hostA: sysctl icmp ratelimit"
ping_ok podA1 "$L4" 2
ping_ok podA1 "$L6" 2

srv_start podL 7,8080
LOG0=$SRV_LOG
srv_start podB1 7,8080
LOG1=$SRV_LOG
srv_start podB2 7,8080
LOG2=$SRV_LOG

step "services on hostA"
for fam in 4 6; do
	b0=$(local_addr $fam)
	b1=$(pod_addr hostB 1 $fam)
	b2=$(pod_addr hostB 2 $fam)
	[ $fam = 6 ] && { b0="[$b0]"; b1="[$b1]"; b2="[$b2]"; }
	check_ok "IPv$fam TCP service" nsx hostA "$TWILL" service set twill0 "$(svc_key $fam "$(vip $fam)" 80 tcp)" \
		backend "$b0:8080" backend "$b1:8080" backend "$b2:8080"
	check_ok "IPv$fam UDP service" nsx hostA "$TWILL" service set twill0 "$(svc_key $fam "$(vip $fam)" 53 udp)" \
		backend "$b0:7" backend "$b1:7" backend "$b2:7"
	check_ok "IPv$fam TCP service without backends" nsx hostA "$TWILL" service set twill0 "$(svc_key $fam "$(none $fam)" 80 tcp)"
	check_ok "IPv$fam UDP service without backends" nsx hostA "$TWILL" service set twill0 "$(svc_key $fam "$(none $fam)" 53 udp)"
done
out=$(nsx hostA "$TWILL" service show twill0) || t_fail "service show"
printf '%s\n' "$out" | sed 's/^/   | /'
check_contains "$out" "8 services, 12 backends" "8 services, 12 backends"
check_contains "$out" "translated: packets 0 replies 0; flows created 0 purged 0; refused 0" "counters at zero"

for fam in 4 6; do
	v=$(vip $fam)
	client=$(pod_addr hostA 1 $fam)

	step "IPv$fam: one TCP connection podA1 -> $v:80"
	p0=$(svc_stat packets)
	r0=$(svc_stat replies)
	c0=$(svc_stat flows_created)
	n0=$(log_lines "$LOG0") n1=$(log_lines "$LOG1") n2=$(log_lines "$LOG2")
	out=$(nsx podA1 "$FLOWTOOL" connect -P 45000 "$v" 80) || t_fail "flowtool connect"
	check_eq "$out" "local 45000
ok=1 fail=0" "connected through the service, request answered"
	seen=$( (log_since "$LOG0" "$n0"; log_since "$LOG1" "$n1"; log_since "$LOG2" "$n2") | grep '^tcp ')
	check_eq "$seen" "tcp $client 45000" "one backend saw podA1's own address and port"
	flows=$(nat_flows hostA)
	printf '%s\n' "$flows" | sed 's/^/   | /'
	check_eq "$(printf '%s\n' "$flows" | awk -v c="$client" -v v="$v" \
		'$1 == "tcp" && $2 == c && $3 == 45000 && $4 == v && $5 == 80 && $7 == 8080 && $8 == c && $9 == 45000 { n++ } END { print n + 0 }')" 1 \
		"nat flows: tcp $client:45000 -> $v:80, reply from a backend's 8080"
	check_eq "$(svc_stat flows_created)" $((c0 + 1)) "flows_created + 1"
	check_gt "$(svc_stat packets)" "$p0" "packets translated to the backend"
	check_gt "$(svc_stat replies)" "$r0" "replies translated back"

	step "IPv$fam: 60 TCP connections podA1 -> $v:80 reach all 3 backends"
	n0=$(log_lines "$LOG0") n1=$(log_lines "$LOG1") n2=$(log_lines "$LOG2")
	out=$(nsx podA1 "$FLOWTOOL" connect -n 60 "$v" 80) || t_fail "flowtool connect"
	check_eq "$out" "ok=60 fail=0" "60 connections, each answered"
	set -- $(counts "$LOG0" "$LOG1" "$LOG2" "$n0" "$n1" "$n2" tcp)
	info "connections per backend: podL $1, podB1 $2, podB2 $3"
	check_eq "$(($1 + $2 + $3))" 60 "the backends saw 60 connections"
	check_gt "$1" 0 "the local backend podL was chosen"
	check_gt "$2" 0 "podB1 (across the overlay) was chosen"
	check_gt "$3" 0 "podB2 (across the overlay) was chosen"

	if [ $fam = 4 ]; then
		step "IPv4: $DIST connections over 3 equal backends, then weights 1:2:3 (chi-square)"
		chi_check 1 1 1
		check_ok "weights 1:2:3" nsx hostA "$TWILL" service set twill0 "$(svc_key 4 "$v" 80 tcp)" \
			backend "$L4:8080" weight 1 backend "$(pod_addr hostB 1 4):8080" weight 2 \
			backend "$(pod_addr hostB 2 4):8080" weight 3
		chi_check 1 2 3
		check_ok "equal weights again" nsx hostA "$TWILL" service set twill0 "$(svc_key 4 "$v" 80 tcp)" \
			backend "$L4:8080" backend "$(pod_addr hostB 1 4):8080" backend "$(pod_addr hostB 2 4):8080"
	fi

	step "IPv$fam: affinity: podA1's 20 connections to $v:80 meet one backend"
	check_ok "affinity on" nsx hostA "$TWILL" service set twill0 "$(svc_key $fam "$v" 80 tcp)" affinity 10800
	n0=$(log_lines "$LOG0") n1=$(log_lines "$LOG1") n2=$(log_lines "$LOG2")
	out=$(nsx podA1 "$FLOWTOOL" connect -n 20 "$v" 80) || t_fail "flowtool connect"
	check_eq "$out" "ok=20 fail=0" "20 connections, each answered"
	set -- $(counts "$LOG0" "$LOG1" "$LOG2" "$n0" "$n1" "$n2" tcp)
	info "connections per backend: podL $1, podB1 $2, podB2 $3"
	check_eq "$(echo "$1 $2 $3" | tr ' ' '\n' | sort -n | tr '\n' ' ')" "0 0 20 " "all 20 to one backend"
	if [ $fam = 4 ]; then affinity_kept; fi
	check_ok "affinity off" nsx hostA "$TWILL" service set twill0 "$(svc_key $fam "$v" 80 tcp)" affinity off

	step "IPv$fam: 30 UDP clients podA1 -> $v:53, each echoed by the service address"
	n0=$(log_lines "$LOG0") n1=$(log_lines "$LOG1") n2=$(log_lines "$LOG2")
	i=0
	while [ $i -lt 30 ]; do
		out=$(nsx podA1 "$FLOWTOOL" udp -P $((46000 + i)) -n 2 "$v" 53) || t_fail "flowtool udp"
		check_eq "$out" "reply $v 53 16
reply $v 53 16" "UDP client $((46000 + i)): 2 replies from $v:53" >/dev/null
		i=$((i + 1))
	done
	info "ok: 30 UDP clients, 2 replies each from $v:53"
	set -- $(counts "$LOG0" "$LOG1" "$LOG2" "$n0" "$n1" "$n2" udp)
	info "datagrams per backend: podL $1, podB1 $2, podB2 $3"
	check_eq "$(($1 + $2 + $3))" 60 "the backends saw 60 datagrams"
	check_gt "$1" 0 "the local backend podL was chosen"
	check_gt "$2" 0 "podB1 was chosen"
	check_gt "$3" 0 "podB2 was chosen"
	# a flow is pinned: both datagrams of a client went to one backend
	check_eq "$( (log_since "$LOG0" "$n0"; log_since "$LOG1" "$n1"; log_since "$LOG2" "$n2") |
		grep '^udp ' | sort | uniq -c | awk '$1 != 2' | wc -l | tr -d ' ')" 0 \
		"each client's 2 datagrams reached one backend"

	step "IPv$fam: a service without backends refuses at once"
	f0=$(svc_stat refused)
	s0=$(mib podA1 TcpInSegs)
	u0=$(mib podA1 "$(unreach_mib $fam)")
	out=$(nsx podA1 "$FLOWTOOL" connect -v -t 5 "$(none $fam)" 80) || t_fail "flowtool connect"
	check_eq "$out" "fail ECONNREFUSED
ok=0 fail=1" "TCP connect: ECONNREFUSED"
	# A reset, not ICMP: an ICMP error that meets the socket still held
	# by connect() is a soft error and the SYN goes out again a second
	# later (counted as a second refusal).
	check_eq "$(($(mib podA1 TcpInSegs) - s0))" 1 "podA1 received one TCP segment (the reset)"
	check_eq "$(($(mib podA1 "$(unreach_mib $fam)") - u0))" 0 "and no ICMP destination unreachable"
	f1=$(svc_stat refused)
	check_eq "$f1" $((f0 + 1)) "refused + 1: one SYN, refused once"
	out=$(nsx podA1 "$FLOWTOOL" udp "$(none $fam)" 53) || t_fail "flowtool udp"
	if [ $fam = 4 ]; then
		check_contains "$out" "icmp type=3 code=3 " "UDP: ICMP port unreachable"
	else
		check_contains "$out" "icmp type=1 code=4 " "UDP: ICMPv6 port unreachable"
	fi
	check_contains "$out" "errno=ECONNREFUSED" "UDP: ECONNREFUSED"
	check_eq "$(svc_stat refused)" $((f1 + 1)) "refused + 1 (UDP)"

	step "IPv$fam: a backend's ICMP error comes back from the service address"
	b1=$(pod_addr hostB 1 $fam)
	[ $fam = 6 ] && b1="[$b1]"
	check_ok "service $v:55/udp to podB1's closed port 9" nsx hostA "$TWILL" service set twill0 \
		"$(svc_key $fam "$v" 55 udp)" backend "$b1:9"
	out=$(nsx podA1 "$FLOWTOOL" udp "$v" 55) || t_fail "flowtool udp"
	# the connected socket takes it: the quoted packet is podA1 -> $v:55
	if [ $fam = 4 ]; then
		check_contains "$out" "icmp type=3 code=3 from=$v " "ICMP port unreachable from $v"
	else
		check_contains "$out" "icmp type=1 code=4 from=$v " "ICMPv6 port unreachable from $v"
	fi
	check_contains "$out" "errno=ECONNREFUSED" "UDP: ECONNREFUSED"
	check_ok "remove $v:55/udp" nsx hostA "$TWILL" service set twill0 "$(svc_key $fam "$v" 55 udp)" remove

	step "IPv$fam: a port of $v that no service has is dropped"
	d0=$(svc_stat drop_no_service)
	out=$(nsx podA1 "$FLOWTOOL" connect -v -t 2 "$v" 81) || t_fail "flowtool connect"
	check_eq "$out" "fail timeout
ok=0 fail=1" "TCP to port 81: no answer"
	out=$(nsx podA1 "$FLOWTOOL" udp -w 500 "$v" 54) || t_fail "flowtool udp"
	check_eq "$out" "timeout" "UDP to port 54: no answer"
	check_gt "$(svc_stat drop_no_service)" "$d0" "drop_no_service moved"
done

out=$(nsx hostA "$TWILL" service show twill0) || t_fail "service show"
printf '%s\n' "$out" | sed 's/^/   | /'
check_contains "$out" "drops: no-service " "the human view has the drops"
flat=$(svc_flat)
for s in drop_full drop_in_use drop_nomem; do
	check_eq "$(flat_get "$flat" "stats|$s")" 0 "stats $s"
done

step "host processes: hostA's own connections to the services (local output)"
# the service ranges lead somewhere (any route does: the destination is
# chosen before routing is done again)
nsx hostA "$IP" route add 10.96.0.0/16 dev cni0 || t_fail "hostA: route to the service range"
nsx hostA "$IP" -6 route add fd00:96::/64 dev cni0 || t_fail "hostA: IPv6 route to the service range"
for fam in 4 6; do
	v=$(vip $fam)
	host=$(nsx hostA "$IP" -$fam route get "$v" | sed -n 's/.* src \([^ ]*\).*/\1/p')
	[ -n "$host" ] || t_fail "hostA's source address towards $v"
	n0=$(log_lines "$LOG0") n1=$(log_lines "$LOG1") n2=$(log_lines "$LOG2")
	out=$(nsx hostA "$FLOWTOOL" connect -n 30 "$v" 80) || t_fail "flowtool connect"
	check_eq "$out" "ok=30 fail=0" "IPv$fam: 30 connections from hostA through $v:80"
	set -- $(counts "$LOG0" "$LOG1" "$LOG2" "$n0" "$n1" "$n2" tcp)
	info "connections per backend: podL $1, podB1 $2, podB2 $3"
	check_eq "$(($1 + $2 + $3))" 30 "the backends saw 30 connections"
	check_gt "$1" 0 "the local backend podL was chosen"
	check_gt "$(($2 + $3))" 0 "a backend across the overlay was chosen"
	check_eq "$( (log_since "$LOG0" "$n0"; log_since "$LOG1" "$n1"; log_since "$LOG2" "$n2") |
		awk '{ print $2 }' | sort -u)" "$host" "the backends saw hostA's address $host"
	out=$(nsx hostA "$FLOWTOOL" udp -n 2 "$v" 53) || t_fail "flowtool udp"
	check_eq "$out" "reply $v 53 16
reply $v 53 16" "IPv$fam: UDP from hostA: 2 replies from $v:53"
	f0=$(svc_stat refused)
	out=$(nsx hostA "$FLOWTOOL" connect -v -t 5 "$(none $fam)" 80) || t_fail "flowtool connect"
	check_eq "$out" "fail ECONNREFUSED
ok=0 fail=1" "IPv$fam: hostA to a service without backends: ECONNREFUSED"
	check_eq "$(svc_stat refused)" $((f0 + 1)) "refused + 1: one SYN, refused once (a reset)"
done

step "pod to pod without a service is not translated"
c0=$(svc_stat flows_created)
n1=$(log_lines "$LOG1")
out=$(nsx podA1 "$FLOWTOOL" connect -n 3 "$(pod_addr hostB 1 4)" 8080) || t_fail "flowtool connect"
check_eq "$out" "ok=3 fail=0" "3 connections to podB1 directly"
check_eq "$(log_since "$LOG1" "$n1" | awk '{ print $1, $2 }' | sort | uniq -c | awk '{ print $1, $2, $3 }')" \
	"3 tcp $(pod_addr hostA 1 4)" "podB1 saw podA1"
check_eq "$(svc_stat flows_created)" "$c0" "no service flow"

# purge_fields: `nat flows` lines without their state and timeout.
purge_fields() { awk '{ print $1, $2, $3, $4, $5, $6, $7, $8, $9 }'; }

for fam in 4 6; do
	v=$(vip $fam)
	b0=$(local_addr $fam)
	b1=$(pod_addr hostB 1 $fam)
	b2=$(pod_addr hostB 2 $fam)
	step "IPv$fam: podB2 removed from $v:53/udp: its flows are purged, the others' untouched"
	i=0
	while [ $i -lt 30 ]; do
		out=$(nsx podA1 "$FLOWTOOL" udp -P $((47000 + i)) "$v" 53) || t_fail "flowtool udp"
		check_eq "$out" "reply $v 53 16" "UDP client $((47000 + i)) answered" >/dev/null
		i=$((i + 1))
	done
	flows=$(nat_flows hostA | awk -v v="$v" '$1 == "udp" && $4 == v && $5 == 53')
	# this step's clients (47000-47029); older flows may expire meanwhile
	fresh=$(printf '%s\n' "$flows" | awk '$3 >= 47000 && $3 < 47030')
	all_b2=$(printf '%s\n' "$flows" | awk -v b="$b2" '$6 == b' | wc -l)
	fresh_b2=$(printf '%s\n' "$fresh" | awk -v b="$b2" '$6 == b' | wc -l)
	kept=$(printf '%s\n' "$fresh" | awk -v b="$b2" '$6 != b' | purge_fields | sort)
	port=$(printf '%s\n' "$fresh" | awk -v b="$b2" '$6 == b { print $3; exit }')
	info "flows of $v:53/udp: $all_b2 to podB2 ($fresh_b2 of this step's 30 clients)"
	check_gt "$fresh_b2" 0 "some of this step's clients chose podB2"
	p0=$(svc_stat flows_purged)
	B0=$b0 B1=$b1
	[ $fam = 6 ] && { B0="[$b0]"; B1="[$b1]"; }
	check_ok "service set: $v:53/udp without podB2" nsx hostA "$TWILL" service set twill0 \
		"$(svc_key $fam "$v" 53 udp)" backend "$B0:7" backend "$B1:7"
	purged=$(purged_wait "$p0" "$fresh_b2")
	info "flows_purged + $purged"
	check_ge "$purged" "$fresh_b2" "flows_purged counts this step's flows to podB2"
	check_ge "$all_b2" "$purged" "flows_purged counts no more than the flows to podB2"
	flows=$(nat_flows hostA | awk -v v="$v" '$1 == "udp" && $4 == v && $5 == 53')
	check_eq "$(printf '%s\n' "$flows" | awk -v b="$b2" '$6 == b' | wc -l)" 0 "no flow to podB2 left"
	check_eq "$(printf '%s\n' "$flows" | awk '$3 >= 47000 && $3 < 47030' | purge_fields | sort)" "$kept" \
		"the flows to podL and podB1 are untouched"
	# podB2's client keeps sending from the same port: a live backend answers
	n0=$(log_lines "$LOG0") n1=$(log_lines "$LOG1") n2=$(log_lines "$LOG2")
	out=$(nsx podA1 "$FLOWTOOL" udp -P "$port" -n 2 "$v" 53) || t_fail "flowtool udp"
	check_eq "$out" "reply $v 53 16
reply $v 53 16" "client $port (was on podB2): 2 replies from $v:53"
	set -- $(counts "$LOG0" "$LOG1" "$LOG2" "$n0" "$n1" "$n2" udp)
	check_eq "$3 $(($1 + $2))" "0 2" "podB2 got nothing, a live backend both datagrams"
done

# flows_to ADDR: how many flows to ADDR hostA's flow table holds
flows_to() {
	nat_flows hostA | awk -v h="$1" '$4 == h' | wc -l
}
no_flows_of() {
	[ "$(flows_to "$1")" = 0 ]
}

HP4=10.96.0.12
HP6=fd00:96::12
for fam in 4 6; do
	if [ $fam = 6 ]; then hp=$HP6 b="[$L6]"; else hp=$HP4 b=$L4; fi
	step "IPv$fam: hairpin: podL reaches itself through $hp"
	check_ok "service $hp:80/tcp, podL only" nsx hostA "$TWILL" service set twill0 \
		"$(svc_key $fam "$hp" 80 tcp)" backend "$b:8080"
	check_ok "service $hp:53/udp, podL only" nsx hostA "$TWILL" service set twill0 \
		"$(svc_key $fam "$hp" 53 udp)" backend "$b:7"
	n0=$(log_lines "$LOG0")
	out=$(nsx podL "$FLOWTOOL" connect -P 48000 "$hp" 80) || t_fail "flowtool connect"
	check_eq "$out" "local 48000
ok=1 fail=0" "TCP: podL connected to itself through $hp"
	# (listed at once: a closed connection's flow goes after 10 s)
	check_eq "$(nat_flows hostA | awk -v h="$hp" '$1 == "tcp" && $4 == h { print $3, $5, $7, $8, $9 }')" \
		"48000 80 8080 $hp 48000" "nat flows: the backend's replies go to $hp, to the client's port"
	out=$(nsx podL "$FLOWTOOL" udp -P 48001 -n 2 "$hp" 53) || t_fail "flowtool udp"
	check_eq "$out" "reply $hp 53 16
reply $hp 53 16" "UDP: 2 replies from $hp:53"
	check_eq "$(nat_flows hostA | awk -v h="$hp" '$1 == "udp" && $4 == h { print $3, $5, $7, $8, $9 }')" \
		"48001 53 7 $hp 48001" "nat flows: the same for UDP"
	# the backend saw the service address (from the client's port), so
	# that its answers came back through hostA
	check_eq "$(log_since "$LOG0" "$n0" | awk '{ print $1, $2, $3 }')" "tcp $hp 48000
udp $hp 48001
udp $hp 48001" "podL saw $hp as the source, from its own ports"
	p0=$(svc_stat flows_purged)
	check_ok "remove $hp:80/tcp" nsx hostA "$TWILL" service set twill0 "$(svc_key $fam "$hp" 80 tcp)" remove
	check_ok "remove $hp:53/udp" nsx hostA "$TWILL" service set twill0 "$(svc_key $fam "$hp" 53 udp)" remove
	# the TCP flow may have expired (closed: 10 s), the UDP one not (120 s)
	check_ge "$(purged_wait "$p0" 1)" 1 "a removed service's flows are purged"
	# two changes, two purges: the second may still be on its way
	topo_wait 20 no_flows_of "$hp"
	check_eq "$(flows_to "$hp")" 0 "no flow of $hp left"
done

step "all services removed: the flow table goes"
check_ok "service set: replace with none" nsx hostA "$TWILL" service set twill0 "$(svc_key 4 "$NONE4" 80 tcp)" remove
for fam in 4 6; do
	for k in "$(vip $fam) 80 tcp" "$(vip $fam) 53 udp" "$(none $fam) 53 udp" "$(none $fam) 80 tcp"; do
		set -- $k
		[ "$fam/$1/$2" = "4/$NONE4/80" ] && continue
		check_ok "remove $1:$2/$3" nsx hostA "$TWILL" service set twill0 "$(svc_key $fam "$1" "$2" "$3")" remove
	done
done
check_contains "$(nsx hostA "$TWILL" service show twill0)" "0 services, 0 backends" "no services"
check_fails "no flow table left" nsx hostA "$TWILL" nat flows twill0
out=$(nsx podA1 "$FLOWTOOL" connect -n 2 "$(pod_addr hostB 1 6)" 8080) || t_fail "flowtool connect"
check_eq "$out" "ok=2 fail=0" "the overlay still works"

klog_clean
echo "PASS: svc-basic"
