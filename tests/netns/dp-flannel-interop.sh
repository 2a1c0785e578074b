#!/bin/sh
# shellcheck shell=dash
# Interop: host A runs twill, host B the kernel's vxlan device set up the way
# flannel does (VNI 1, port 8472, nolearning, MTU 1450, 10.244.2.0/32 on
# flannel.1; per remote node a route via 10.244.N.0 onlink, a permanent
# neighbour entry and an FDB entry).  Ping and TCP both ways between pods;
# a capture on the underlay shows standard VXLAN (port 8472, VNI 1, the
# VTEP MACs inside); outer source ports stay in the configured range.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

A=$(ul4 hostA)
B=$(ul4 hostB)
AMAC=$(twill_mac hostA)
BMAC=$(vxlan_mac hostB)

step "topology: hostA (twill0) <-> hostB (flannel.1, kernel vxlan)"
topo_hosts hostA hostB
topo_pods hostA 1
topo_pods hostB 1
topo_twill hostA
topo_vxlan hostB 4

step "A's VTEP MAC as twill shows it"
flat=$(twill_flat hostA)
check_eq "$(flat_get "$flat" mac)" "$AMAC" "twill show -j mac"
check_eq "$(flat_get "$flat" listen_port)" 8472 "listen_port"
check_eq "$(flat_get "$flat" vni)" 1 "vni"
check_eq "$(nsx hostA "$IP" -j link show twill0 | json_get mtu)" 1450 "twill0 MTU = flannel.1 MTU"

step "peers: A learns B's flannel.1 MAC; B gets A the flannel way"
check_ok "A: peer B" nsx hostA "$TWILL" set twill0 peer "$B" mac "$BMAC" prefixes 10.244.2.0/24
topo_vxlan_peer hostB hostA 4 "$AMAC"
show_twill hostA
info "B: $(nsx hostB "$IP" route show 10.244.1.0/24)"
info "B: $(nsx hostB "$IP" neigh show dev flannel.1)"
info "B: $(nsx hostB "$BRIDGE" fdb show dev flannel.1 | tr '\n' ';')"

capture_start hostA ul0 udp port 8472

step "ping both ways"
ping_ok podA1 "$(pod4 hostB 1)" 3
ping_ok podB1 "$(pod4 hostA 1)" 3
# flannel-style host addresses: B's flannel.1 -> A's twill0 and back
ping_ok hostB 10.244.1.0 2
ping_ok hostA 10.244.2.0 2
capture_stop

step "capture: standard VXLAN, port 8472, VNI 1, the VTEP MACs inside"
cap=$(capture_read -T vxlan -e)
printf '%s\n' "$cap" | head -n 8 | sed 's/^/   | /'
ab=$(printf '%s\n' "$cap" | grep -F ": $A." | grep -cF "> $B.8472: VXLAN, flags [I] (0x08), vni 1")
ba=$(printf '%s\n' "$cap" | grep -F ": $B." | grep -cF "> $A.8472: VXLAN, flags [I] (0x08), vni 1")
all=$(printf '%s\n' "$cap" | grep -c ': 192\.0\.2\.[0-9]*\.[0-9]* > 192\.0\.2\.[0-9]*\.8472: ')
check_ge "$ab" 5 "A (twill) -> B: VXLAN to port 8472, flags I, VNI 1"
check_ge "$ba" 5 "B (vxlan) -> A: VXLAN to port 8472, flags I, VNI 1"
check_eq "$all" $((ab + ba)) "every outer packet is VNI 1 with flags 0x08"
check_contains "$cap" "$AMAC > $BMAC, ethertype IPv4" "inner Ethernet from twill: A's MAC -> B's flannel.1 MAC"
check_contains "$cap" "$BMAC > $AMAC, ethertype IPv4" "inner Ethernet from vxlan: B's MAC -> A's twill MAC"

step "TCP (iperf3) both ways"
iperf_tcp podA1 podB1 "$(pod4 hostB 1)"
check_gt "$IPERF_RESULT" 0 "TCP A (twill) -> B (vxlan) bytes"
iperf_tcp podB1 podA1 "$(pod4 hostA 1)"
check_gt "$IPERF_RESULT" 0 "TCP B (vxlan) -> A (twill) bytes"
iperf_tcp podA1 podB1 "$(pod4 hostB 1)" -R
check_gt "$IPERF_RESULT" 0 "TCP reverse (-R) bytes"

step "counters on A: the vxlan peer's packets are accepted, nothing dropped"
check_gt "$(peer_get hostA "$B" rx_packets)" 100 "A: peer B rx_packets"
check_gt "$(peer_get hostA "$B" tx_packets)" 100 "A: peer B tx_packets"
for d in unknown_peer bad_header bad_vni spoofed bad_inner; do
	check_eq "$(dev_drop hostA "$d")" 0 "A: drops $d"
done
check_gt "$(link_stat hostB flannel.1 rx packets)" 100 "B: flannel.1 rx packets"
check_eq "$(link_stat hostB flannel.1 rx errors)" 0 "B: flannel.1 rx errors"
# src_ports: the outer source ports of A's packets in the capture, sorted
src_ports() {
	capture_read "src host $A and udp dst port 8472" |
		sed -n "s/.* IP $A\.\([0-9]*\) > .*/\1/p" | sort -un
}

step "outer source ports: flows spread inside the configured range"
check_ok "A: port-range 40000-40003" nsx hostA "$TWILL" set twill0 port-range 40000-40003
capture_start hostA ul0 udp port 8472
iperf_tcp podA1 podB1 "$(pod4 hostB 1)" -P 16 -t 1
capture_stop
ports=$(src_ports)
info "source ports seen: $(printf '%s\n' "$ports" | tr '\n' ' ')"
check_gt "$(printf '%s\n' "$ports" | grep -c .)" 1 "16 flows use more than one source port"
check_eq "$(printf '%s\n' "$ports" | awk '$1 < 40000 || $1 > 40003' | wc -l)" 0 "every source port within 40000-40003"

step "a one-port range means that port"
check_ok "A: port-range 45000-45000" nsx hostA "$TWILL" set twill0 port-range 45000-45000
capture_start hostA ul0 udp port 8472
iperf_tcp podA1 podB1 "$(pod4 hostB 1)" -P 4 -t 1
capture_stop
check_eq "$(src_ports | tr '\n' ' ')" "45000 " "every outer packet from source port 45000"
show_twill hostA
echo "PASS: dp-flannel-interop"
