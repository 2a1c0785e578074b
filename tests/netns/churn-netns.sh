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

# build R: namespaces a$R b$R (hosts) pa$R pb$R (pods)
build() {
	local r=$1 a=cnA$1 b=cnB$1 pa=cnpA$1 pb=cnpB$1
	for ns in $a $b $pa $pb; do
		topo_ns_add "$ns"
	done
	"$IP" link add ul0 netns "$a" type veth peer name ul0 netns "$b" || t_fail "round $r: underlay veth"
	"$IP" link add pod netns "$a" type veth peer name eth0 netns "$pa" || t_fail "round $r: pod veth A"
	"$IP" link add pod netns "$b" type veth peer name eth0 netns "$pb" || t_fail "round $r: pod veth B"
	nsx "$a" "$IP" addr add "192.168.$r.1/24" dev ul0
	nsx "$b" "$IP" addr add "192.168.$r.2/24" dev ul0
	nsx "$a" "$IP" addr add "10.$r.1.1/24" dev pod
	nsx "$a" "$IP" addr add "fd00:$r:1::1/64" dev pod nodad
	nsx "$b" "$IP" addr add "10.$r.2.1/24" dev pod
	nsx "$b" "$IP" addr add "fd00:$r:2::1/64" dev pod nodad
	nsx "$pa" "$IP" addr add "10.$r.1.2/24" dev eth0
	nsx "$pa" "$IP" addr add "fd00:$r:1::2/64" dev eth0 nodad
	nsx "$pb" "$IP" addr add "10.$r.2.2/24" dev eth0
	nsx "$pb" "$IP" addr add "fd00:$r:2::2/64" dev eth0 nodad
	for ns in $a $b; do
		nsx "$ns" "$IP" link set ul0 up
		nsx "$ns" "$IP" link set pod up
		nsx "$ns" "$IP" link add twill0 type twill || t_fail "round $r: twill0 in $ns"
		nsx "$ns" "$IP" link set twill0 up
	done
	for ns in $pa $pb; do
		nsx "$ns" "$IP" link set eth0 up
	done
	nsx "$pa" "$IP" route add default via "10.$r.1.1"
	nsx "$pa" "$IP" -6 route add default via "fd00:$r:1::1"
	nsx "$pb" "$IP" route add default via "10.$r.2.1"
	nsx "$pb" "$IP" -6 route add default via "fd00:$r:2::1"
	nsx "$a" "$TWILL" set twill0 peer "192.168.$r.2" prefixes "10.$r.2.0/24,fd00:$r:2::/64" ||
		t_fail "round $r: twill set in A"
	nsx "$b" "$TWILL" set twill0 peer "192.168.$r.1" prefixes "10.$r.1.0/24,fd00:$r:1::/64" ||
		t_fail "round $r: twill set in B"
	nsx "$a" "$IP" route add "10.$r.2.0/24" dev twill0
	nsx "$a" "$IP" -6 route add "fd00:$r:2::/64" dev twill0
	nsx "$b" "$IP" route add "10.$r.1.0/24" dev twill0
	nsx "$b" "$IP" -6 route add "fd00:$r:1::/64" dev twill0
}

gone() { # NS...: delete and forget
	local ns
	for ns in "$@"; do
		"$IP" netns del "$ns" || t_fail "ip netns del $ns"
		topo_ns_forget "$ns"
	done
}

step "$ROUNDS rounds: delete host namespaces with live twill devices and flows"
t0=$(date +%s)
r=1
while [ "$r" -le "$ROUNDS" ]; do
	build "$r"
	ping_ok "cnpA$r" "10.$r.2.2" 2
	ping_ok "cnpB$r" "fd00:$r:1::2" 2
	pids=""
	bg_in "cnpA$r" "$PING" -q -i 0.02 "10.$r.2.2" >/dev/null 2>&1
	pids="$pids $BG_PID"
	bg_in "cnpB$r" "$PING" -q -i 0.02 -s 1300 "10.$r.1.2" >/dev/null 2>&1
	pids="$pids $BG_PID"
	bg_in "cnpA$r" "$PING" -q -i 0.02 "fd00:$r:2::2" >/dev/null 2>&1
	pids="$pids $BG_PID"
	sleep 1
	rx=$(nsx "cnB$r" cat /sys/class/net/twill0/statistics/rx_packets)
	[ "$rx" -gt 10 ] || t_fail "round $r: no traffic through twill0 ($rx packets)"
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
		sleep 1
		gone "cnA$r"
		;;
	*)
		info "round $r: hostA deleted, hostB keeps sending, then hostB ($rx packets so far)"
		gone "cnA$r"
		sleep 1
		gone "cnB$r"
		;;
	esac
	sleep 0.5
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
