#!/bin/sh
# shellcheck shell=dash
# twilld with a real etcd (Debian's etcd-server) in the guest: three hosts
# and the etcd host on one bridge.  The network is dual-stack (EnableIPv6):
# the agents claim an IPv4 and an IPv6 subnet each in one lease key, create
# and configure twill0, and learn each other's leases: pods ping across all
# pairs, over IPv4 and IPv6.  A dual-stack lease written by hand in
# flannel's format becomes a peer with both prefixes.  An agent killed with SIGKILL: its
# lease expires and the other hosts drop it; restarted, it gets the same
# subnet back and the others learn it again.  SIGTERM: exit 0, table kept.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/agentlib.sh"

TTL=6
HOSTS="hostA hostB hostC"
AGENT_ARGS="--subnet-lease-ttl $TTL"

step "underlay: hostA hostB hostC and the etcd host hostS on one bridge"
topo_hosts hostA hostB hostC hostS

step "etcd on hostS"
etcd_start
ctl put "$P/config" \
	'{"Network": "10.244.0.0/16", "SubnetLen": 24, "EnableIPv6": true, "IPv6Network": "fd00:244::/48", "Backend": {"Type": "vxlan", "VNI": 1, "Port": 8472, "DirectRouting": true}}' >/dev/null

step "agents start and claim subnets (hostA with --ip-masq)"
agent hostA --ip-masq
for h in $HOSTS; do
	[ "$h" = hostA ] || agent "$h"
done
for h in $HOSTS; do
	wait_subnet "$h"
	check_contains "$(cat "$TW_TMP/$h/subnet.env")" "FLANNEL_NETWORK=10.244.0.0/16" "$h subnet.env"
	check_contains "$(cat "$TW_TMP/$h/subnet.env")" "FLANNEL_IPV6_NETWORK=fd00:244::/48" "$h subnet.env (IPv6)"
	case $(subnet6_of "$h") in
	fd00:244:*::1/64) ;;
	*) t_fail "$h: FLANNEL_IPV6_SUBNET '$(subnet6_of "$h")' is not a /64 of fd00:244::/48" ;;
	esac
done
check_eq "$(for h in $HOSTS; do subnet_of "$h"; done | sort -u | wc -l)" 3 "three different subnets"
check_eq "$(for h in $HOSTS; do subnet6_of "$h"; done | sort -u | wc -l)" 3 "three different IPv6 subnets"
check_eq "$(leases)" 3 "three leases in etcd"
check_eq "$(ctl get --prefix --keys-only "$P/subnets/" | grep -c '&fd00:244:')" 3 "three dual-stack keys"
check_ok "hostA's lease at its dual-stack key" ctl get --print-value-only "$(lease_key hostA)"
check_contains "$CHECK_OUT" '"PublicIP":"192.0.2.1"' "the dual-stack key holds hostA's lease"

# --ip-masq on a dual-stack network: both families, as flanneld's
# iptables and ip6tables rules (set once the subnet is claimed: wait)
masq_set() { nsx hostA "$TWILL" showconf twill0 | grep -q '^Masquerade = '; }
topo_wait 20 masq_set
conf=$(nsx hostA "$TWILL" showconf twill0)
check_contains "$conf" "Masquerade = 10.244.0.0/16, fd00:244::/48" "--ip-masq: hostA masquerades both networks"
check_contains "$conf" "MasqueradeExclude = 10.244.0.0/16, fd00:244::/48" "--ip-masq: but not inside them"

step "the leases read as flannel leases"
lease=$(ctl get --print-value-only "$(lease_key hostA)")
check_contains "$lease" '"PublicIP":"192.0.2.1"' "hostA lease PublicIP"
check_contains "$lease" '"BackendType":"vxlan"' "hostA lease BackendType"
check_contains "$lease" '"VtepMAC":"' "hostA lease VtepMAC"

step "every host learns the two others"
for h in $HOSTS; do
	wait_peers "$h" 2
done
info "ok: two peers on every host"
# flannel's DirectRouting: the hosts share the underlay subnet, so their
# pods' packets below go without the tunnel
for h in $HOSTS; do
	check_eq "$(flat_get "$(twill_flat "$h")" direct)" auto "$h: Backend.DirectRouting makes twill0 direct auto"
