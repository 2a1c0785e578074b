# shellcheck shell=dash
# Topology and helpers of the NAT scenarios (tests/netns/nat-*.sh) and the
# NAT benchmark (tests/bench/nat.sh).  Source after lib.sh and topo.sh.
#
# Layout (nat_topo): topo.sh's hostA and hostB joined by ul0 (IPv4
# underlay 192.0.2.0/24), pods behind both, twill0 on both with each other
# as peer.  Beyond hostA's second interface "up0" (its uplink) lies the
# namespace "outside" with the server, 198.51.100.1 and 2001:db8:100::1:
#
#   pods --cni0-- hostA --up0----------------------eth0-- outside (server)
#                   |    198.51.100.2               198.51.100.1
#                  ul0   2001:db8:100::2            2001:db8:100::1
#                   |
#                 hostB -- pods
#
# or, with `nat_topo router`, a router namespace in between (for ICMP
# errors from a hop on the way and a smaller MTU beyond hostA):
#
#   hostA --up0------------r0-- router --r1------------------eth0-- outside
#          203.0.113.2   203.0.113.1   198.51.100.254 (MTU NAT_MTU)  198.51.100.1
#          2001:db8:203::2  ...::1     2001:db8:100::fe              2001:db8:100::1
#
# hostA's default routes point at its uplink.  Neither the server nor the
# router has a route to the pod prefixes (10.244.0.0/16, fd00:244::/48):
# a pod's packet that leaves hostA untranslated gets no answer.  UP4/UP6
# are hostA's uplink addresses (what the server must see), SRV4/SRV6 the
# server's, RTR4/RTR6 the router's on hostA's side.

FLOWTOOL=${FLOWTOOL:-flowtool}
if ! command -v "$FLOWTOOL" >/dev/null 2>&1 && [ -x "$TOPO_DIR/../tools/flowtool" ]; then
	FLOWTOOL=$TOPO_DIR/../tools/flowtool
fi
command -v "$FLOWTOOL" >/dev/null 2>&1 || t_fail "flowtool (tests/tools) is not in the guest"

SRV4=198.51.100.1
SRV6=2001:db8:100::1
UP4=198.51.100.2
UP6=2001:db8:100::2
RTR4=
RTR6=
# the pod prefixes, masqueraded and excluded (the cluster)
CLUSTER=10.244.0.0/16,fd00:244::/48
NAT_MTU=${NAT_MTU:-1280}

# srv HOST|FAMILY helpers: the server's / uplink's address in family 4|6
srv_addr() { if [ "$1" = 6 ]; then echo "$SRV6"; else echo "$SRV4"; fi; }
up_addr() { if [ "$1" = 6 ]; then echo "$UP6"; else echo "$UP4"; fi; }

# nat_topo [router] [PODS_A [PODS_B]]: the layout above (default 2 pods
# behind hostA, 1 behind hostB).
nat_topo() {
	local router=no na nb
	if [ "${1:-}" = router ]; then
		router=yes
		shift
	fi
	na=${1:-2}
	nb=${2:-1}
	topo_hosts hostA hostB
	topo_pods hostA "$na"
	topo_pods hostB "$nb"
	topo_twill_mesh 4 hostA hostB
	topo_ns_add outside
	if [ $router = no ]; then
		"$IP" link add up0 netns hostA type veth peer name eth0 netns outside ||
			t_fail "veth hostA <-> outside"
		nsx hostA "$IP" addr add "$UP4/24" dev up0
		nsx hostA "$IP" addr add "$UP6/64" dev up0 nodad
		nsx hostA "$IP" link set up0 up
		nsx outside "$IP" addr add "$SRV4/24" dev eth0
		nsx outside "$IP" addr add "$SRV6/64" dev eth0 nodad
		nsx outside "$IP" link set eth0 up
		nsx hostA "$IP" route add default via "$SRV4" dev up0
		nsx hostA "$IP" -6 route add default via "$SRV6" dev up0
	else
		UP4=203.0.113.2
		UP6=2001:db8:203::2
		RTR4=203.0.113.1
		RTR6=2001:db8:203::1
		topo_ns_add router
		"$IP" link add up0 netns hostA type veth peer name r0 netns router ||
			t_fail "veth hostA <-> router"
		"$IP" link add r1 netns router type veth peer name eth0 netns outside ||
			t_fail "veth router <-> outside"
		nsx hostA "$IP" addr add "$UP4/24" dev up0
		nsx hostA "$IP" addr add "$UP6/64" dev up0 nodad
		nsx hostA "$IP" link set up0 up
		nsx router "$IP" addr add "$RTR4/24" dev r0
		nsx router "$IP" addr add "$RTR6/64" dev r0 nodad
		nsx router "$IP" addr add 198.51.100.254/24 dev r1
		nsx router "$IP" addr add 2001:db8:100::fe/64 dev r1 nodad
		nsx router "$IP" link set r0 up
		nsx router "$IP" link set r1 mtu "$NAT_MTU" up
		nsx outside "$IP" addr add "$SRV4/24" dev eth0
		nsx outside "$IP" addr add "$SRV6/64" dev eth0 nodad
		nsx outside "$IP" link set eth0 mtu "$NAT_MTU" up
		nsx outside "$IP" route add default via 198.51.100.254
		nsx outside "$IP" -6 route add default via 2001:db8:100::fe
		nsx hostA "$IP" route add default via "$RTR4" dev up0
		nsx hostA "$IP" -6 route add default via "$RTR6" dev up0
		# every error counted: no rate limit on the router's ICMP
		nsx router sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 >/dev/null
	fi
	nsx outside sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 >/dev/null
	# the server answers nothing for the pods: no route there
	local far=outside
	[ $router = yes ] && far=router
	check_fails "$far has no route to the pods" nsx $far "$IP" route get 10.244.1.11
	check_fails "$far has no route to the pods (IPv6)" nsx $far "$IP" -6 route get fd00:244:0:1::11
}

