#!/bin/sh
# A device outlives the namespace that created it (where its sockets
# live): hostA creates twill0 with one peer over an IPv4 and one over an
# IPv6 underlay, moves it into a pod namespace, and traffic caches routes
# to both peers through hostA's ul0.  When hostA's namespace is deleted,
# the sockets close and the cached routes go at once (they would pin
# hostA's devices: its veth, and so hostB's end, would not go away);
# the device keeps working as a device: every later packet is counted as
# no_route, exactly, and it can still be configured and deleted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

topo_hosts hostA hostB
topo_ns_add pods
A=hostA
nsx "$A" "$IP" link add twill0 type twill
nsx "$A" "$TWILL" set twill0 peer "$(ul4 hostB)" prefixes 10.244.2.0/24 \
	peer "[$(ul6 hostB)]" prefixes 10.244.3.0/24
nsx "$A" "$IP" link set twill0 netns pods
nsx pods "$IP" addr add 10.244.1.1/32 dev twill0
nsx pods "$IP" link set twill0 up
nsx pods "$IP" route add 10.244.0.0/16 dev twill0

send() { # COUNT: COUNT UDP datagrams to a pod behind each peer
	nsx pods "$UDPSEND" -s 10.244.1.1 -p 9 -x 00 -c "$1" 10.244.2.1 >/dev/null
	nsx pods "$UDPSEND" -s 10.244.1.1 -p 9 -x 00 -c "$1" 10.244.3.1 >/dev/null
}

step "datagrams to both peers through hostA's underlay (routes cached)"
send 3
check_eq "$(peer_get pods "$(ul4 hostB)" tx_packets)" 3 "tx to the IPv4 peer"
check_eq "$(peer_get pods "$(ul6 hostB)" tx_packets)" 3 "tx to the IPv6 peer"
no_route0=$(dev_drop pods no_route)

step "hostA's namespace goes away; its devices are released"
"$IP" netns del hostA
topo_ns_forget hostA
# hostA's ul0 is a veth: its peer in hostB goes only once hostA's end is
# unregistered, which a cached route would hold up.
topo_wait 30 sh -c "! $IP -n hostB link show ul0" ||
	t_fail "hostA's underlay is still referenced after its namespace was deleted"

step "the orphaned device counts every packet as no_route"
send 2
check_eq "$(dev_drop pods no_route)" "$((no_route0 + 4))" "no_route drops after the orphaning"
check_eq "$(peer_get pods "$(ul4 hostB)" tx_packets)" 3 "tx to the IPv4 peer after the orphaning"

step "it can still be configured and deleted"
nsx pods "$TWILL" set twill0 peer "$(ul4 hostB)" prefixes 10.244.4.0/24
nsx pods "$IP" link del twill0
