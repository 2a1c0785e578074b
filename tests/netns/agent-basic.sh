#!/bin/sh
# shellcheck shell=dash
# twilld with a real etcd (Debian's etcd-server) in the guest: three hosts
# and the etcd host on one bridge.  The agents claim a subnet each from the
# network config, create and configure twill0, and learn each other's
# leases: pods ping across all pairs.  An agent killed with SIGKILL: its
# lease expires and the other hosts drop it; restarted, it gets the same
# subnet back and the others learn it again.  SIGTERM: exit 0, table kept.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

command -v etcd >/dev/null 2>&1 || skip "no etcd (Debian etcd-server)"
command -v twilld >/dev/null 2>&1 || skip "no twilld"

ETCD=http://192.0.2.99:2379
TTL=6
HOSTS="hostA hostB hostC"
export ETCDCTL_API=3

ctl() { nsx hostS etcdctl --endpoints "$ETCD" --dial-timeout 5s "$@"; }

step "underlay: hostA hostB hostC and the etcd host hostS on one bridge"
topo_hosts hostA hostB hostC hostS

step "etcd on hostS"
mkdir -p "$TW_TMP/etcd"
bg_in hostS etcd --name t --data-dir "$TW_TMP/etcd/data" \
	--listen-client-urls "$ETCD" --advertise-client-urls "$ETCD" \
	--listen-peer-urls http://127.0.0.1:2380 \
	--initial-advertise-peer-urls http://127.0.0.1:2380 \
	--initial-cluster t=http://127.0.0.1:2380 >"$TW_TMP/etcd/log" 2>&1
topo_wait 60 ctl endpoint health || {
	tail -n 20 "$TW_TMP/etcd/log"
	t_fail "etcd did not come up"
}
ctl put /coreos.com/network/config \
	'{"Network": "10.244.0.0/16", "SubnetLen": 24, "Backend": {"Type": "vxlan", "VNI": 1, "Port": 8472}}' >/dev/null

# agent HOST: starts twilld in HOST; sets AGENT_PID
agent() {
	local h=$1
	mkdir -p "$TW_TMP/$h"
	bg_in "$h" twilld --etcd-endpoints "$ETCD" --public-ip "$(ul4 "$h")" \
		--subnet-file "$TW_TMP/$h/subnet.env" \
		--state-file "$TW_TMP/$h/state" --subnet-lease-ttl "$TTL" \
		--log-level debug >>"$TW_TMP/$h/log" 2>&1
	eval "PID_$h=\$BG_PID"
}

peers() { # HOST: how many peers its twill0 has
	nsx "$1" twill showconf twill0 | grep -c '^\[Peer\]' || :
}

has_peers() { [ "$(peers "$1")" = "$2" ]; }

subnet_of() { # HOST: FLANNEL_SUBNET of its subnet.env
	sed -n 's/^FLANNEL_SUBNET=//p' "$TW_TMP/$1/subnet.env"
}

dump_logs() {
	local h
	for h in $HOSTS; do
		echo "--- $h"
		sed 's/^/   /' "$TW_TMP/$h/log"
		nsx "$h" twill showconf twill0 2>&1 | sed 's/^/   /'
	done
	ctl get --prefix /coreos.com/network/subnets/ | sed 's/^/   /'
}
on_cleanup dump_logs_on_fail
dump_logs_on_fail() { [ "${PASSED:-0}" = 1 ] || dump_logs; }

step "agents start and claim subnets"
for h in $HOSTS; do
	agent "$h"
done
for h in $HOSTS; do
	topo_wait 60 test -s "$TW_TMP/$h/subnet.env" || t_fail "$h wrote no subnet.env"
	info "$h: $(tr '\n' ' ' <"$TW_TMP/$h/subnet.env")"
	check_contains "$(cat "$TW_TMP/$h/subnet.env")" "FLANNEL_NETWORK=10.244.0.0/16" "$h subnet.env"
done
check_eq "$(for h in $HOSTS; do subnet_of "$h"; done | sort -u | wc -l)" 3 "three different subnets"
check_eq "$(ctl get --prefix --keys-only /coreos.com/network/subnets/ | grep -c .)" 3 "three leases in etcd"

step "the leases read as flannel leases"
lease=$(ctl get --print-value-only "/coreos.com/network/subnets/$(subnet_of hostA | sed 's/\.1\//.0-/')")
check_contains "$lease" '"PublicIP":"192.0.2.1"' "hostA lease PublicIP"
check_contains "$lease" '"BackendType":"vxlan"' "hostA lease BackendType"
check_contains "$lease" '"VtepMAC":"' "hostA lease VtepMAC"

step "every host learns the two others"
for h in $HOSTS; do
	topo_wait 60 has_peers "$h" 2 || t_fail "$h has $(peers "$h") peers, not 2"
done
info "ok: two peers on every host"

step "pods on every host, ping across all pairs"
for h in $HOSTS; do
	sub=$(subnet_of "$h")
	gw=${sub%/*}
	pod=${gw%.1}.10
	topo_ns_add "pod$h"
	"$IP" link add pod netns "$h" type veth peer name eth0 netns "pod$h"
	nsx "$h" "$IP" addr add "$sub" dev pod
	nsx "$h" "$IP" link set pod up
	nsx "pod$h" "$IP" addr add "$pod/24" dev eth0
	nsx "pod$h" "$IP" link set eth0 up
	nsx "pod$h" "$IP" route add default via "$gw"
	eval "POD_$h=$pod"
done
for a in $HOSTS; do
	for b in $HOSTS; do
		[ "$a" = "$b" ] && continue
		eval "dst=\$POD_$b"
		check_ok "pod$a -> pod$b ($dst)" nsx "pod$a" ping -c 1 -W 5 "$dst"
	done
done

step "hostC's agent is killed: its lease expires, the others drop it"
subC=$(subnet_of hostC)
kill -9 "$PID_hostC"
wait "$PID_hostC" 2>/dev/null || :
topo_wait $((TTL * 6)) has_peers hostA 1 || t_fail "hostA still has $(peers hostA) peers"
topo_wait 20 has_peers hostB 1 || t_fail "hostB still has $(peers hostB) peers"
info "ok: hostA and hostB dropped hostC"
check_eq "$(ctl get --prefix --keys-only /coreos.com/network/subnets/ | grep -c .)" 2 "two leases left"
check_eq "$(peers hostC)" 2 "hostC's table kept without its agent"

step "hostC's agent restarts: the same subnet, learned again"
rm -f "$TW_TMP/hostC/subnet.env"
agent hostC
topo_wait 60 test -s "$TW_TMP/hostC/subnet.env" || t_fail "hostC wrote no subnet.env"
check_eq "$(subnet_of hostC)" "$subC" "hostC's subnet after a restart"
for h in hostA hostB; do
	topo_wait 60 has_peers "$h" 2 || t_fail "$h has $(peers "$h") peers, not 2"
done
check_ok "podhostA -> podhostC again" nsx podhostA ping -c 1 -W 5 "$POD_hostC"

step "SIGTERM: exit 0, the table stays"
kill -TERM "$PID_hostA"
rc=0
wait "$PID_hostA" || rc=$?
check_eq "$rc" 0 "twilld exit status on SIGTERM"
check_eq "$(peers hostA)" 2 "hostA keeps its peers"
check_contains "$(cat "$TW_TMP/hostA/log")" "stopped" "hostA's agent says it stopped"

PASSED=1
echo "PASS: agent-basic"
