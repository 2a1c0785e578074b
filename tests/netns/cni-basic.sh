#!/bin/sh
# shellcheck shell=dash
# twill-cni (/usr/lib/cni/twill), driven the way a container runtime drives
# a CNI plugin (CNI_* in the environment, the configuration on stdin), with
# Debian's host-local for IPAM and portmap chained after it.  Two hosts
# joined by twill; pods (namespaces) get their network from the plugin and
# reach each other by address, IPv4 and IPv6.  Then: CHECK, and CHECK
# after a manual change; DEL twice and with the namespace gone; ADD/DEL
# TWILL_CNI_LOOPS times with nothing leaked (veth, address, route, IPAM
# lease, cache); invalid input, each refusal with its spec code and
# nothing left behind, an ADD failing part-way unwound; a conflist chain
# twill -> portmap -> tuning -> bandwidth: a host port reaches the pod, a
# sysctl set in the pod, the host end shaped.
#
# hostA runs the smallest configuration (everything from
# /run/twill/subnet.env); hostB names its own subnet file, cache and
# host-local directory (the two hosts share the guest's filesystem).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

PLUGIN=/usr/lib/cni/twill
CNI_PATH=/usr/lib/cni
LOOPS=${TWILL_CNI_LOOPS:-100}
FLOWTOOL=${FLOWTOOL:-flowtool}
if ! command -v "$FLOWTOOL" >/dev/null 2>&1 && [ -x "$TOPO_DIR/../tools/flowtool" ]; then
	FLOWTOOL=$TOPO_DIR/../tools/flowtool
fi
echo "TWILL_CNI_LOOPS=$LOOPS"

# The lane installs all of these: a missing one is a failure, not a skip.
for f in "$PLUGIN" "$CNI_PATH/host-local" "$CNI_PATH/portmap" "$CNI_PATH/tuning" "$CNI_PATH/bandwidth"; do
	[ -x "$f" ] || t_fail "$f is not in the guest (tests/vm/mkinitramfs, tests/vm/run)"
done
command -v "$FLOWTOOL" >/dev/null 2>&1 || t_fail "flowtool (tests/tools) is not in the guest"

NET=pods
CONF_A='{"cniVersion":"1.0.0","name":"pods","type":"twill"}'
IPAM_A=/var/lib/cni/networks/$NET
CACHE_A=/var/lib/cni/twill
CONF_B="{\"cniVersion\":\"1.0.0\",\"name\":\"$NET\",\"type\":\"twill\",
 \"subnetFile\":\"$TW_TMP/hostB/subnet.env\",\"dataDir\":\"$TW_TMP/hostB/cache\",
 \"ipam\":{\"type\":\"host-local\",\"dataDir\":\"$TW_TMP/hostB/ipam\"}}"
IPAM_B=$TW_TMP/hostB/ipam/$NET
CACHE_B=$TW_TMP/hostB/cache

cni_cleanup() {
	rm -rf /run/twill "$IPAM_A" "$CACHE_A"
}
on_cleanup cni_cleanup
cni_cleanup

# cni HOST COMMAND POD CONF [CONTAINERID]: the plugin in HOST for the pod
# namespace POD (CNI_NETNS /run/netns/POD; POD "" leaves CNI_NETNS empty),
# CNI_IFNAME eth0; CNI_OUT its stdout, CNI_ERR its stderr, CNI_RC its exit
# status.
cni() {
	local h=$1 cmd=$2 pod=$3 conf=$4 id=${5:-c-$3}
	CNI_RC=0
	CNI_OUT=$(printf '%s' "$conf" | nsx "$h" env CNI_COMMAND="$cmd" \
		CNI_CONTAINERID="$id" CNI_NETNS="${pod:+/run/netns/$pod}" \
		CNI_IFNAME=eth0 CNI_PATH="$CNI_PATH" "$PLUGIN" 2>"$TW_TMP/cni.err") || CNI_RC=$?
	CNI_ERR=$(cat "$TW_TMP/cni.err")
}

# cni_ok HOST COMMAND POD CONF [ID]: must succeed
cni_ok() {
	cni "$@"
	if [ "$CNI_RC" != 0 ]; then
		printf '%s\n%s\n' "$CNI_OUT" "$CNI_ERR" | sed 's/^/   | /' >&2
		t_fail "$2 for $3 on $1 exited $CNI_RC"
	fi
}