# nat_on HOST [ARGS...]: `twill nat set twill0 masquerade CLUSTER exclude
# CLUSTER ARGS...` (the usual pod masquerade).
nat_on() {
	local h=$1
	shift
	check_ok "$h: twill nat set twill0 masquerade $CLUSTER exclude $CLUSTER $*" \
		nsx "$h" "$TWILL" nat set twill0 masquerade "$CLUSTER" exclude "$CLUSTER" "$@"
}

# ------------------------------------------------------------- NAT state

# nat_flat HOST [DEV]: `twill -j nat show DEV` flattened (json_flat).
nat_flat() {
	local out
	out=$(nsx "$1" "$TWILL" -j nat show "${2:-twill0}") || t_fail "$1: twill -j nat show ${2:-twill0} failed"
	printf '%s\n' "$out" | json_flat
}

# nat_snap HOST [DEV]: NAT_SNAP = the flattened settings and counters now.
nat_snap() {
	NAT_SNAP=$(nat_flat "$@") || exit 1
}

# snap_get KEY [SNAP]: one value (KEY a flattened path: num_flows,
# stats|tx_packets, masquerade|0 ...) of NAT_SNAP or SNAP.  A key that is
# not there fails the scenario: a renamed counter must never read as 0.
snap_get() {
	local v
	v=$(flat_get "${2-$NAT_SNAP}" "$1")
	[ -n "$v" ] || t_fail "no '$1' in twill -j nat show:
$(printf '%s\n' "${2-$NAT_SNAP}" | sed 's/^/   | /')"
	echo "$v"
}

# nat_get HOST KEY [DEV]: one value, read now.
nat_get() {
	local f
	f=$(nat_flat "$1" "${3:-twill0}") || exit 1
	snap_get "$2" "$f"
}

# nat_stat HOST NAME: one counter (stats|NAME), read now.
nat_stat() { nat_get "$1" "stats|$2"; }

NAT_STATS="tx_packets rx_packets icmp_errors flows_created flows_expired drop_full drop_no_port drop_no_addr drop_bad drop_nomem"

# nat_vars PREFIX [SNAP]: shell variables PREFIXNAME for every counter
# and num_flows of NAT_SNAP (or SNAP), in one pass (processes are costly
# on a debug kernel); a counter missing from it fails the scenario.
nat_vars() {
	local v s
	v=$(printf '%s\n' "${2-$NAT_SNAP}" | awk -v p="$1" '{
		eq = index($0, "=")
		k = substr($0, 1, eq - 1)
		sub(/^0\|/, "", k)
		if (k ~ /^stats\|[a-z_]+$/) { sub(/^stats\|/, "", k); print p k "=" substr($0, eq + 1) }
		else if (k == "num_flows") print p k "=" substr($0, eq + 1)
	}') || t_fail "awk"
	for s in $NAT_STATS num_flows; do
		case $v in
		*"$1$s="[0-9]*) ;;
		*) t_fail "no '$s' in twill -j nat show:
$(printf '%s\n' "${2-$NAT_SNAP}" | sed 's/^/   | /')" ;;
		esac
	done
	eval "$v"
}

# nat_mark HOST: remember every counter (NAT_MARK_*) and num_flows.
nat_mark() {
	nat_snap "$1"
	nat_vars NAT_MARK_
}

