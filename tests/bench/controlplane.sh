#!/bin/sh
# shellcheck shell=dash
# Control-plane benchmark, run in the VM by tests/bench/run (guest.sh) after
# the datapath one.  Not a test: prints figures beside their targets.
#
# usage: controlplane.sh [N...]     (default: 10000 100000 1000000)
#
# For each N, in fresh namespaces, N nodes on both sides:
#   twill    `twill setconf twill0 FILE` with N peers (nodes), each with
#            its own prefix, MAC and underlay address, then the dump time
#            of `twill show DEV dump` and `twill showconf DEV`.
#   flannel  the same N prefixes the way flannel installs them: N nodes,
#            each with its own prefix, its own VTEP MAC and underlay
#            address; per node `route add`, `neigh add ... nud permanent`
#            (ip -batch) and `fdb append` (bridge -batch: ip has no fdb) on
#            a vxlan device.  Dump: ip route + ip neigh + bridge fdb show.
# Prefixes: node/prefix i is a /24 in 10.0.0.0/8 for N <= 65536, a /25 for
# N <= 131072, else a /32 (1M: 10.0.0.0-10.15.255.255), the flannel
# neighbour being the prefix's first address.  Underlay addresses (twill
# peer endpoints, fdb dst) are 2001:db8:1::/48 + i, as 192.0.2.0/24 and
# 198.51.100.0/24 cannot hold N nodes; no packet is ever sent to them.
# Timing: tests/tools/nstime (busybox date has no %N).  Memory, per prefix
# (node), as the slab allocator accounts it: the slab pages of twill's own
# caches (twill_prefix4/6, twill_branch4/6 in /proc/slabinfo: the table),
# and the growth of Slab in /proc/meminfo (every kernel object the setup
# made: table, peers, their stats); MemAvailable's drop beside it.
# Targets: flannel time / twill time >= 3x for setconf vs ip+bridge -batch;
# table <= 80 bytes per prefix.
# A flannel baseline that hits its cap (BENCH_FLANNEL_CAP seconds, killed by
# timeout) counts as the cap, a lower bound; any other failure of either
# side fails the bench with its message.
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/../netns/topo.sh"
. "$(dirname "$0")/benchlib.sh"
set +e

SIZES=${*:-10000 100000 1000000}
W=$TOPO_TMP/cp
mkdir -p "$W"
MEM_KB=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)

command -v "$NSTIME" >/dev/null 2>&1 || {
	echo "controlplane: nstime (tests/tools) missing; build with make -C tests/tools"
	exit 0
}

mem_avail() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }
# Slab: and twill's caches' slab pages, in bytes
slab_total() { awk '/^Slab:/ { print $2 * 1024 }' /proc/meminfo; }
twill_slab() {
	awk -v pg="$(getconf PAGESIZE 2>/dev/null || echo 4096)" '
	/^twill_/ { b += $15 * $6 * pg; n++ }	# num_slabs x pagesperslab
	END { if (n) printf "%d\n", b; else print "n/a" }' /proc/slabinfo
}
# The table's IPv4 directory (one pointer a slot, about one slot a prefix)
# comes from vmalloc, not from a slab: the module's areas in
# /proc/vmallocinfo count with the table.
vmalloc_used() { awk '/\[twill\]/ { b += $2 } END { print b + 0 }' /proc/vmallocinfo; }
per() { # BYTES0 BYTES1 N: bytes per item, or n/a
	awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN {
		if (a == "n/a" || b == "n/a") print "n/a"; else printf "%.0f\n", (b - a) / n }'
}

# die_bench MSG: a failure that is not a measurement ends the bench.
die_bench() {
	echo "controlplane: FAILED: $*" >&2
	exit 1
}

# elapsed_ms NS CMD...: run CMD in NS (output to $W/out), print
# milliseconds or fail.
elapsed_ms() {
	local ns=$1
	shift
	echo 0 >"$W/rc"
	"$NSTIME" "$IP" netns exec "$ns" "$@" >"$W/out" 2>"$W/err" || {
		echo $? >"$W/rc"
		sed 's/^/   | /' "$W/err" | tail -n 5 >&2
		return 1
	}
	ns=$(awk '/^elapsed_ns / { print $2 }' "$W/err")
	awk -v n="$ns" 'BEGIN { printf "%.1f\n", n / 1e6 }'
}