# cni_refused CODE TEXT HOST COMMAND POD CONF [ID]: must fail (exit 1)
# with a CNI error object of this code whose message has TEXT
cni_refused() {
	local code=$1 text=$2 got
	shift 2
	cni "$@"
	[ "$CNI_RC" = 1 ] || t_fail "$2 for $3: exit $CNI_RC, not 1 (a refusal): $CNI_OUT $CNI_ERR"
	got=$(printf '%s\n' "$CNI_OUT" | json_get code)
	[ "$got" = "$code" ] || t_fail "$2 for $3: code '$got', not $code: $CNI_OUT"
	check_contains "$(printf '%s\n' "$CNI_OUT" | json_get msg)" "$text" "$2 refused with code $code: $text"
}

# result_get KEY: a value of the last result (a json_flat path)
result_get() { printf '%s\n' "$CNI_OUT" | json_get "$1"; }

# with_prev CONF RESULT: CONF with "prevResult": RESULT
with_prev() {
	printf '%s,"prevResult":%s}' "${1%\}}" "$2"
}

# leases DIR: host-local's leases in DIR (files named after an address)
leases() {
	[ -d "$1" ] || {
		echo 0
		return
	}
	find "$1" -maxdepth 1 -type f ! -name 'last_reserved_ip*' ! -name lock | grep -c . || :
}

# files DIR: how many files DIR holds (0 if it does not exist)
files() {
	[ -d "$1" ] || {
		echo 0
		return
	}
	find "$1" -mindepth 1 -maxdepth 1 | grep -c . || :
}

# host_veths HOST: the pods' host ends (tw + 8 hex digits; ul0 is a veth too)
host_veths() { nsx "$1" "$IP" -o link show | grep -c ': tw[0-9a-f]\{8\}@' || :; }
# host_state HOST: its addresses and routes, to compare before and after
host_state() {
	nsx "$1" "$IP" -o addr show | sed 's/valid_lft.*//; s/ tentative//'
	nsx "$1" "$IP" route show
	nsx "$1" "$IP" -6 route show
}

# nothing_left HOST IPAMDIR CACHEDIR BASELINE WHAT: no veth, addresses and
# routes as in BASELINE, no lease, no cache entry
nothing_left() {
	check_eq "$(host_veths "$1")" 0 "$5: no veth left on $1"
	check_eq "$(host_state "$1")" "$4" "$5: $1's addresses and routes as before"
	check_eq "$(leases "$2")" 0 "$5: no host-local lease left"
	check_eq "$(files "$3")" 0 "$5: no cache entry left"
}

step "topology: hostA, hostB, twill0 mesh (IPv4 underlay)"
topo_hosts hostA hostB
topo_twill_mesh 4 hostA hostB
# the veths take twill0's MTU, not FLANNEL_MTU
nsx hostA "$IP" link set twill0 mtu 1400
nsx hostB "$IP" link set twill0 mtu 1400
mkdir -p /run/twill
for h in hostA hostB; do
	n=$(host_idx "$h")
	mkdir -p "$TW_TMP/$h"
	printf 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.%s.1/24\nFLANNEL_IPV6_NETWORK=fd00:244::/48\nFLANNEL_IPV6_SUBNET=fd00:244:0:%s::1/64\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n' \
		"$n" "$n" >"$TW_TMP/$h/subnet.env"
done
cp "$TW_TMP/hostA/subnet.env" /run/twill/subnet.env
# ADD turns forwarding on (topo_ns_add had)
nsx hostA sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
BASE_A=$(host_state hostA)
BASE_B=$(host_state hostB)

step "VERSION"
cni_ok hostA VERSION "" '{"cniVersion":"1.0.0"}'
check_contains "$CNI_OUT" '"supportedVersions"' "VERSION lists versions"
check_contains "$CNI_OUT" '"1.0.0"' "VERSION has 1.0.0"
check_eq "$(result_get cniVersion)" 1.0.0 "VERSION answers in the asked version"