# nat_expect HOST WHAT NAME=DELTA...: the counters moved by exactly these
# amounts since nat_mark, and every other counter by 0 (drops included),
# but flows_expired (time passes) unless given.  NAME=+ means "moved" (by
# at least 1), NAME=* "any".  Leaves NAT_SNAP at the new reading and the
# counters in NAT_NOW_*.
nat_expect() {
	local h=$1 what=$2 s kv want now before d summary=
	shift 2
	nat_snap "$h"
	nat_vars NAT_NOW_
	for s in $NAT_STATS; do
		want=0
		[ "$s" = flows_expired ] && want='*'
		for kv in "$@"; do
			[ "${kv%%=*}" = "$s" ] && want=${kv#*=}
		done
		eval "now=\$NAT_NOW_$s before=\$NAT_MARK_$s"
		d=$((now - before))
		case $want in
		'*') ;;
		+) [ "$d" -gt 0 ] || t_fail "$what: $s did not move ($before -> $now)" ;;
		*) [ "$d" -eq "$want" ] || t_fail "$what: $s moved by $d, expected $want ($before -> $now)" ;;
		esac
		[ "$d" = 0 ] || summary="$summary $s+$d"
	done
	info "ok: $what: counters moved as expected:${summary:- none}"
}

# nat_off_check HOST: NAT is off on twill0 (twill -j nat show says so).
nat_is_off() {
	local f
	f=$(nat_flat "$1") || exit 1
	check_eq "$(snap_get nat "$f")" false "$1: nat off"
}

# nat_flows HOST [DEV]: the flow table, one line per flow:
#   PROTO OSRC OSPORT ODST ODPORT RSRC RSPORT RDST RDPORT STATE TIMEOUT_MS
# from `twill -j nat flows` (PROTO icmp for ICMP and ICMPv6).  A flow
# lacking one of these keys fails the scenario.  For small tables (the
# JSON goes through json_flat); nat_flows_text for thousands.
nat_flows() {
	local out
	out=$(nsx "$1" "$TWILL" -j nat flows "${2:-twill0}") || t_fail "$1: twill -j nat flows failed"
	printf '%s\n' "$out" | json_flat | awk '
	{
		eq = index($0, "=")
		path = substr($0, 1, eq - 1)
		val = substr($0, eq + 1)
		np = split(path, p, "|")
		if (p[1] !~ /^[0-9]+$/) next
		i = p[1] + 0
		k = p[2]
		if (np > 2) k = k "." p[3]
		v[i, k] = val
		if (i + 1 > n) n = i + 1
	}
	END {
		nk = split("proto orig.src orig.sport orig.dst orig.dport reply.src reply.sport reply.dst reply.dport state timeout_ms", keys, " ")
		for (i = 0; i < n; i++) {
			line = ""
			for (j = 1; j <= nk; j++) {
				if (!((i, keys[j]) in v)) {
					printf "flow %d has no \"%s\"\n", i, keys[j] > "/dev/stderr"
					bad = 1
					continue
				}
				x = v[i, keys[j]]
				if (j == 1 && x ~ /icmp/) x = "icmp"
				line = line (j > 1 ? " " : "") x
			}
			print line
		}
		exit bad
	}' || t_fail "$1: twill -j nat flows: a flow lacks a key"
}

# ep ADDR [PORT]: an endpoint as `twill nat flows` prints it: ADDR:PORT,
# [ADDR]:PORT for IPv6 (without PORT: up to the colon).
ep() {
	case $1 in
	*:*) echo "[$1]:${2:-}" ;;
	*) echo "$1:${2:-}" ;;
	esac
}

# nat_flows_text HOST: `twill nat flows twill0` (one line per flow).
nat_flows_text() {
	nsx "$1" "$TWILL" nat flows "${2:-twill0}" || t_fail "$1: twill nat flows failed"
}

# ---------------------------------------------------------------- services

# svc_flat: `twill -j service show twill0` on hostA, flattened.
svc_flat() {
	local out
	out=$(nsx hostA "$TWILL" -j service show twill0) || t_fail "twill -j service show failed"
	printf '%s\n' "$out" | json_flat
}

# svc_stat NAME: one counter of hostA's services, read now.
svc_stat() {
	local v
	v=$(flat_get "$(svc_flat)" "stats|$1")
	[ -n "$v" ] || t_fail "no 'stats|$1' in twill -j service show"
	echo "$v"
}

# purged_wait P0 MIN: the increase of flows_purged over P0 once it is at
# least MIN (at most 20 s): a change's purge runs after its ack, and
# counts once its walk is done.
purged_wait() {
	local p0=$1 min=$2 n=100 v
	while :; do
		v=$(svc_stat flows_purged)
		[ $((v - p0)) -ge "$min" ] && break
		n=$((n - 1))
		[ "$n" -gt 0 ] || break
		sleep 0.2
	done
	echo $((v - p0))
}

# ---------------------------------------------------------------- servers

