#!/bin/sh
# shellcheck shell=dash
# twilld against a real etcd, the hard cases: a bad network config gives a
# clear error and changes nothing; a lease written by hand in flannel's
# format becomes a peer, and the twill host's own lease reads as a flannel
# lease; two agents race for the last free subnet (one wins, the other
# says the network is full); etcd stopped and started again (forwarding
# never stops, nothing is duplicated); the watch's revision compacted while
# an agent is frozen (it re-lists and converges); --ip-masq turns on
# twill's masquerade of the network.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

command -v etcd >/dev/null 2>&1 || skip "no etcd (Debian etcd-server)"
command -v twilld >/dev/null 2>&1 || skip "no twilld"

ETCD=http://192.0.2.99:2379
TTL=30
P=/coreos.com/network
export ETCDCTL_API=3

ctl() { nsx hostS etcdctl --endpoints "$ETCD" --dial-timeout 5s "$@"; }

etcd_start() {
	bg_in hostS etcd --name t --data-dir "$TW_TMP/etcd/data" \
		--listen-client-urls "$ETCD" --advertise-client-urls "$ETCD" \
		--listen-peer-urls http://127.0.0.1:2380 \
		--initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster t=http://127.0.0.1:2380 >>"$TW_TMP/etcd/log" 2>&1
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

agent() { # HOST [ARGS]: twilld in HOST in the background; PID_HOST
	local h=$1
	shift
	mkdir -p "$TW_TMP/$h"
	bg_in "$h" twilld --etcd-endpoints "$ETCD" --public-ip "$(ul4 "$h")" \
		--subnet-file "$TW_TMP/$h/subnet.env" \
		--state-file "$TW_TMP/$h/state" --subnet-lease-ttl "$TTL" \
		--log-level debug "$@" >>"$TW_TMP/$h/log" 2>&1
	eval "PID_$h=\$BG_PID"
}

peers() { nsx "$1" twill showconf twill0 2>/dev/null | grep -c '^\[Peer\]' || :; }
has_peers() { [ "$(peers "$1")" = "$2" ]; }
subnet_of() { sed -n 's/^FLANNEL_SUBNET=//p' "$TW_TMP/$1/subnet.env"; }
leases() { ctl get --prefix --keys-only "$P/subnets/" | grep -c . || :; }
running() { kill -0 "$1" 2>/dev/null; }

dump_logs_on_fail() {
	local h
	[ "${PASSED:-0}" = 1 ] && return
	for h in hostA hostB hostC; do
		[ -f "$TW_TMP/$h/log" ] || continue
		echo "--- $h"
		sed 's/^/   /' "$TW_TMP/$h/log"
		nsx "$h" twill showconf twill0 2>&1 | sed 's/^/   /'
	done
	ctl get --prefix "$P/" 2>&1 | sed 's/^/   /'
}
on_cleanup dump_logs_on_fail

step "underlay: hostA hostB hostC and the etcd host hostS; etcd"
topo_hosts hostA hostB hostC hostS
mkdir -p "$TW_TMP/etcd"
etcd_start

# bad_config JSON MESSAGE: the agent exits 3 saying MESSAGE, no device made
bad_config() {
	local rc=0
	ctl put "$P/config" "$1" >/dev/null
	: >"$TW_TMP/bad.log"
	nsx hostA twilld --etcd-endpoints "$ETCD" --public-ip 192.0.2.1 \
		--subnet-file "$TW_TMP/bad.env" --state-file "$TW_TMP/bad.state" \
		2>"$TW_TMP/bad.log" || rc=$?
	check_eq "$rc" 3 "exit status for config $1"
	check_contains "$(cat "$TW_TMP/bad.log")" "$2" "the agent's message"
	check_fails "no twill0 made" nsx hostA "$IP" link show twill0
	check_eq "$(leases)" 0 "no lease taken"
	[ ! -e "$TW_TMP/bad.env" ] || t_fail "a subnet file was written"
}

step "bad network configs: a clear error, nothing changes"
bad_config '{"Network": "10.244.0.0/16"' "invalid JSON"
bad_config '{"Network": "10.244.0.0/16", "SubnetLen": 17}' "SubnetLen 17 is too short"
bad_config '{"Network": "10.244.0.0/16", "SubnetMin": "10.245.0.0"}' "SubnetMin 10.245.0.0 is not in Network"
bad_config '{"Network": "10.244.0.0/16", "Backend": {"Type": "udp"}}' "'udp' is not supported"

step "a /22 network (three /24 subnets), one lease written by hand as flannel writes it"
ctl put "$P/config" '{"Network": "10.244.0.0/22", "SubnetLen": 24, "Backend": {"Type": "vxlan"}}' >/dev/null
ctl put "$P/subnets/10.244.1.0-24" \
	'{"PublicIP":"192.0.2.4","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"02:66:6c:00:00:04"}}' >/dev/null

step "hostA's agent (--ip-masq) takes one of the two free subnets"
agent hostA --ip-masq
topo_wait 60 test -s "$TW_TMP/hostA/subnet.env" || t_fail "hostA wrote no subnet.env"
info "hostA: $(subnet_of hostA)"
topo_wait 30 has_peers hostA 1 || t_fail "hostA has $(peers hostA) peers, not 1 (the flannel host)"
conf=$(nsx hostA twill showconf twill0)
check_contains "$conf" "192.0.2.4" "the flannel host is hostA's peer"
check_contains "$conf" "02:66:6c:00:00:04" "with its VtepMAC"
check_contains "$conf" "10.244.1.0/24" "and its subnet"

step "hostA's lease reads as a flannel lease"
keyA="$P/subnets/$(subnet_of hostA | sed 's/\.1\//.0-/')"
lease=$(ctl get --print-value-only "$keyA")
macA=$(printf '%s\n' "$conf" | sed -n 's/^MAC = //p' | head -n 1)
check_eq "$lease" "{\"PublicIP\":\"192.0.2.1\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"$macA\"}}" "hostA's lease"
check_contains "$(cat "$TW_TMP/hostA/subnet.env")" "FLANNEL_NETWORK=10.244.0.0/22" "subnet.env network"
check_contains "$(cat "$TW_TMP/hostA/subnet.env")" "FLANNEL_MTU=1450" "subnet.env MTU"
check_contains "$(cat "$TW_TMP/hostA/subnet.env")" "FLANNEL_IPMASQ=true" "subnet.env ip-masq"
check_contains "$conf" "Masquerade = 10.244.0.0/22" "--ip-masq: twill0 masquerades the network"
check_contains "$conf" "MasqueradeExclude = 10.244.0.0/22" "--ip-masq: but not inside it"

step "hostB and hostC race for the last subnet: one wins, the other says the network is full"
agent hostB
agent hostC
full() { ! running "$PID_hostB" || ! running "$PID_hostC"; }
topo_wait 90 full || t_fail "both agents still run"
if running "$PID_hostB"; then W=hostB L=hostC; else W=hostC L=hostB; fi
eval "lpid=\$PID_$L"
rc=0
wait "$lpid" || rc=$?
check_eq "$rc" 4 "$L's exit status"
check_contains "$(cat "$TW_TMP/$L/log")" "the network is full" "$L's message"
topo_wait 60 test -s "$TW_TMP/$W/subnet.env" || t_fail "$W wrote no subnet.env"
check_eq "$(leases)" 3 "three leases"
for h in hostA "$W"; do
	topo_wait 30 has_peers "$h" 2 || t_fail "$h has $(peers "$h") peers, not 2"
done
info "ok: $W won, hostA and $W have two peers each"

step "pods on hostA and $W ping each other"
for h in hostA "$W"; do
	sub=$(subnet_of "$h")
	gw=${sub%/*}
	topo_ns_add "pod$h"
	"$IP" link add pod netns "$h" type veth peer name eth0 netns "pod$h"
	nsx "$h" "$IP" addr add "$sub" dev pod
	nsx "$h" "$IP" link set pod up
	nsx "pod$h" "$IP" addr add "${gw%.1}.10/24" dev eth0
	nsx "pod$h" "$IP" link set eth0 up
	nsx "pod$h" "$IP" route add default via "$gw"
	eval "POD_$h=${gw%.1}.10"
done
eval "podW=\$POD_$W"
check_ok "podhostA -> pod$W" nsx podhostA ping -c 1 -W 5 "$podW"

step "etcd stops: forwarding goes on, the agents retry; etcd starts: nothing duplicated"
etcd_stop
check_ok "podhostA -> pod$W with etcd down" nsx podhostA ping -c 3 -i 0.5 -W 5 "$podW"
sleep 5
check_ok "podhostA -> pod$W with etcd down 5 s later" nsx podhostA ping -c 1 -W 5 "$podW"
check_eq "$(peers hostA)" 2 "hostA's table kept"
check_eq "$(peers "$W")" 2 "$W's table kept"
check_contains "$(cat "$TW_TMP/hostA/log")" "table kept as it is" "hostA says it keeps the table"
etcd_start
sleep 3
check_eq "$(leases)" 3 "still three leases"
check_ok "podhostA -> pod$W after etcd is back" nsx podhostA ping -c 1 -W 5 "$podW"
running "$PID_hostA" || t_fail "hostA's agent exited"
running "$(eval echo "\$PID_$W")" || t_fail "$W's agent exited"

step "compaction while $W's agent is frozen: it re-lists and converges"
eval "wpid=\$PID_$W"
kill -STOP "$wpid"
etcd_stop
etcd_start
ctl del "$P/subnets/10.244.1.0-24" >/dev/null
rev=$(ctl put "$P/junk" x -w json | sed 's/.*"revision":\([0-9]*\).*/\1/')
ctl compact "$rev" >/dev/null
kill -CONT "$wpid"
topo_wait 60 has_peers "$W" 1 || t_fail "$W has $(peers "$W") peers, not 1"
topo_wait 30 has_peers hostA 1 || t_fail "hostA has $(peers hostA) peers, not 1"
check_contains "$(cat "$TW_TMP/$W/log")" "compacted" "$W says the watch was compacted"
check_lacks "$(nsx "$W" twill showconf twill0)" "192.0.2.4" "the flannel host is gone from $W"
check_ok "podhostA -> pod$W after the re-list" nsx podhostA ping -c 1 -W 5 "$podW"
check_eq "$(leases)" 2 "two leases"

PASSED=1
echo "PASS: agent-etcd"