# gen N P: the twill file ($W/twill.conf), flannel batches ($W/ip.batch,
# $W/fdb.batch)
gen() {
	awk -v n="$1" -v np="$2" -v tw="$W/twill.conf" -v ipb="$W/ip.batch" -v fdb="$W/fdb.batch" '
	function pfx(i,   a, b, c) {
		if (n <= 65536) { len = 24; a = int(i / 256); b = i % 256; c = 0 }
		else if (n <= 131072) { len = 25; a = int(i / 512); b = int(i / 2) % 256; c = (i % 2) * 128 }
		else { len = 32; a = int(i / 65536); b = int(i / 256) % 256; c = i % 256 }
		net = sprintf("10.%d.%d.%d", a, b, c)
		return net "/" len
	}
	function ul(i) { return sprintf("2001:db8:1::%x:%x", int(i / 65536), i % 65536) }
	function mac(i) { return sprintf("02:6e:%02x:%02x:%02x:%02x", int(i / 16777216) % 256, int(i / 65536) % 256, int(i / 256) % 256, i % 256) }
	BEGIN {
		printf "[Device]\nMAC = 02:74:77:00:00:01\n" > tw
		for (j = 0; j < np; j++) {
			printf "\n[Peer]\nEndpoint = %s\nMAC = %s\nPrefixes = ", ul(j), mac(j) > tw
			first = 1
			for (i = j; i < n; i += np) {
				printf "%s%s", (first ? "" : ","), pfx(i) > tw
				first = 0
			}
			printf "\n" > tw
		}
		for (i = 0; i < n; i++) {
			p = pfx(i)
			printf "route add %s via %s dev flannel.1 onlink\n", p, net > ipb
			printf "neigh add %s lladdr %s dev flannel.1 nud permanent\n", net, mac(i) > ipb
			printf "fdb append %s dev flannel.1 dst %s\n", mac(i), ul(i) > fdb
		}
	}'
}

printf '%s\n' "== control-plane benchmark (kernel $(uname -r), $((MEM_KB / 1024)) MiB RAM)"
RESULTS=""
for n in $SIZES; do
	np=$n
	# 1M needs room: files (~200 MB in tmpfs) plus the kernel tables.
	if [ "$n" -ge 1000000 ] && [ "$MEM_KB" -lt 3500000 ]; then
		echo "   N=$n skipped: needs a VM with >= 4G (tests/bench/run --mem 6G)"
		RESULTS="$RESULTS