step "ADD: a pod on each host (hostA: the smallest configuration)"
topo_ns_add podA1
topo_ns_add podB1
cni_ok hostA ADD podA1 "$CONF_A"
RES_A1=$CNI_OUT
printf '%s\n' "$RES_A1" | sed 's/^/   | /'
check_eq "$(result_get 'ips|0|address')" 10.244.1.2/32 "podA1's IPv4 (host-local's first, as a host address)"
check_eq "$(result_get 'ips|0|gateway')" 10.244.1.1 "podA1's IPv4 gateway"
check_eq "$(result_get 'ips|1|address')" fd00:244:0:1::2/128 "podA1's IPv6"
check_eq "$(result_get 'interfaces|1|name')" eth0 "the container's interface"
check_eq "$(result_get 'interfaces|1|sandbox')" /run/netns/podA1 "its sandbox"
HOSTIF_A1=$(result_get 'interfaces|0|name')
case $HOSTIF_A1 in tw????????) info "ok: host end $HOSTIF_A1" ;; *) t_fail "host end '$HOSTIF_A1'" ;; esac
cni_ok hostB ADD podB1 "$CONF_B"
check_eq "$(result_get 'ips|0|address')" 10.244.2.2/32 "podB1's IPv4"
check_eq "$(result_get 'ips|1|address')" fd00:244:0:2::2/128 "podB1's IPv6"

step "what ADD made: veth, addresses, routes, MTU"
check_contains "$(nsx podA1 "$IP" -4 addr show dev eth0)" "inet 10.244.1.2/32" "podA1 eth0 has 10.244.1.2/32"
check_contains "$(nsx podA1 "$IP" -6 addr show dev eth0)" "inet6 fd00:244:0:1::2/128" "podA1 eth0 has fd00:244:0:1::2/128"
check_contains "$(nsx podA1 "$IP" -4 route show default)" "default via 10.244.1.1 dev eth0" "podA1's IPv4 default route"
check_contains "$(nsx podA1 "$IP" -6 route show default)" "default via fd00:244:0:1::1 dev eth0" "podA1's IPv6 default route"
check_contains "$(nsx podA1 "$IP" link show dev eth0)" "mtu 1400" "podA1 eth0 has twill0's MTU"
check_contains "$(nsx hostA "$IP" link show dev "$HOSTIF_A1")" "mtu 1400" "host end has twill0's MTU"
check_contains "$(nsx hostA "$IP" -4 route show dev "$HOSTIF_A1")" "10.244.1.2 proto static scope link" "hostA: host route to podA1"
check_contains "$(nsx hostA "$IP" -6 route show dev "$HOSTIF_A1")" "fd00:244:0:1::2" "hostA: IPv6 host route to podA1"
check_contains "$(nsx hostA "$IP" -4 addr show dev "$HOSTIF_A1")" "inet 10.244.1.1/32" "hostA: the gateway on the host end"
check_eq "$(leases "$IPAM_A")" 2 "hostA: host-local leased two addresses"
check_eq "$(files "$CACHE_A")" 1 "hostA: one cache entry"
check_eq "$(nsx hostA cat /proc/sys/net/ipv4/ip_forward)" 1 "hostA: IPv4 forwarding turned on"
check_eq "$(nsx hostA cat /proc/sys/net/ipv6/conf/all/forwarding)" 1 "hostA: IPv6 forwarding turned on"

step "pods reach each other across twill by address"
for fam in 4 6; do
	if [ $fam = 4 ]; then a=10.244.1.2 b=10.244.2.2; else a=fd00:244:0:1::2 b=fd00:244:0:2::2; fi
	ping_ok podA1 "$b"
	ping_ok podB1 "$a"
	ping_ok hostA "$a"
done

step "CHECK: passes, then fails with code 100 after manual changes"
CHECK_A1=$(with_prev "$CONF_A" "$RES_A1")
cni_ok hostA CHECK podA1 "$CHECK_A1"
info "ok: CHECK of an untouched pod"
cni_refused 7 'CHECK needs' hostA CHECK podA1 "$CONF_A"
nsx podA1 "$IP" route del default via 10.244.1.1
cni_refused 100 'no route to 0.0.0.0/0' hostA CHECK podA1 "$CHECK_A1"
nsx podA1 "$IP" route add default via 10.244.1.1 dev eth0
cni_ok hostA CHECK podA1 "$CHECK_A1"
nsx podA1 "$IP" addr del fd00:244:0:1::2/128 dev eth0
cni_refused 100 'has no address fd00:244:0:1::2/128' hostA CHECK podA1 "$CHECK_A1"
nsx hostA "$IP" link set "$HOSTIF_A1" down
cni_refused 100 "is down" hostA CHECK podA1 "$CHECK_A1"
nsx hostA "$IP" link set "$HOSTIF_A1" up

