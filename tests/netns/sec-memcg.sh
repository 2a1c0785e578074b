#!/bin/sh
# Memory that netlink input makes the module allocate is charged to the
# caller's memory cgroup: 2,000 peers (one prefix each) set up from a
# process in a fresh cgroup show up in that cgroup's memory.stat as slab
# (peers, table nodes, staging) and as per-CPU memory (each peer's
# counters and route cache), and go again when the peers are removed.
# Needs the cgroup2 memory controller (Debian's kernels have it; the
# minimal debug kernel does not, so this scenario is not in its lane).
. "$(dirname "$0")/lib.sh"

module_load
CG=/sys/fs/cgroup
if ! grep -q "^cgroup2 $CG " /proc/mounts; then
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
# in_cg CMD...: run CMD in the test cgroup.
in_cg() { sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$G" "$@"; }

slab0=$(memstat slab)
pcpu0=$(memstat percpu)
[ -n "$slab0" ] && [ -n "$pcpu0" ] || fail "memory.stat has no slab/percpu lines"
step "2,000 peers set up from the test cgroup"
in_cg "$TW_IP" netns exec "$H" twill setconf twill0 "$conf"
assert_eq "$(in_ns "$H" twill showconf twill0 | grep -c '^\[Peer\]')" 2000 "peers"
slab1=$(memstat slab)
pcpu1=$(memstat percpu)
echo "   slab: $slab0 -> $slab1 bytes, percpu: $pcpu0 -> $pcpu1 bytes"
# A peer is a few hundred bytes of slab and its counters are per CPU: both
# must have been charged here, not to the root cgroup.
[ $((slab1 - slab0)) -ge $((2000 * 256)) ] || fail "peers' slab not charged to the caller's cgroup"
[ $((pcpu1 - pcpu0)) -ge $((2000 * 64)) ] || fail "peers' per-CPU memory not charged to the caller's cgroup"

step "removing them uncharges it"
: >"$TW_TMP/empty.conf"
in_ns "$H" twill setconf twill0 "$TW_TMP/empty.conf"
wait_for 30 sh -c "[ \$(awk '\$1 == \"percpu\" { print \$2 }' '$G/memory.stat') -lt $((pcpu0 + 2000 * 32)) ]"
echo "   percpu after removal: $(memstat percpu) bytes"