$n|$np|skipped (memory)||||||"
		continue
	fi
	echo "== N=$n nodes, one prefix each (twill: $np peers; flannel: $n nodes)"
	t0=$("$NSTIME")
	gen "$n" "$np"
	t1=$("$NSTIME")
	echo "   generated files in $(((t1 - t0) / 1000000)) ms: twill $(wc -c <"$W/twill.conf") bytes, ip batch $(wc -l <"$W/ip.batch") lines, fdb batch $(wc -l <"$W/fdb.batch") lines"

	# --- twill
	topo_ns_add cpT >/dev/null
	nsx cpT "$IP" link add twill0 type twill
	if [ "$np" -gt 16000 ]; then
		nsx cpT "$TWILL" set twill0 max-peers "$np" || die_bench "twill set max-peers $np"
	fi
	if [ "$n" -gt 2000000 ]; then
		nsx cpT "$TWILL" set twill0 max-prefixes "$n" || die_bench "twill set max-prefixes $n"
	fi
	m0=$(mem_avail)
	s0=$(slab_total)
	t0=$(twill_slab)
	v0=$(vmalloc_used)
	tw_set=$(elapsed_ms cpT "$TWILL" setconf twill0 "$W/twill.conf") ||
		die_bench "twill setconf of $n nodes: $(tail -n 3 "$W/err")"
	m1=$(mem_avail)
	s1=$(slab_total)
	t1=$(twill_slab)
	v1=$(vmalloc_used)
	tw_count=$(num_prefixes cpT)
	[ "$tw_count" = "$n" ] || die_bench "twill0 has ${tw_count:-no} prefixes after setconf, not $n"
	tw_dump=$(elapsed_ms cpT "$TWILL" show twill0 dump) || die_bench "twill show dump: $(tail -n 3 "$W/err")"
	tw_dump_lines=$(wc -l <"$W/out")
	tw_conf=$(elapsed_ms cpT "$TWILL" showconf twill0) || die_bench "twill showconf: $(tail -n 3 "$W/err")"
	tw_again=$(elapsed_ms cpT "$TWILL" syncconf twill0 "$W/twill.conf") || die_bench "twill syncconf: $(tail -n 3 "$W/err")"
	tw_tbl=$(per "$t0" "$t1" "$n")
	tw_dir=$(per "$v0" "$v1" "$n")
	[ "$tw_tbl" = n/a ] || tw_tbl=$((tw_tbl + tw_dir))
	tw_slab=$(per "$s0" "$s1" "$n")
	tw_bpp=$(awk -v a="$m0" -v b="$m1" -v n="$n" 'BEGIN { printf "%.0f\n", (a - b) * 1024 / n }')
	echo "   twill: setconf ${tw_set} ms (num_prefixes ${tw_count}), syncconf unchanged ${tw_again} ms, show dump ${tw_dump} ms ($tw_dump_lines lines), showconf ${tw_conf} ms"
	echo "   twill memory per node: table ${tw_tbl} B (slab pages of twill_* caches + ${tw_dir} B of twill's vmalloc areas: the directory), all slab ${tw_slab} B (Slab:), ~${tw_bpp} B (MemAvailable)"
	"$IP" netns del cpT
	topo_ns_forget cpT

	# --- flannel
	topo_ns_add cpF >/dev/null
	# (permanent entries do not count against gc_thresh; global sysctls)
	sysctl -qw net.ipv4.neigh.default.gc_thresh1=2000000000 \
		net.ipv4.neigh.default.gc_thresh2=2000000000 \
		net.ipv4.neigh.default.gc_thresh3=2000000000 >/dev/null
	nsx cpF "$IP" link add dummy0 type dummy
	nsx cpF "$IP" addr add 2001:db8::1/64 dev dummy0 nodad
	nsx cpF "$IP" link set dummy0 up
	nsx cpF "$IP" link add flannel.1 type vxlan id 1 dstport 8472 local 2001:db8::1 dev dummy0 nolearning
	nsx cpF "$IP" link set flannel.1 mtu 1430 up
	nsx cpF "$IP" addr add 10.244.99.0/32 dev flannel.1
	m0=$(mem_avail)
	# The kernel's neighbour and FDB inserts grow superlinearly: the
	# baseline stops at BENCH_FLANNEL_CAP seconds (default 300) and then
	# counts as exactly the cap, so the ratio below is a lower bound.
	cap=${BENCH_FLANNEL_CAP:-300}
	# Only the cap (timeout's SIGKILL: status 137) makes a lower bound.
	if fl_ip=$(elapsed_ms cpF timeout -s KILL "$cap" "$IP" -batch "$W/ip.batch"); then
		fl_fdb=$(elapsed_ms cpF "$BRIDGE" -batch "$W/fdb.batch") ||
			die_bench "flannel baseline: bridge -batch failed: $(tail -n 3 "$W/err")"
	elif [ "$(cat "$W/rc")" = 137 ]; then
		fl_ip=$((cap * 1000)) fl_fdb=0
		echo "   flannel: ip -batch stopped after ${cap} s (cap): flannel time and ratio are lower bounds"
	else
		die_bench "flannel baseline: ip -batch failed (exit $(cat "$W/rc")): $(tail -n 3 "$W/err")"
	fi
	m1=$(mem_avail)
	fl_set=$(awk -v a="$fl_ip" -v b="$fl_fdb" 'BEGIN { if (a == "fail" || b == "fail") print "fail"; else printf "%.1f\n", a + b }')
	fl_r=$(elapsed_ms cpF "$IP" route show dev flannel.1) || die_bench "ip route show: $(tail -n 3 "$W/err")"
	fl_routes=$(wc -l <"$W/out")
	fl_n=$(elapsed_ms cpF "$IP" neigh show dev flannel.1) || die_bench "ip neigh show: $(tail -n 3 "$W/err")"
	fl_f=$(elapsed_ms cpF "$BRIDGE" fdb show dev flannel.1) || die_bench "bridge fdb show: $(tail -n 3 "$W/err")"
	fl_dump=$(awk -v a="$fl_r" -v b="$fl_n" -v c="$fl_f" 'BEGIN { if (a == "fail" || b == "fail" || c == "fail") print "fail"; else printf "%.1f\n", a + b + c }')
	fl_bpp=$(awk -v a="$m0" -v b="$m1" -v n="$n" 'BEGIN { printf "%.0f\n", (a - b) * 1024 / n }')
	echo "   flannel: ip -batch ${fl_ip} ms + bridge -batch ${fl_fdb} ms = ${fl_set} ms ($fl_routes routes), dump ${fl_dump} ms (route ${fl_r} + neigh ${fl_n} + fdb ${fl_f}), ~${fl_bpp} B/node (MemAvailable)"
	"$IP" netns del cpF
	topo_ns_forget cpF
	rm -f "$W/twill.conf" "$W/ip.batch" "$W/fdb.batch" "$W/out"
	RESULTS="$RESULTS
