#!/bin/sh
# shellcheck shell=dash
# Bad packets sent to twill's port (crafted with tests/tools/udpsend from the
# peer host B and from a stranger host S): each kind is dropped and counted
# under its reason, the peer's rx counters do not move, and the device
# still works afterwards.  Ends with a short fuzz run (mutated packets from
# the peer and the stranger).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

command -v "$UDPSEND" >/dev/null 2>&1 || fail "udpsend (tests/tools) is not in the guest"

A=$(ul4 hostA)
B=$(ul4 hostB)
S=$(ul4 hostS)
POD=$(pod4 hostA 1)
POD6=$(pod6 hostA 1)
AMAC=$(twill_mac hostA)
BMAC=$(twill_mac hostB)
N=5

step "topology: hostA, hostB (twill peers), hostS (stranger) on one bridge"
topo_hosts hostA hostB hostS
topo_pods hostA 1
topo_pods hostB 1
topo_twill_mesh 4 hostA hostB
ping_ok podB1 "$POD" 2

# send_from HOST SRCADDR [udpsend args]: N packets to A's twill port.
send_from() {
	local h=$1 src=$2 dst=$A
	shift 2
	case $src in *:*) dst=$(ul6 hostA) ;; esac
	check_ok "udpsend from $h ($src) $*" nsx "$h" "$UDPSEND" -c "$N" -s "$src" -d "$AMAC" -m "$BMAC" "$@" "$dst"
}

# expect_drop WHAT REASON... -- send args: the device drop counters of the
# REASONs move by N in all, peer B's rx_packets does not.
expect_drop() {
	local what=$1 reasons="" r before=0 after=0 rx0 rx1
	shift
	while [ "$1" != -- ]; do
		reasons="$reasons $1"
		shift
	done
	shift
	for r in $reasons; do
		before=$((before + $(dev_drop hostA "$r")))
	done
	rx0=$(peer_get hostA "$B" rx_packets)
	send_from "$@"
	for r in $reasons; do
		after=$((after + $(dev_drop hostA "$r")))
	done
	rx1=$(peer_get hostA "$B" rx_packets)
	check_eq "$after" $((before + N)) "$what: counted as$reasons, $N times"
	check_eq "$rx1" "$rx0" "$what: peer B rx_packets unchanged"
	for r in $reasons; do
		info "   $r = $(dev_drop hostA "$r")"
	done
}

step "control: well-formed packets from B are accepted"
rx0=$(peer_get hostA "$B" rx_packets)
prx0=$(link_stat podA1 eth0 rx packets)
send_from hostB "$B" -i "$(pod4 hostB 1),$POD"
send_from hostB "$B" -i "$(pod6 hostB 1),$POD6"
check_eq "$(peer_get hostA "$B" rx_packets)" $((rx0 + 2 * N)) "A: peer B rx_packets moved by what B sent"
check_ge "$(link_stat podA1 eth0 rx packets)" $((prx0 + 2 * N)) "podA1 received them"

step "spoofed inner source (outside B's prefixes)"
s0=$(peer_drop hostA "$B" spoofed)
expect_drop "spoofed IPv4 source" spoofed -- hostB "$B" -i "10.244.9.9,$POD"
expect_drop "spoofed IPv6 source" spoofed -- hostB "$B" -i "fd00:244:0:9::9,$POD6"
expect_drop "A's own prefix as source" spoofed -- hostB "$B" -i "$(pod4 hostA 2),$POD"
check_eq "$(peer_drop hostA "$B" spoofed)" $((s0 + 3 * N)) "A: peer B drops spoofed, 3 x $N"

step "unknown outer source"
expect_drop "stranger S (IPv4)" unknown_peer -- hostS "$S" -i "$(pod4 hostB 1),$POD"
expect_drop "stranger S (IPv6 underlay)" unknown_peer -- hostS "$(ul6 hostS)" -i "$(pod4 hostB 1),$POD"
expect_drop "B's IPv6 address (peer is IPv4)" unknown_peer -- hostB "$(ul6 hostB)" -i "$(pod4 hostB 1),$POD"

step "bad VXLAN header"
expect_drop "flags 0x00 (no I bit)" bad_header -- hostB "$B" -f 0x00 -i "$(pod4 hostB 1),$POD"
expect_drop "flags 0x0c (reserved bits)" bad_header -- hostB "$B" -f 0x0c -i "$(pod4 hostB 1),$POD"
expect_drop "reserved fields set" bad_header -- hostB "$B" -r -i "$(pod4 hostB 1),$POD"

step "wrong VNI"
expect_drop "VNI 2" bad_vni -- hostB "$B" -v 2 -i "$(pod4 hostB 1),$POD"
expect_drop "VNI 0x10001" bad_vni -- hostB "$B" -v 0x10001 -i "$(pod4 hostB 1),$POD"

step "truncated packets"
expect_drop "empty UDP payload" bad_header -- hostB "$B" -t 0
expect_drop "4 of 8 VXLAN header bytes" bad_header -- hostB "$B" -t 4
expect_drop "VXLAN header only" bad_header bad_inner -- hostB "$B"
expect_drop "inner Ethernet cut (VXLAN + 10)" bad_header bad_inner -- hostB "$B" -t 18 -i "$(pod4 hostB 1),$POD"
expect_drop "inner IPv4 header cut (12 of 20)" bad_inner -- hostB "$B" -t 34 -i "$(pod4 hostB 1),$POD"
expect_drop "inner IPv6 header cut (20 of 40)" bad_inner -- hostB "$B" -t 42 -i "$(pod6 hostB 1),$POD6"

step "not IP inside"
expect_drop "ARP ethertype" bad_proto -- hostB "$B" -e 0x0806 -i "$(pod4 hostB 1),$POD"
expect_drop "IPv6 ethertype, IPv4 packet" bad_inner bad_proto -- hostB "$B" -e 0x86dd -i "$(pod4 hostB 1),$POD"

step "fuzz: 3000 mutated packets from B, 1000 from S"
t0=$(dev_drop_total hostA)
check_ok "fuzz from B" nsx hostB "$UDPSEND" -s "$B" -d "$AMAC" -m "$BMAC" -i "$(pod4 hostB 1),$POD" -F 3000 -S 1 "$A"
info "$CHECK_OUT"
check_ok "fuzz from B (IPv6 inner)" nsx hostB "$UDPSEND" -s "$B" -d "$AMAC" -m "$BMAC" -i "$(pod6 hostB 1),$POD6" -F 1000 -S 2 "$A"
check_ok "fuzz from S" nsx hostS "$UDPSEND" -s "$S" -i "$(pod4 hostB 1),$POD" -F 1000 -S 3 "$A"
check_gt "$(dev_drop_total hostA)" $((t0 + 1000)) "A: drops moved"

step "the device still works"
ping_ok podB1 "$POD" 3
ping_ok podA1 "$(pod6 hostB 1)" 3
show_twill hostA
echo "PASS: dp-bad-packets"
