#!/bin/sh
# shellcheck shell=dash
# Path MTU: twill0 defaults to 1450 (1500 - 50).  A DF packet bigger than
# that gets "fragmentation needed" (IPv4) / "packet too big" (IPv6) with
# mtu 1450 and the pod caches it; TCP works with the default MTUs.  Then the
# underlay MTU shrinks under twill0 (1400): an encapsulated packet that no
# longer fits is dropped as too_big and the sender is told the inner MTU
# that fits (1350), after which TCP still works.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

DST=$(pod4 hostB 1)
DST6=$(pod6 hostB 1)

step "topology: two hosts, IPv4 underlay, one pod each"
topo_hosts hostA hostB
topo_pods hostA 1
topo_pods hostB 1
topo_twill_mesh 4 hostA hostB
check_eq "$(nsx hostA "$IP" -j link show twill0 | json_get mtu)" 1450 "twill0 default MTU"

step "the largest packet that fits goes through (1422 + 28 = 1450)"
check_ok "ping -Mdo -s 1422" nsx podA1 "$PING" -c 2 -i 0.2 -w 5 -Mdo -s 1422 "$DST"
check_ok "ping6 -Mdo -s 1402 (1402 + 48 = 1450)" nsx podA1 "$PING" -c 2 -i 0.2 -w 5 -Mdo -s 1402 "$DST6"

step "IPv4: DF packet over the overlay MTU gets fragmentation needed, mtu 1450"
check_fails "ping -Mdo -s 1460" nsx podA1 "$PING" -c 3 -i 0.2 -w 3 -Mdo -s 1460 "$DST"
check_contains "$CHECK_OUT" "1450" "ping reports mtu 1450"
check_ok "ip route get" nsx podA1 "$IP" route get "$DST"
check_contains "$CHECK_OUT" "mtu 1450" "pod's route cache has mtu 1450"

step "IPv6: packet too big, mtu 1450"
# 1420 + 48 = 1468: over 1450, under the pod's own 1500
check_fails "ping6 -Mdo -s 1420" nsx podA1 "$PING" -c 3 -i 0.2 -w 3 -Mdo -s 1420 "$DST6"
check_contains "$CHECK_OUT" "1450" "ping reports mtu 1450"
check_ok "ip -6 route get" nsx podA1 "$IP" -6 route get "$DST6"
check_contains "$CHECK_OUT" "mtu 1450" "pod's route cache has mtu 1450"

step "TCP across with the default MTU"
iperf_tcp podA1 podB1 "$DST"
check_gt "$IPERF_RESULT" 1000000 "TCP IPv4 A -> B bytes"
iperf_tcp podB1 podA1 "$(pod4 hostA 1)"
check_gt "$IPERF_RESULT" 1000000 "TCP IPv4 B -> A bytes"
iperf_tcp podA1 podB1 "$DST6"
check_gt "$IPERF_RESULT" 1000000 "TCP IPv6 A -> B bytes"

step "underlay MTU 1400 under twill0 (still 1450): too big after encapsulation"
nsx hostA "$IP" link set ul0 mtu 1400
nsx hostB "$IP" link set ul0 mtu 1400
tb0=$(dev_drop hostA too_big)
# 1400 + 28 = 1428 inner fits twill0 (1450) but 1478 outer does not fit 1400.
check_fails "ping -Mdo -s 1400" nsx podA1 "$PING" -c 3 -i 0.2 -w 3 -Mdo -s 1400 "$DST"
check_ge "$(dev_drop hostA too_big)" $((tb0 + 1)) "A: drops too_big moved"
check_contains "$CHECK_OUT" "1350" "the pod is told mtu 1350 (1400 - 50)"
check_ok "ping -Mdo -s 1322 (1350) fits" nsx podA1 "$PING" -c 2 -i 0.2 -w 5 -Mdo -s 1322 "$DST"

step "TCP still works over the smaller underlay"
iperf_tcp podA1 podB1 "$DST"
check_gt "$IPERF_RESULT" 1000000 "TCP IPv4 A -> B bytes"
iperf_tcp podB1 podA1 "$(pod4 hostA 1)"
check_gt "$IPERF_RESULT" 1000000 "TCP IPv4 B -> A bytes"
show_twill hostA
echo "PASS: dp-pmtu"
