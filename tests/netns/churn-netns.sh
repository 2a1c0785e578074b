#!/bin/sh
# Namespace churn: host namespaces holding live twill devices are deleted
# while traffic flows through them.  Each round builds
#   podA -- hostA (twill0) == underlay veth == hostB (twill0) -- podB
# (IPv4 and IPv6 inside), starts pings both ways (one of them with large
# packets), then deletes the host namespaces -- both at once, B first with
# A still sending into the dead underlay, or A first -- while the pods keep
# sending; then the pods.  At the end no namespace of ours is left, no
# twill device is in the initial namespace, and the module unloads and
# loads again (an unregister that waits for a
# leaked reference would hang rmmod; the kernel log check catches the
# "waiting for ... to become free" messages and any report).
#
# Environment: TWILL_CHURN_ROUNDS (default 10).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

ROUNDS=${TWILL_CHURN_ROUNDS:-10}
KO=/lib/modules/$(uname -r)/extra/twill.ko

# ns_quick NS: a namespace of ours (forwarding on, no rp_filter, no DAD)
ns_quick() {
	"$IP" netns add "$1" || t_fail "ip netns add $1"
	TOPO_NAMESPACES="$1 $TOPO_NAMESPACES"
}

# build R: namespaces cnA$R cnB$R (hosts) cnpA$R cnpB$R (pods), set up
# with one `ip -batch` each (the machine is slow; processes are costly).
build() {
	local r=$1 a=cnA$1 b=cnB$1 pa=cnpA$1 pb=cnpB$1 ns me peer mine
	for ns in $a $b $pa $pb; do
		ns_quick "$ns"
	done
	printf '%s\n' \
		"link add ul0 netns $a type veth peer name ul0 netns $b" \
		"link add pod netns $a type veth peer name eth0 netns $pa" \
		"link add pod netns $b type veth peer name eth0 netns $pb" >"$TOPO_TMP/veth"
	"$IP" -batch "$TOPO_TMP/veth" || t_fail "round $r: veths"
	for ns in $a $b; do
		if [ "$ns" = "$a" ]; then me=1 peer=2; else me=2 peer=1; fi
		printf '%s\n' \
			"link set lo up" \
			"addr add 192.168.$r.$me/24 dev ul0" \
			"addr add 10.$r.$me.1/24 dev pod" \
			"addr add fd00:$r:$me::1/64 dev pod nodad" \
			"link set ul0 up" "link set pod up" \
			"link add twill0 type twill" "link set twill0 up" \
			"route add 10.$r.$peer.0/24 dev twill0" \
			"route add fd00:$r:$peer::/64 dev twill0" >"$TOPO_TMP/host"
		"$IP" -n "$ns" -batch "$TOPO_TMP/host" || t_fail "round $r: setting up $ns"
		nsx "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
			net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 ||
			t_fail "round $r: sysctl in $ns"
		nsx "$ns" "$TWILL" set twill0 peer "192.168.$r.$peer" \
			prefixes "10.$r.$peer.0/24,fd00:$r:$peer::/64" >/dev/null ||
			t_fail "round $r: twill set in $ns"
	done
	for ns in $pa $pb; do
		if [ "$ns" = "$pa" ]; then mine=1; else mine=2; fi
		printf '%s\n' \
			"link set lo up" \
			"addr add 10.$r.$mine.2/24 dev eth0" \
			"addr add fd00:$r:$mine::2/64 dev eth0 nodad" \
			"link set eth0 up" \
			"route add default via 10.$r.$mine.1" \
			"route add ::/0 via fd00:$r:$mine::1" >"$TOPO_TMP/pod"
		"$IP" -n "$ns" -batch "$TOPO_TMP/pod" || t_fail "round $r: setting up $ns"
	done
}

rx_over() { # NS N: twill0 in NS received more than N packets
	[ "$(nsx_sys "$1" cat /sys/class/net/twill0/statistics/rx_packets)" -gt "$2" ]
}

gone() { # NS...: delete and forget
	local ns
	for ns in "$@"; do
		"$IP" netns del "$ns" || t_fail "ip netns del $ns"
		topo_ns_forget "$ns"
	done
}

step "$ROUNDS rounds (TWILL_CHURN_ROUNDS=${TWILL_CHURN_ROUNDS:-}): delete host namespaces with live twill devices and flows"
t0=$(date +%s)
r=1
while [ "$r" -le "$ROUNDS" ]; do
	build "$r"
	pids=""
	bg_in "cnpA$r" "$PING" -q -i 0.02 "10.$r.2.2" >/dev/null 2>&1
	pids="$pids $BG_PID"
	bg_in "cnpB$r" "$PING" -q -i 0.02 -s 1300 "10.$r.1.2" >/dev/null 2>&1
	pids="$pids $BG_PID"
	bg_in "cnpA$r" "$PING" -q -i 0.02 "fd00:$r:2::2" >/dev/null 2>&1
	pids="$pids $BG_PID"
	topo_wait 10 rx_over "cnB$r" 20 || t_fail "round $r: no traffic through twill0 in cnB$r"
	topo_wait 10 rx_over "cnA$r" 20 || t_fail "round $r: no traffic through twill0 in cnA$r"
	rx=$(nsx_sys "cnB$r" cat /sys/class/net/twill0/statistics/rx_packets)
	case $((r % 3)) in
	0)
		info "round $r: hostA and hostB deleted at once ($rx packets so far)"
		"$IP" netns del "cnA$r" &
		d1=$!
		"$IP" netns del "cnB$r" &
		wait "$d1" || t_fail "ip netns del cnA$r"
		wait "$!" || t_fail "ip netns del cnB$r"
		sleep 0.2
		topo_ns_forget "cnA$r"
		topo_ns_forget "cnB$r"
		;;
	1)
		info "round $r: hostB deleted, hostA keeps sending, then hostA ($rx packets so far)"
		gone "cnB$r"
		sleep 0.5
		gone "cnA$r"
		;;
	*)
		info "round $r: hostA deleted, hostB keeps sending, then hostB ($rx packets so far)"
		gone "cnA$r"
		sleep 0.5
		gone "cnB$r"
		;;
	esac
	sleep 0.2
	for p in $pids; do
		kill "$p" 2>/dev/null || :
	done
	for p in $pids; do
		wait "$p" 2>/dev/null || :
	done
	gone "cnpA$r" "cnpB$r"
	r=$((r + 1))
done
info "rounds took $(($(date +%s) - t0))s"

step "nothing left behind"
left=$("$IP" netns list | grep -c '^cn' || :)
check_eq "$left" 0 "namespaces of ours left"
check_eq "$("$IP" -o link show type twill | wc -l)" 0 "twill devices in the initial namespace"

step "the module unloads (no device waits for a leaked reference) and loads again"
timeout 120 rmmod twill || t_fail "rmmod twill failed or hung after the namespace churn"
! module_loaded || t_fail "twill still loaded"
insmod "$KO" selftest=0 || t_fail "insmod twill.ko"
nsx_ok=$("$IP" link add twchk type twill && "$IP" link del twchk && echo ok)
check_eq "$nsx_ok" ok "a device can be made after the reload"
echo "PASS: churn-netns ($ROUNDS rounds)"