done

step "pods on every host, ping across all pairs"
for h in $HOSTS; do
	pod_add "$h"
done
for a in $HOSTS; do
	for b in $HOSTS; do
		[ "$a" = "$b" ] && continue
		eval "dst=\$POD_$b"
		check_ok "pod$a -> pod$b ($dst)" nsx "pod$a" ping -c 1 -W 5 "$dst"
		eval "dst=\$POD6_$b"
		check_ok "pod$a -> pod$b over IPv6 ($dst)" nsx "pod$a" ping -6 -c 1 -W 5 "$dst"
	done
done

step "a dual-stack lease written by flannel becomes a peer with both prefixes"
fkey="$P/subnets/10.244.200.0-24&fd00:244:0:c8::-64"
ctl put "$fkey" '{"PublicIP":"192.0.2.77","PublicIPv6":"2001:db8::77","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"02:66:6c:00:00:77"},"BackendV6Data":{"VNI":1,"VtepMAC":"02:66:6c:00:06:77"}}' >/dev/null
wait_peers hostA 3
check_ok "hostA's table as JSON" nsx hostA twill show twill0 -j
check_contains "$CHECK_OUT" '{"endpoint":"192.0.2.77:8472","mac":"02:66:6c:00:00:77","prefixes":["10.244.200.0/24","fd00:244:0:c8::/64"],' \
	"the flannel host: its IPv4 PublicIP, BackendData's MAC, both subnets"
check_ok "route get to the flannel host's IPv6 subnet" nsx hostA twill route get twill0 fd00:244:0:c8::5
check_contains "$CHECK_OUT" "192.0.2.77" "fd00:244:0:c8::5 -> the flannel host"
ctl del "$fkey" >/dev/null
for h in $HOSTS; do
	wait_peers "$h" 2
done

step "hostC's agent is killed: its lease expires, the others drop it"
subC=$(subnet_of hostC)
sub6C=$(subnet6_of hostC)
kill -9 "$PID_hostC"
wait "$PID_hostC" 2>/dev/null || :
wait_peers hostA 1 $((TTL * 6))
wait_peers hostB 1 20
info "ok: hostA and hostB dropped hostC"
check_eq "$(leases)" 2 "two leases left"
check_eq "$(peers hostC)" 2 "hostC's table kept without its agent"

step "hostC's agent restarts: the same subnets, learned again, a stray IPv6 address pruned"
rm -f "$TW_TMP/hostC/subnet.env"
# an address of the IPv6 network an earlier agent could have left
nsx hostC "$IP" -6 addr add fd00:244::77/128 dev twill0 nodad
agent hostC
wait_subnet hostC
stray_gone() { ! nsx hostC "$IP" -6 addr show dev twill0 | grep -q 'fd00:244::77/128'; }
topo_wait 30 stray_gone || t_fail "hostC's agent left fd00:244::77/128 on twill0"
check_contains "$(nsx hostC "$IP" -6 addr show dev twill0)" "${sub6C%1/64}/128" "hostC's own IPv6 address kept"
check_eq "$(subnet_of hostC)" "$subC" "hostC's subnet after a restart"
check_eq "$(subnet6_of hostC)" "$sub6C" "hostC's IPv6 subnet after a restart"
for h in hostA hostB; do
	wait_peers "$h" 2
done
check_ok "podhostA -> podhostC again" nsx podhostA ping -c 1 -W 5 "$POD_hostC"
check_ok "podhostA -> podhostC again over IPv6" nsx podhostA ping -6 -c 1 -W 5 "$POD6_hostC"

step "SIGTERM: exit 0, the table stays"
kill -TERM "$PID_hostA"
rc=0
wait "$PID_hostA" || rc=$?
check_eq "$rc" 0 "twilld exit status on SIGTERM"
check_eq "$(peers hostA)" 2 "hostA keeps its peers"
check_contains "$(cat "$TW_TMP/hostA/log")" "stopped" "hostA's agent says it stopped"

AGENT_PASSED=1
echo "PASS: agent-basic"