# srv_start NS PORTS [ARGS]: flowtool serve in NS (TCP and UDP on PORTS,
# e.g. 7,8080); SRV_LOG is its log ("tcp ADDR PORT" / "udp ADDR PORT" per
# connection / datagram, as the server sees the peer), SRV_PID its pid.
srv_start() {
	local ns=$1 ports=$2
	shift 2
	SRV_LOG=$TOPO_TMP/srv.$ns.$(echo "$ports" | tr ',' '_').log
	bg_in "$ns" "$FLOWTOOL" serve "$@" "$ports" >"$SRV_LOG" 2>&1
	SRV_PID=$BG_PID
	topo_wait 20 grep -q '^listening' "$SRV_LOG" || t_fail "flowtool serve in $ns did not start"
}

CONN_SEQ=0
# conn_start NS N DST PORT [ARGS]: `flowtool connect -n N -H ARGS DST PORT`
# in NS in the background: CONN_LOG is its output (with "local PORT"
# lines for -v), CONN_PID its pid: the connections stay open until
# `bg_stop $CONN_PID` (at most 300 s).
conn_start() {
	local ns=$1 n=$2 dst=$3 port=$4
	shift 4
	CONN_SEQ=$((CONN_SEQ + 1))
	CONN_LOG=$TOPO_TMP/conn.$CONN_SEQ.log
	bg_in "$ns" "$FLOWTOOL" connect -v -t 300 -H -n "$n" "$@" "$dst" "$port" >"$CONN_LOG" 2>&1
	CONN_PID=$BG_PID
	echo "$CONN_PID" >"$CONN_LOG.pid"
}

# alive PID: the process is there and not a zombie (dash reaps its
# children only when it waits for them).
alive() {
	[ -r "/proc/$1/stat" ] && ! awk '{ exit $3 != "Z" }' "/proc/$1/stat" 2>/dev/null
}

# conn_result LOG PID: the summary is there, or flowtool ended without one.
conn_result() {
	grep -q '^ok=' "$1" || ! alive "$2"
}

# conn_wait LOG: until its every attempt has ended; CONN_OUT = the summary
# ("ok=N fail=M"), CONN_OK and CONN_FAIL the numbers.  A flowtool that
# ends without a summary (a failed bind) fails the scenario at once.
conn_wait() {
	topo_wait 300 conn_result "$1" "$(cat "$1.pid")" || t_fail "flowtool connect: no result in 300 s: $(cat "$1")"
	grep -q '^ok=' "$1" || t_fail "flowtool connect ended without a result: $(cat "$1")"
	CONN_OUT=$(grep '^ok=' "$1")
	CONN_OK=$(echo "$CONN_OUT" | sed -n 's/^ok=\([0-9]*\) fail=.*/\1/p')
	CONN_FAIL=$(echo "$CONN_OUT" | sed -n 's/^ok=[0-9]* fail=\([0-9]*\)$/\1/p')
	# what the failures were, for the log of a failing check
	[ "$CONN_FAIL" = 0 ] || grep '^fail ' "$1" | sort | uniq -c | sort -rn | head -5 | sed 's/^/       | /'
}

# conn_hold NS N DST PORT [ARGS]: conn_start and conn_wait.
conn_hold() {
	conn_start "$@"
	conn_wait "$CONN_LOG"
}

# log_lines FILE: its number of lines (0 when absent).
log_lines() {
	if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi
}

# log_since FILE N: its lines after line N.
log_since() {
	tail -n "+$(($2 + 1))" "$1"
}

# bg_stop PID: stop a background helper (SIGTERM) and reap it.
bg_stop() {
	kill "$1" 2>/dev/null || :
	wait "$1" 2>/dev/null || :
}

# ------------------------------------------------------------ kernel log

# klog_clean: nothing in the kernel log since this scenario began (the
# guest-suite's BEGIN mark, else the whole log) that reports a bug.  The
# lane checks the whole log at the end too; this names the step.
klog_clean() {
	local log bad
	log=$(dmesg 2>/dev/null) || return 0
	if printf '%s\n' "$log" | grep -q "twill-test: BEGIN $TW_NAME\$"; then
		log=$(printf '%s\n' "$log" | sed -n "/twill-test: BEGIN $TW_NAME\$/,\$p")
	fi
	bad=$(printf '%s\n' "$log" | grep -E 'BUG:|WARNING:|Oops|Call Trace|KASAN|UBSAN|unreferenced object|refcount_t|general protection' || :)
	[ -z "$bad" ] || t_fail "kernel log ${1:+($1)}:
$bad"
	info "ok: kernel log clean${1:+ ($1)}"
}

# scaled DEFAULT DEBUG_DEFAULT: DEFAULT, or DEBUG_DEFAULT on a debug kernel.
scaled() {
	case ${TWILL_KERNEL:-} in
	*-debug) echo "$2" ;;
	*) echo "$1" ;;
	esac
}