step "DEL twice"
cni_ok hostA DEL podA1 "$CONF_A"
cni_ok hostA DEL podA1 "$CONF_A"
check_lacks "$(nsx podA1 "$IP" link show)" "eth0" "podA1 has no eth0"
cni_ok hostB DEL podB1 "$CONF_B"
cni_ok hostB DEL podB1 "$CONF_B"
nothing_left hostA "$IPAM_A" "$CACHE_A" "$BASE_A" "after DEL"
nothing_left hostB "$IPAM_B" "$CACHE_B" "$BASE_B" "after DEL"

step "DEL with the namespace gone"
topo_ns_add podA2
cni_ok hostA ADD podA2 "$CONF_A"
"$IP" netns del podA2
topo_ns_forget podA2
cni_ok hostA DEL podA2 "$CONF_A"
# and a runtime that no longer passes CNI_NETNS
topo_ns_add podA2
cni_ok hostA ADD podA2 "$CONF_A"
"$IP" netns del podA2
topo_ns_forget podA2
cni_ok hostA DEL "" "$CONF_A" c-podA2
nothing_left hostA "$IPAM_A" "$CACHE_A" "$BASE_A" "after DEL without a namespace"

step "ADD/DEL $LOOPS times"
topo_ns_add podA3
i=0
while [ "$i" -lt "$LOOPS" ]; do
	cni_ok hostA ADD podA3 "$CONF_A" "loop-$i"
	a=$(result_get 'ips|0|address')
	case $(nsx podA3 "$IP" -4 addr show dev eth0) in
	*"inet $a "*) ;;
	*) t_fail "ADD $i: podA3's eth0 lacks $a ($CNI_OUT)" ;;
	esac
	cni_ok hostA DEL podA3 "$CONF_A" "loop-$i"
	i=$((i + 1))
done
info "ok: $LOOPS ADD/DEL rounds"
check_lacks "$(nsx podA3 "$IP" link show)" "eth0" "podA3 has no eth0"
nothing_left hostA "$IPAM_A" "$CACHE_A" "$BASE_A" "after $LOOPS rounds"

step "invalid input: each refusal has its code, nothing is left"
cni_refused 6 'not JSON' hostA ADD podA3 '{"cniVersion":'
cni_refused 6 'no network configuration' hostA ADD podA3 ''
cni_refused 1 'not supported' hostA ADD podA3 '{"cniVersion":"9.9.9","name":"pods","type":"twill"}'
cni_refused 7 '"mtu" must be an integer' hostA ADD podA3 '{"cniVersion":"1.0.0","name":"pods","type":"twill","mtu":"x"}'
cni_refused 7 'not "twill"' hostA ADD podA3 '{"cniVersion":"1.0.0","name":"pods","type":"bridge"}'
cni_refused 4 'CNI_CONTAINERID' hostA ADD podA3 "$CONF_A" "../x"
cni_refused 4 'CNI_NETNS is not set' hostA ADD "" "$CONF_A"
cni_refused 3 'CNI_NETNS /run/netns/nosuchpod' hostA ADD nosuchpod "$CONF_A"
cni_refused 11 'subnet file' hostA ADD podA3 '{"cniVersion":"1.0.0","name":"pods","type":"twill","subnetFile":"/nonexistent"}'
cni_refused 7 'not found in CNI_PATH' hostA ADD podA3 '{"cniVersion":"1.0.0","name":"pods","type":"twill","ipam":{"type":"nosuchipam"}}'
cni_refused 1 'CHECK needs cniVersion 0.4.0' hostA CHECK podA3 '{"cniVersion":"0.3.1","name":"pods","type":"twill"}'
cni_refused 4 'is not ADD, DEL' hostA FROB podA3 "$CONF_A"
nothing_left hostA "$IPAM_A" "$CACHE_A" "$BASE_A" "after the refusals"

step "an ADD failing part-way is unwound (eth0 exists in the pod)"
nsx podA3 "$IP" link add eth0 type dummy
cni_refused 7 'exists' hostA ADD podA3 "$CONF_A"
nsx podA3 "$IP" link del eth0
nothing_left hostA "$IPAM_A" "$CACHE_A" "$BASE_A" "after a failed ADD"

