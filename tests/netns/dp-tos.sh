#!/bin/sh
# The outer TOS is part of the underlay route's key, as in vxlan: hostA
# reaches hostB over two links, and a policy rule sends TOS 0x10 over the
# second (ul1).  Outer packets are counted per link by nftables on hostA's
# output.  With the default TOS 0 they take ul0; after `twill set tos
# 0x10` every one takes ul1 (a cached route may not keep the old path);
# with `tos inherit` each packet's own TOS picks the path.  IPv4 and IPv6
# underlays.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

topo_hosts hostA hostB
"$IP" link add ul1 netns hostA type veth peer name ul1 netns hostB
nsx hostA "$IP" addr add 198.51.100.1/24 dev ul1
nsx hostB "$IP" addr add 198.51.100.2/24 dev ul1
nsx hostA "$IP" addr add 2001:db8:1::1/64 dev ul1 nodad
nsx hostB "$IP" addr add 2001:db8:1::2/64 dev ul1 nodad
nsx hostA "$IP" link set ul1 up
nsx hostB "$IP" link set ul1 up
# TOS 0x10 to hostB's ul0 addresses goes over ul1.
nsx hostA "$IP" route add "$(ul4 hostB)/32" via 198.51.100.2 dev ul1 table 100
nsx hostA "$IP" -6 route add "$(ul6 hostB)/128" via 2001:db8:1::2 dev ul1 table 100
nsx hostA "$IP" rule add tos 0x10 lookup 100
nsx hostA "$IP" -6 rule add tos 0x10 lookup 100

nsx hostA nft -f - <<'NFT'
table inet tw {
	chain out {
		type filter hook output priority 0;
		oifname "ul0" udp dport 8472 counter
		oifname "ul1" udp dport 8472 counter
	}
}
NFT
# count LINK: outer packets hostA sent on LINK.
count() {
	nsx hostA nft list chain inet tw out |
		awk -v l="\"$1\"" '$2 == l { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }'
}

topo_twill hostA
nsx hostA "$TWILL" set twill0 peer "$(ul4 hostB)" prefixes 10.244.2.0/24 \
	peer "[$(ul6 hostB)]" prefixes 10.244.3.0/24

# expect DST TOS UL0 UL1: 5 datagrams to DST with inner TOS; the counters
# of ul0 and ul1 must move by UL0 and UL1.
expect() {
	local a0 a1
	a0=$(count ul0)
	a1=$(count ul1)
	[ -n "$a0" ] && [ -n "$a1" ] || t_fail "no nftables counters"
	nsx hostA "$UDPSEND" -s 10.244.1.0 -T "$2" -p 9 -x 00 -c 5 "$1" >/dev/null ||
		t_fail "udpsend to $1"
	check_eq "$(($(count ul0) - a0)) $(($(count ul1) - a1))" "$3 $4" \
		"outer packets on ul0 and ul1 for $1 with inner TOS $2"
}

for dst in 10.244.2.5 10.244.3.5; do
	step "$dst: TOS 0 takes ul0"
	nsx hostA "$TWILL" set twill0 tos 0
	expect $dst 0 5 0
	step "$dst: after 'tos 0x10', ul1"
	nsx hostA "$TWILL" set twill0 tos 0x10
	expect $dst 0 0 5
	step "$dst: 'tos inherit' follows each packet's TOS"
	nsx hostA "$TWILL" set twill0 tos inherit
	expect $dst 0x10 0 5
	expect $dst 0 5 0
done
