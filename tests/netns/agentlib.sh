# shellcheck shell=dash
# Helpers of the twilld scenarios (tests/netns/agent-*.sh): one etcd (Debian's
# etcd-server) on hostS (192.0.2.99), agents on the other hosts, pods behind
# them in the subnets the agents leased.  Source after lib.sh and topo.sh.
#
#   ETCD          etcd's client URL (https:// when ETCD_TLS is set)
#   ETCD_TLS      etcdctl's TLS flags (--cacert ... --cert ... --key ...)
#   AGENT_ARGS    more twilld flags for every agent (endpoints, TLS, TTL)

command -v etcd >/dev/null 2>&1 || skip "no etcd (Debian etcd-server)"
command -v twilld >/dev/null 2>&1 || skip "no twilld"

ETCD=${ETCD:-http://192.0.2.99:2379}
ETCD_TLS=${ETCD_TLS:-}
AGENT_ARGS=${AGENT_ARGS:-}
P=/coreos.com/network
export ETCDCTL_API=3

# ctl ARGS: etcdctl on hostS
ctl() {
	# shellcheck disable=SC2086 # ETCD_TLS is a list of flags
	nsx hostS etcdctl --endpoints "$ETCD" --dial-timeout 5s $ETCD_TLS "$@"
}

# etcd_start [ETCD ARGS]: etcd on hostS (data kept across restarts); ETCD_PID
etcd_start() {
	mkdir -p "$TW_TMP/etcd"
	bg_in hostS etcd --name t --data-dir "$TW_TMP/etcd/data" \
		--listen-client-urls "$ETCD" --advertise-client-urls "$ETCD" \
		--listen-peer-urls http://127.0.0.1:2380 \
		--initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster t=http://127.0.0.1:2380 "$@" >>"$TW_TMP/etcd/log" 2>&1
	ETCD_PID=$BG_PID
	topo_wait 60 ctl endpoint health || {
		tail -n 20 "$TW_TMP/etcd/log"
		t_fail "etcd did not come up"
	}
}

etcd_stop() {
	kill "$ETCD_PID"
	wait "$ETCD_PID" 2>/dev/null || :
}

# agent HOST [ARGS]: twilld in HOST in the background, its log in
# $TW_TMP/HOST/log; PID_HOST
agent() {
	local h=$1
	shift
	mkdir -p "$TW_TMP/$h"
	# shellcheck disable=SC2086 # AGENT_ARGS is a list of flags
	bg_in "$h" twilld --etcd-endpoints "$ETCD" --public-ip "$(ul4 "$h")" \
		--subnet-file "$TW_TMP/$h/subnet.env" --state-file "$TW_TMP/$h/state" \
		--log-level debug $AGENT_ARGS "$@" >>"$TW_TMP/$h/log" 2>&1
	eval "PID_$h=\$BG_PID"
}

running() { kill -0 "$1" 2>/dev/null; }
# peers HOST: how many peers its twill0 has
peers() { nsx "$1" twill showconf twill0 2>/dev/null | grep -c '^\[Peer\]' || :; }
has_peers() { [ "$(peers "$1")" = "$2" ]; }
# subnet_of HOST: FLANNEL_SUBNET of its subnet.env (10.244.3.1/24)
subnet_of() { sed -n 's/^FLANNEL_SUBNET=//p' "$TW_TMP/$1/subnet.env"; }
# subnet6_of HOST: FLANNEL_IPV6_SUBNET (fd00:244:3::1/64), empty without
subnet6_of() { sed -n 's/^FLANNEL_IPV6_SUBNET=//p' "$TW_TMP/$1/subnet.env"; }
# lease_key HOST: the etcd key of its lease (dual-stack: "...-24&fd00:...-64")
lease_key() {
	local v6
	v6=$(subnet6_of "$1" | sed 's/::1\//::-/')
	echo "$P/subnets/$(subnet_of "$1" | sed 's/\.1\//.0-/')${v6:+&$v6}"
}
# leases: how many subnet leases etcd holds
leases() { ctl get --prefix --keys-only "$P/subnets/" | grep -c . || :; }

# wait_subnet HOST: until its agent wrote subnet.env
wait_subnet() {
	topo_wait 90 test -s "$TW_TMP/$1/subnet.env" || t_fail "$1 wrote no subnet.env"
	info "$1: $(subnet_of "$1")"
}

# wait_peers HOST N: until its twill0 has N peers
wait_peers() {
	topo_wait "${3:-60}" has_peers "$1" "$2" || t_fail "$1 has $(peers "$1") peers, not $2"
}

# pod_add HOST: namespace podHOST behind HOST in its subnet (.10, default
# via .1 on HOST's veth "pod"); POD_HOST is its address.  With an IPv6
# subnet too: ::10, default via ::1; POD6_HOST
pod_add() {
	local h=$1 sub gw sub6 gw6
	sub=$(subnet_of "$h")
	sub6=$(subnet6_of "$h")
	gw=${sub%/*}
	topo_ns_add "pod$h"
	"$IP" link add pod netns "$h" type veth peer name eth0 netns "pod$h" ||
		t_fail "veth $h <-> pod$h"
	nsx "$h" "$IP" addr add "$sub" dev pod
	nsx "$h" "$IP" link set pod up
	nsx "pod$h" "$IP" addr add "${gw%.1}.10/24" dev eth0
	nsx "pod$h" "$IP" link set eth0 up
	nsx "pod$h" "$IP" route add default via "$gw"
	eval "POD_$h=${gw%.1}.10"
	[ -n "$sub6" ] || return 0
	gw6=${sub6%/*}
	nsx "$h" "$IP" addr add "$sub6" dev pod nodad
	nsx "pod$h" "$IP" addr add "${gw6%::1}::10/64" dev eth0 nodad
	nsx "pod$h" "$IP" -6 route add default via "$gw6"
	eval "POD6_$h=${gw6%::1}::10"
}

# On a failure: every agent's log and table, and what etcd holds.
agent_dump() {
	local h
	[ "${AGENT_PASSED:-0}" = 1 ] && return
	for h in hostA hostB hostC; do
		[ -f "$TW_TMP/$h/log" ] || continue
		echo "--- $h"
		sed 's/^/   /' "$TW_TMP/$h/log"
		nsx "$h" twill showconf twill0 2>&1 | sed 's/^/   /'
	done
	ctl get --prefix "$P/" 2>&1 | sed 's/^/   /'
}
on_cleanup agent_dump
