#!/bin/sh
# shellcheck shell=dash
# twill0 moved into a pod's namespace keeps working: its UDP socket stays in
# the host namespace that created it.  Deleting the namespace the device is
# in destroys it and frees the port; deleting the creating namespace while
# the device lives elsewhere leaves a device that drops (no crash), and
# deleting that namespace afterwards is clean too.  Services stay behind
# (they go with NAT), and can be set again where the device went.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

B=$(ul4 hostB)
DST=$(pod4 hostB 1)
DST6=$(pod6 hostB 1)

port_open() { # NS: is UDP 8472 bound there?
	[ -n "$(nsx "$1" ss -Huln 'sport = :8472')" ]
}
port_closed() {
	! port_open "$1"
}
no_eth0() {
	! nsx "$1" "$IP" link show dev eth0 >/dev/null 2>&1
}

# into_pod POD ADDR ADDR6: move hostA's twill0 into POD and route B's pod
# subnets through it from there.
into_pod() {
	local pod=$1
	check_ok "move twill0 into $pod" "$IP" -n hostA link set twill0 netns "$pod"
	check_fails "twill0 gone from hostA" nsx hostA "$IP" link show dev twill0
	nsx "$pod" "$IP" link set twill0 up
	nsx "$pod" "$IP" route add "$(subnet4 hostB)" dev twill0
	nsx "$pod" "$IP" -6 route add "$(subnet6 hostB)" dev twill0
}

step "topology: two hosts, two pods on A, one on B, twill mesh"
topo_hosts hostA hostB
topo_pods hostA 2
topo_pods hostB 1
topo_twill_mesh 4 hostA hostB
ping_ok podA1 "$DST" 2

step "a service on hostA's twill0, then twill0 moved into podA1"
check_ok "service set in hostA" nsx hostA "$TWILL" service set twill0 10.96.0.10:80/tcp backend "$DST:8080"
check_contains "$(nsx hostA "$TWILL" service show twill0)" "twill0: 1 services, 1 backends" "hostA: one service"
into_pod podA1
# services translate the namespace's traffic: they stay behind with NAT
check_ok "service show inside podA1" nsx podA1 "$TWILL" service show twill0
check_contains "$CHECK_OUT" "twill0: 0 services, 0 backends" "the service did not move with twill0"
check_ok "service set inside podA1" nsx podA1 "$TWILL" service set twill0 10.96.0.10:80/tcp backend "$DST:8080"
check_ok "service show inside podA1" nsx podA1 "$TWILL" service show twill0
check_contains "$CHECK_OUT" "twill0: 1 services, 1 backends" "set again inside podA1"
check_ok "service removed inside podA1" nsx podA1 "$TWILL" service set twill0 10.96.0.10:80/tcp remove
check_ok "twill show inside podA1" nsx podA1 "$TWILL" show twill0
check_fails "twill show in hostA" nsx hostA "$TWILL" show twill0
check_ok "socket stays in hostA" port_open hostA
check_ok "no socket in podA1" port_closed podA1

step "traffic from the pod through its own twill0"
tx0=$(peer_get podA1 "$B" tx_packets)
rx0=$(peer_get podA1 "$B" rx_packets)
ping_ok podA1 "$DST" 3
ping_ok podA1 "$DST6" 3
ping_ok podB1 "$(pod4 hostA 1)" 3
iperf_tcp podA1 podB1 "$DST"
check_gt "$IPERF_RESULT" 0 "TCP from podA1 via its twill0"
check_gt "$(peer_get podA1 "$B" tx_packets)" $((tx0 + 6)) "podA1: peer B tx_packets moved"
check_gt "$(peer_get podA1 "$B" rx_packets)" $((rx0 + 6)) "podA1: peer B rx_packets moved"
check_gt "$(link_stat podA1 twill0 rx packets)" 6 "podA1: twill0 rx packets (ip -s link)"

step "configure from inside the pod"
check_ok "twill set in podA1" nsx podA1 "$TWILL" set twill0 peer "$B" prefixes +10.244.200.0/24
check_ok "twill route get in podA1" nsx podA1 "$TWILL" route get twill0 10.244.200.1
check_contains "$CHECK_OUT" "$B" "new prefix resolves to B"

step "delete podA1 (where the device is): device gone, port free"
"$IP" netns del podA1
topo_ns_forget podA1
topo_wait 30 port_closed hostA || t_fail "UDP 8472 still bound in hostA after podA1 went"
info "ok: hostA's port 8472 released"
topo_twill hostA
topo_twill_peer hostA hostB 4
ping_ok podA2 "$DST" 3
info "ok: a new twill0 in hostA works"

step "move the new twill0 into podA2, then delete hostA (the creating namespace)"
into_pod podA2
ping_ok podA2 "$DST" 2
# podA2 keeps an address for its traffic when eth0 (a veth from hostA) goes.
nsx podA2 "$IP" addr add "$(pod4 hostA 2)/32" dev lo
"$IP" netns del hostA
topo_ns_forget hostA
topo_wait 60 no_eth0 podA2 || t_fail "hostA's teardown did not reach podA2's veth"
check_ok "twill0 still in podA2" nsx podA2 "$IP" link show dev twill0
check_ok "twill show in podA2" nsx podA2 "$TWILL" show twill0
d0=$(dev_drop_total podA2)
l0=$(link_stat podA2 twill0 tx dropped)
ping_fails podA2 "$DST" 3
d1=$(dev_drop_total podA2)
l1=$(link_stat podA2 twill0 tx dropped)
check_gt $((d1 + l1)) $((d0 + l0)) "podA2: drops counted without a socket (twill $d0 -> $d1, tx_dropped $l0 -> $l1)"
check_ok "twill set still works" nsx podA2 "$TWILL" set twill0 peer "$B" prefixes +10.244.201.0/24

step "delete podA2: clean"
"$IP" netns del podA2
topo_ns_forget podA2
ping_ok hostB "$DST" 2
echo "PASS: dp-netns-move"
