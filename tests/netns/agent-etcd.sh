#!/bin/sh
# shellcheck shell=dash
# twilld against a real etcd, the hard cases: a bad network config (IPv6
# ones and an IPv6-only network too) gives a clear error and changes
# nothing; a lease written by hand in flannel's
# format becomes a peer, and the twill host's own lease reads as a flannel
# lease; two agents race for the last free subnet (one wins, the other
# says the network is full); etcd stopped and started again (forwarding
# never stops, nothing is duplicated); the watch's revision compacted while
# an agent is frozen (it re-lists and converges); --ip-masq turns on
# twill's masquerade of the network; a subnet lost while its agent is
# frozen goes to another host, whose agent removes an address left on its
# device, and the frozen agent exits 5, its address and subnet file gone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/agentlib.sh"

AGENT_ARGS="--subnet-lease-ttl 30"

step "underlay: hostA hostB hostC and the etcd host hostS; etcd"
topo_hosts hostA hostB hostC hostS
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
bad_config '{"Network": "10.244.0.0/16", "EnableIPv6": true}' "EnableIPv6 is true but IPv6Network is missing"
bad_config '{"Network": "10.244.0.0/16", "EnableIPv6": true, "IPv6Network": "fd00:244::/48", "IPv6SubnetLen": 47}' \
	"IPv6SubnetLen 47 is too short"
bad_config '{"EnableIPv4": false, "EnableIPv6": true, "IPv6Network": "fd00:244::/48"}' \
	"IPv6-only networks are not supported"

step "a /22 network (three /24 subnets), one lease written by hand as flannel writes it"
ctl put "$P/config" '{"Network": "10.244.0.0/22", "SubnetLen": 24, "Backend": {"Type": "vxlan"}}' >/dev/null
ctl put "$P/subnets/10.244.1.0-24" \
	'{"PublicIP":"192.0.2.4","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"02:66:6c:00:00:04"}}' >/dev/null

step "hostA's agent (--ip-masq) takes one of the two free subnets"
agent hostA --ip-masq
wait_subnet hostA
wait_peers hostA 1 30
conf=$(nsx hostA twill showconf twill0)
check_contains "$conf" "192.0.2.4" "the flannel host is hostA's peer"
check_contains "$conf" "02:66:6c:00:00:04" "with its VtepMAC"
check_contains "$conf" "10.244.1.0/24" "and its subnet"

step "hostA's lease reads as a flannel lease"
lease=$(ctl get --print-value-only "$(lease_key hostA)")
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
wait_subnet "$W"
check_eq "$(leases)" 3 "three leases"
for h in hostA "$W"; do
	wait_peers "$h" 2 30
done
info "ok: $W won, hostA and $W have two peers each"

step "pods on hostA and $W ping each other"
for h in hostA "$W"; do
	pod_add "$h"
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
wait_peers "$W" 1
wait_peers hostA 1 30
check_contains "$(cat "$TW_TMP/$W/log")" "compacted" "$W says the watch was compacted"
check_lacks "$(nsx "$W" twill showconf twill0)" "192.0.2.4" "the flannel host is gone from $W"
check_ok "podhostA -> pod$W after the re-list" nsx podhostA ping -c 1 -W 5 "$podW"
check_eq "$(leases)" 2 "two leases"

step "$W's lease revoked while its agent is frozen; $L takes the subnet; $W's agent gives it up"
# the flannel host back on its subnet: W's is then the only free one
ctl put "$P/subnets/10.244.1.0-24" \
	'{"PublicIP":"192.0.2.4","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"02:66:6c:00:00:04"}}' >/dev/null
old=$(subnet_of "$W")
old=${old%.1/*}.0
lid=$(sed -n 's/.*leased .* (lease \([0-9a-f]*\),.*/\1/p' "$TW_TMP/$W/log" | tail -n 1)
[ -n "$lid" ] || t_fail "no lease ID in $W's log"
# a subnet address an earlier agent left on L's twill0 (L's agent made
# the device before it found the network full)
nsx "$L" "$IP" addr add 10.244.1.0/32 dev twill0 || t_fail "stale address on $L"
kill -STOP "$wpid"
ctl lease revoke "$lid" >/dev/null || t_fail "etcdctl lease revoke $lid"
agent "$L"
eval "lpid=\$PID_$L"
topo_wait 90 test -s "$TW_TMP/$L/subnet.env" || t_fail "$L wrote no subnet.env"
check_eq "$(subnet_of "$L")" "${old%.0}.1/24" "$L leased $W's subnet"
addrs=$(nsx "$L" "$IP" -4 -o addr show dev twill0 | awk '{ print $4 }' | sort | tr '\n' ' ')
check_eq "$addrs" "$old/32 " "$L's twill0: its subnet's address, the earlier one removed"
check_contains "$(cat "$TW_TMP/$L/log")" "removed an earlier subnet's address" "$L says so"
kill -CONT "$wpid"
topo_wait 60 grep -q "^.*removed $TW_TMP/$W/subnet.env" "$TW_TMP/$W/log" || t_fail "$W's agent did not give the subnet up"
rc=0
wait "$wpid" || rc=$?
check_eq "$rc" 5 "$W's exit status (subnet lost)"
check_contains "$(cat "$TW_TMP/$W/log")" "another host" "$W's message"
check_lacks "$(nsx "$W" "$IP" -4 -o addr show dev twill0)" "$old/32" "$W's twill0 no longer has $old/32"
[ ! -e "$TW_TMP/$W/subnet.env" ] || t_fail "$W's subnet.env is still there"
info "ok: $W's subnet.env removed"
check_eq "$(ctl get --print-value-only "$P/subnets/$old-24" | grep -c "\"$(ul4 "$L")\"")" 1 \
	"the lease of $old/24 is $L's"
shows() { nsx "$1" twill showconf twill0 | grep -qF "$2"; }
topo_wait 30 shows hostA "$(ul4 "$L")" || t_fail "hostA did not learn $L"
check_eq "$(peers hostA)" 2 "hostA's peers: the flannel host and $L"
running "$lpid" || t_fail "$L's agent exited"

AGENT_PASSED=1
echo "PASS: agent-etcd"