step "chaining: twill -> portmap (a conflist), hostB reaches podA1:80 through hostA:8080"
cni_ok hostA ADD podA1 "$CONF_A"
RES_A1=$CNI_OUT
A1=$(result_get 'ips|0|address')
A1=${A1%/32}
info "podA1 is $A1 now"
PM='{"cniVersion":"1.0.0","name":"pods","type":"portmap","capabilities":{"portMappings":true},"runtimeConfig":{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]}}'
PM_ADD=$(with_prev "$PM" "$RES_A1")
# plug COMMAND TYPE CONF: Debian's plugin TYPE in hostA for podA1, as the
# runtime runs a chain; PLUG_OUT its result
plug() {
	local out rc=0
	out=$(printf '%s' "$3" | nsx hostA env CNI_COMMAND="$1" CNI_CONTAINERID=c-podA1 \
		CNI_NETNS=/run/netns/podA1 CNI_IFNAME=eth0 CNI_PATH="$CNI_PATH" \
		"$CNI_PATH/$2" 2>&1) || rc=$?
	[ $rc = 0 ] || t_fail "$2 $1: exit $rc: $out"
	PLUG_OUT=$out
}
plug ADD portmap "$PM_ADD"
PM_OUT=$PLUG_OUT
# portmap passes the result on: the runtime's final result is twill's
check_eq "$(printf '%s\n' "$PM_OUT" | json_get 'ips|0|address')" "$A1/32" "portmap's result keeps twill's address"
check_contains "$(nsx hostA iptables -t nat -S)" "--to-destination $A1:80" "portmap's DNAT rule to podA1"
bg_in podA1 "$FLOWTOOL" serve 80 >"$TW_TMP/srv.log" 2>&1
topo_wait 20 grep -q '^listening' "$TW_TMP/srv.log" || t_fail "flowtool serve in podA1 did not start"
out=$(nsx hostB "$FLOWTOOL" connect -t 10 "$(ul4 hostA)" 8080 2>&1) || t_fail "flowtool connect: $out"
check_eq "$(printf '%s\n' "$out" | grep '^ok=')" "ok=1 fail=0" "hostB -> hostA:8080 -> podA1:80"
check_contains "$(cat "$TW_TMP/srv.log")" "tcp 192.0.2.2" "podA1 saw hostB's connection"

step "chaining: ... -> tuning -> bandwidth (a sysctl in the pod, a rate on the host end)"
TU='{"cniVersion":"1.0.0","name":"pods","type":"tuning","sysctl":{"net.core.somaxconn":"512"}}'
# ingress only: a tbf on the host end (egress would need an ifb device)
BW='{"cniVersion":"1.0.0","name":"pods","type":"bandwidth","capabilities":{"bandwidth":true},"runtimeConfig":{"bandwidth":{"ingressRate":100000000,"ingressBurst":1000000}}}'
plug ADD tuning "$(with_prev "$TU" "$PM_OUT")"
TU_OUT=$PLUG_OUT
check_eq "$(nsx podA1 cat /proc/sys/net/core/somaxconn)" 512 "tuning set podA1's net.core.somaxconn"
plug ADD bandwidth "$(with_prev "$BW" "$TU_OUT")"
BW_OUT=$PLUG_OUT
check_eq "$(printf '%s\n' "$BW_OUT" | json_get 'ips|0|address')" "$A1/32" "the chain's result keeps twill's address"
check_contains "$(nsx hostA tc qdisc show dev "$(printf '%s\n' "$BW_OUT" | json_get 'interfaces|0|name')")" "tbf" \
	"bandwidth found twill's host end in the result and shaped it"
out=$(nsx hostB "$FLOWTOOL" connect -t 10 "$(ul4 hostA)" 8080 2>&1) || t_fail "flowtool connect: $out"
check_eq "$(printf '%s\n' "$out" | grep '^ok=')" "ok=1 fail=0" "hostB -> hostA:8080 -> podA1:80 through the shaped host end"
# twill's CHECK of the chain's result (portmap's own CHECK is left out:
# Debian's portmap 1.1.1 fails it on a dual-stack result, looking for its
# IPv4 rules in ip6tables; containernetworking/plugins#819), then DEL in
# reverse order
cni_ok hostA CHECK podA1 "$(with_prev "$CONF_A" "$BW_OUT")"
plug DEL bandwidth "$(with_prev "$BW" "$BW_OUT")"
plug DEL tuning "$(with_prev "$TU" "$BW_OUT")"
plug DEL portmap "$(with_prev "$PM" "$BW_OUT")"
check_lacks "$(nsx hostA iptables -t nat -S)" "$A1:80" "portmap's DNAT rule removed"
cni_ok hostA DEL podA1 "$CONF_A"
nothing_left hostA "$IPAM_A" "$CACHE_A" "$BASE_A" "after the chain's DEL"

echo "PASS: cni-basic"
