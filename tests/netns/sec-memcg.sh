#!/bin/sh
# Memory that netlink input makes the module allocate is charged to the
# caller's memory cgroup: 2,000 peers (one prefix each) set up from a
# process in a fresh cgroup show up in that cgroup's memory.stat as slab
# (peers, table nodes, staging) and as per-CPU memory (each peer's
# counters and route cache), and go again when the peers are removed.
# The same for NAT: the flow table's buckets when NAT is turned on, and the
# flows that a pod's traffic makes later (in softirq context), go to the
# cgroup of whoever turned NAT on, and the flows go again with NAT off.
# Needs the cgroup2 memory controller (Debian's kernels have it; the
# minimal debug kernel does not, so this scenario is not in its lane).
. "$(dirname "$0")/lib.sh"

module_load
CG=/sys/fs/cgroup
if ! awk -v d="$CG" '$2 == d && $3 == "cgroup2" { f = 1 } END { exit !f }' /proc/mounts; then
	mount -t cgroup2 none "$CG"
fi
grep -qw memory "$CG/cgroup.controllers" || fail "no memory controller in cgroup2"
echo +memory >"$CG/cgroup.subtree_control"
G=$CG/twill-$$
mkdir "$G"
on_cleanup "rmdir '$G'"

H=$(ns_new host)
ip -n "$H" link add twill0 type twill

conf=$TW_TMP/peers.conf
i=0
while [ $i -lt 2000 ]; do
	printf '[Peer]\nEndpoint = 198.18.%d.%d\nPrefixes = 10.%d.%d.0/24\n\n' \
		$((i / 250)) $((i % 250 + 1)) $((i / 250 + 16)) $((i % 250))
	i=$((i + 1))
done >"$conf"

memstat() { awk -v k="$1" '$1 == k { print $2 }' "$G/memory.stat"; }
# memstat_reaches KEY MIN: whether memory.stat's KEY reaches MIN within
# 10 s.  The kernel flushes a cgroup's per-CPU stat updates when they pass
# a batch or every 2 seconds, so a read right after the allocations may
# show them late (a 6.12 run read slab 0 after 2,000 peers).
memstat_reaches() {
	_end=$(($(date +%s) + 10))
	until [ "$(memstat "$1")" -ge "$2" ]; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.2
	done
}
# in_cg CMD...: run CMD in the test cgroup $G.
in_cg() { sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$G" "$@"; }

slab0=$(memstat slab)
pcpu0=$(memstat percpu)
[ -n "$slab0" ] && [ -n "$pcpu0" ] || fail "memory.stat has no slab/percpu lines"
step "2,000 peers set up from the test cgroup"
in_cg "$TW_IP" netns exec "$H" twill setconf twill0 "$conf"
assert_eq "$(in_ns "$H" twill showconf twill0 | grep -c '^\[Peer\]')" 2000 "peers"
# A peer is a few hundred bytes of slab and its counters are per CPU: both
# must have been charged here, not to the root cgroup.
slab_ok=yes pcpu_ok=yes
memstat_reaches slab $((slab0 + 2000 * 256)) || slab_ok=no
memstat_reaches percpu $((pcpu0 + 2000 * 64)) || pcpu_ok=no
echo "   slab: $slab0 -> $(memstat slab) bytes, percpu: $pcpu0 -> $(memstat percpu) bytes"
[ $slab_ok = yes ] || fail "peers' slab not charged to the caller's cgroup"
[ $pcpu_ok = yes ] || fail "peers' per-CPU memory not charged to the caller's cgroup"

step "removing them uncharges it"
: >"$TW_TMP/empty.conf"
in_ns "$H" twill setconf twill0 "$TW_TMP/empty.conf"
wait_for 30 sh -c "[ \$(awk '\$1 == \"percpu\" { print \$2 }' '$G/memory.stat') -lt $((pcpu0 + 2000 * 32)) ]"
echo "   percpu after removal: $(memstat percpu) bytes"

# NAT: the flow table is charged to whoever turned NAT on, and so are the
# flows, although the datapath makes them in softirq context.
step "NAT turned on from the test cgroup: the flow table's buckets"
P=$(ns_new pod)
O=$(ns_new out)
veth_pair "$H" cni0 "$P" eth0
veth_pair "$H" up0 "$O" eth0
ip -n "$H" addr add 10.244.1.1/24 dev cni0
ip -n "$P" addr add 10.244.1.2/24 dev eth0
ip -n "$P" route add default via 10.244.1.1
ip -n "$H" addr add 198.51.100.2/24 dev up0
ip -n "$O" addr add 198.51.100.1/24 dev eth0
in_ns "$H" sysctl -qw net.ipv4.ip_forward=1
# A cgroup of its own: the peers' cgroup still frees slab pages after
# their grace periods, which made memory.current fall by tens of KiB while
# the table was charged.  In a fresh cgroup nothing can be uncharged, and
# 4 MiB of buckets stand well above what the commands themselves take.
G=$CG/twill-nat-$$
mkdir "$G"
on_cleanup "rmdir '$G'"
cur0=$(cat "$G/memory.current")
in_cg "$TW_IP" netns exec "$H" twill nat set twill0 masquerade 10.244.0.0/16 max-flows 524288
cur1=$(cat "$G/memory.current")
echo "   memory.current: $cur0 -> $cur1 bytes"
# 524,288 buckets of 8 bytes
[ $((cur1 - cur0)) -ge $((524288 * 8)) ] || fail "NAT's flow table not charged to the caller's cgroup"

step "5,000 flows from a pod: charged to the same cgroup"
slab2=$(memstat slab)
in_ns "$P" flowtool udpflows -S 10 -n 500 198.51.100.1 20000 >/dev/null
flows=$(in_ns "$H" twill -j nat show twill0 | tr ',' '\n' |
	sed -n 's/.*"num_flows": *\([0-9]*\).*/\1/p')
assert_eq "$flows" 5000 "flows in the table"
flows_ok=yes
memstat_reaches slab $((slab2 + 5000 * 128)) || flows_ok=no
slab3=$(memstat slab)
echo "   slab: $slab2 -> $slab3 bytes for $flows flows"
[ $flows_ok = yes ] || fail "flows not charged to the cgroup that turned NAT on"

step "NAT off: the flows are uncharged"
in_ns "$H" twill nat set twill0 off
wait_for 30 sh -c "[ \$(awk '\$1 == \"slab\" { print \$2 }' '$G/memory.stat') -lt $((slab3 - 5000 * 96)) ]"
echo "   slab after NAT off: $(memstat slab) bytes"