$n|$np|$tw_set|$fl_set|$tw_dump|$fl_dump|$tw_tbl|$tw_slab|$fl_bpp"
	# let the namespaces' teardown finish before the next size
	sleep 2
done

echo
echo "== control-plane figures (ms; targets: flannel/twill setup time >= 3x, table <= 80 B/prefix)"
printf '%-9s | %6s | %12s | %14s | %-14s | %-5s | %10s | %12s | %9s | %-5s | %9s | %9s\n' \
	nodes peers "twill setconf" "flannel batch" "ratio (>=3.0)" "met?" "twill dump" "flannel dump" "table B/p" "met?" "slab B/p" "flan. B/n"
printf '%s\n' "----------+--------+---------------+----------------+----------------+-------+------------+--------------+-----------+-------+-----------+----------"
printf '%s\n' "$RESULTS" | while IFS='|' read -r n np ts fs td fd tt tb fb; do
	[ -n "$n" ] || continue
	r=$(awk -v t="$ts" -v f="$fs" 'BEGIN { if (t + 0 <= 0 || f + 0 <= 0) print "n/a"; else printf "%.2f\n", f / t }')
	m=$(awk -v r="$r" 'BEGIN { if (r == "n/a") print "n/a"; else if (r + 0 >= 3) print "yes"; else print "NO" }')
	mt=$(awk -v b="$tt" 'BEGIN { if (b == "n/a" || b == "") print "n/a"; else if (b + 0 <= 80) print "yes"; else print "NO" }')
	printf '%-9s | %6s | %13s | %14s | %-14s | %-5s | %10s | %12s | %9s | %-5s | %9s | %9s\n' "$n" "$np" "$ts" "$fs" "$r" "$m" "$td" "$fd" "$tt" "$mt" "$tb" "$fb"
	result controlplane twill setup ms "$ts" size="$n"
	result controlplane flannel setup ms "$fs" size="$n"
	result controlplane twill setup_vs_flannel ratio "$r" size="$n" target=">=3.0" baseline=flannel verdict="$m"
	result controlplane twill dump ms "$td" size="$n"
	result controlplane flannel dump ms "$fd" size="$n"
	result controlplane twill table_bytes_per_prefix B "$tt" size="$n" target="<=80" verdict="$mt"
	result controlplane twill slab_bytes_per_prefix B "$tb" size="$n"
	result controlplane flannel mem_bytes_per_node B "$fb" size="$n"
done
echo "   table B/p: slab pages of twill's node caches per prefix, plus twill's vmalloc areas"
echo "   (/proc/vmallocinfo: the table's directory) (n/a: the kernel merged"
echo "   the caches into others, so /proc/slabinfo has no twill_* line)"

# Hooks: other control-plane figures (in-kernel lookup ns, table bytes per
# prefix via the module's debug parameter) live in tests/bench/hook-*.sh;
# each runs here, in the same VM, with the sizes as arguments, and prints
# its own table.
export TW_IP
for h in "$(dirname "$0")"/hook-*.sh; do
	[ -f "$h" ] || continue
	echo
	echo "== $(basename "$h")"
	# shellcheck disable=SC2086 # one argument per size
	sh "$h" $SIZES
done
exit 0
