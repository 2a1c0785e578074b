#!/bin/sh
# shellcheck shell=dash disable=SC2317
# NAT benchmark, run in the VM by tests/bench/run (guest.sh).  Not a test:
# prints figures beside their targets and never fails on a target.
#
# Topology: tests/netns/natlib.sh (hostA with podA1, hostB with podB1,
# twill0 between them; hostA's uplink up0 to the "outside" namespace with
# the server 198.51.100.1).  podA1 -> server, three configurations of
# hostA, alternated every round, each in freshly made namespaces (no
# conntrack entries or flows left from the one before):
#   twill  `twill nat set twill0 masquerade 10.244.0.0/16,fd00:244::/48
#          exclude (the same) max-flows 262144`; nf_conntrack not in use
#   nft    nftables masquerade on nf_conntrack: a postrouting nat chain
#          with `oifname "up0" masquerade` (nf_conntrack_max 262144)
#   bare   no translation at all: the server routes the pod prefix back
#          to hostA (a baseline: what the two endpoints cost by
#          themselves, so that the translation's own cost per connection
#          can be told apart: 1/rate - 1/rate(bare))
# Figures:
#   conn/s   short TCP connections per second (tests/tools/flowtool rate:
#            connect, one request, the answer, close; 2 workers, T s)
#   Gbit/s   bulk TCP, iperf3 -t T, one stream (client CPU 0, server 1)
#   both again with BENCH_NAT_FLOWS (100,000) idle flows in the table:
#   unreplied UDP flows from podA1 (2 sockets x 50,000 destination ports;
#   the server drops them), made again (refreshed: the same ports) before
#   each figure, as UDP flows live 30 s in both tables.
# Memory per flow entry, as the slab allocator counts it: the growth of
# the twill_flow cache (nf_conntrack for nft) over the idle flows, and of
# Slab: in /proc/meminfo (everything: for conntrack its extensions too).
# Targets: twill >= 1.5x nft's connection rate, >= 1.0x its throughput;
# twill loses < 10% of each figure with the idle flows.
#
# Environment: BENCH_ROUNDS (5), BENCH_TIME (seconds per figure, 5),
# BENCH_NAT_FLOWS (100000).
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/../netns/topo.sh"
. "$(dirname "$0")/../netns/natlib.sh"
. "$(dirname "$0")/benchlib.sh"
set +e

ROUNDS=${BENCH_ROUNDS:-5}
T=${BENCH_TIME:-5}
NFLOWS=${BENCH_NAT_FLOWS:-100000}
PER_SOCK=$(((NFLOWS + 1) / 2))
NFLOWS=$((PER_SOCK * 2))
RES=$(mktemp -d /tmp/natbench.XXXXXX)
PAGE=$(getconf PAGESIZE 2>/dev/null || echo 4096)

# -------------------------------------------------------------- set-ups

setup() { # CONFIG
	nat_topo 1 1 >"$RES/topo.log" 2>&1 || return 1
	nsx outside nft -f - <<'NFT' || return 1
table inet sink {
	chain in {
		type filter hook input priority filter;
		udp dport 10000-60000 drop
	}
}
NFT
	bg_in outside "$FLOWTOOL" serve -q 8080 >/dev/null 2>&1
	bg_in outside "$IPERF" -s -p 5201 >/dev/null 2>&1
	topo_wait 20 iperf_listening outside 5201 || return 1
	topo_wait 20 iperf_listening outside 8080 || return 1
	case $1 in
	twill)
		nsx hostA "$TWILL" nat set twill0 masquerade "$CLUSTER" exclude "$CLUSTER" \
			max-flows 262144 || return 1
		;;
	bare)
		nsx outside "$IP" route add 10.244.0.0/16 via "$UP4" || return 1
		nsx outside "$IP" -6 route add fd00:244::/48 via "$UP6" || return 1
		;;
	nft)
		nsx hostA nft -f - <<'NFT' || return 1
table ip natbench {
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "up0" masquerade
	}
}
NFT
		sysctl -qw net.netfilter.nf_conntrack_max=262144 || return 1
		;;
	esac
	nsx podA1 "$PING" -c 2 -i 0.2 -w 5 "$SRV4" >/dev/null 2>&1
}

# entries CONFIG: flows in hostA's table
entries() {
	case $1 in
	twill) nat_get hostA num_flows 2>/dev/null || echo n/a ;;
	nft) nsx hostA cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo n/a ;;
	esac
}

# idle: the idle flows (made, or refreshed: the same source ports)
idle() {
	nsx podA1 "$FLOWTOOL" udpflows -P 20000 -S 2 -n "$PER_SOCK" "$SRV4" 10000 >/dev/null 2>&1
}

# ----------------------------------------------------------------- memory

# cache_bytes NAME: the slab pages of cache NAME, in bytes (n/a if none)
cache_bytes() {
	local d=/sys/kernel/slab/$1 s o
	if [ -r "$d/slabs" ] && [ -r "$d/order" ]; then
		s=$(cut -d' ' -f1 "$d/slabs")
		o=$(cat "$d/order")
		echo $((s * PAGE * (1 << o)))
		return
	fi
	awk -v n="$1" -v pg="$PAGE" '$1 == n { b = $15 * $6 * pg; f = 1 } END { if (f) print b; else print "n/a" }' \
		/proc/slabinfo 2>/dev/null || echo n/a
}
slab_total() { awk '/^Slab:/ { print $2 * 1024 }' /proc/meminfo; }
per() { # BYTES0 BYTES1 N
	awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN {
		if (a == "n/a" || b == "n/a" || n + 0 <= 0) print "n/a"; else printf "%.0f\n", (b - a) / n }'
}

# ---------------------------------------------------------------- figures

# (failed connections, if any, noted in $RES/fails for the round's line)
fig_conn() { conn_rate podA1 "$SRV4" 8080; }
fig_tput() {
	local f
	f=$(nsx podA1 "$IPERF" -c "$SRV4" -p 5201 -A 0,1 -t "$T" -J 2>/dev/null | json_flat) || return 1
	f=$(printf '%s\n' "$f" | grep '^end|sum_received|bits_per_second=' | sed 's/.*=//')
	[ -n "$f" ] && awk -v b="$f" 'BEGIN { printf "%.3f\n", b / 1e9 }'
}

# figures CONFIG SUFFIX [BEFORE]: both figures of CONFIG, recorded as
# CONFIG+SUFFIX and added to $line; BEFORE (a command) runs before each.
figures() {
	local f v
	for f in conn tput; do
		[ -z "${3:-}" ] || "$3"
		if v=$("fig_$f"); then
			record "$1$2" "$f" "$v"
			line="$line $f$2=$v"
		else
			line="$line $f$2=fail"
		fi
		[ "$f" = conn ] && line="$line$(fails_note)"
	done
}

# ---------------------------------------------------------------------- run

# round CONFIG: the figures of CONFIG (set up), printed as one line
round() {
	local c=$1 cache e0 e1 c0 c1 s0 s1 n mc ms
	figures "$c" ""
	if [ "$c" = bare ]; then
		echo "$line"
		return
	fi
	cache=twill_flow
	[ "$c" = nft ] && cache=nf_conntrack
	e0=$(entries "$c")
	c0=$(cache_bytes "$cache")
	s0=$(slab_total)
	idle
	e1=$(entries "$c")
	c1=$(cache_bytes "$cache")
	s1=$(slab_total)
	# per flow made (the table holds them all: e1 says so; TCP flows
	# of the connection figure expiring meanwhile make e1 - e0 less)
	n=$NFLOWS
	mc=$(per "$c0" "$c1" "$n")
	ms=$(per "$s0" "$s1" "$n")
	[ "$mc" = n/a ] || record "$c" memcache "$mc"
	[ "$ms" = n/a ] || record "$c" memslab "$ms"
	line="$line | idle flows: table $e0 -> $e1, $mc B/flow ($cache), $ms B/flow (Slab)"
	[ "$c" = twill ] && line="$line, buckets $(nat_get hostA buckets 2>/dev/null)"
	figures "$c" 100k idle
	line="$line (table after: $(entries "$c"))"
	[ "$c" = twill ] && line="$line drops full $(nat_stat hostA drop_full 2>/dev/null) nomem $(nat_stat hostA drop_nomem 2>/dev/null)"
	echo "$line"
}

echo "== NAT benchmark: $ROUNDS rounds of [twill nft bare], $T s per figure, $NFLOWS idle flows, kernel $(uname -r)"
each_round

# ------------------------------------------------------------------ report

loss() { # EMPTY LOADED -> percent lost
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "n/a" || b == "n/a" || a + 0 <= 0) { print "n/a"; exit }
		printf "%.1f\n", (a - b) / a * 100 }'
}

echo
echo "== NAT figures (medians of $ROUNDS rounds; podA1 -> server through hostA's masquerade)"
printf '%-42s | %10s | %10s | %-9s | %-8s | %s\n' figure nft twill twill/nft target "met?"
printf '%s\n' "-------------------------------------------+------------+------------+-----------+----------+------"
for f in conn tput; do
	case $f in
	conn) name="short TCP connections/s" target=1.5 ;;
	tput) name="bulk TCP Gbit/s" target=1.0 ;;
	esac
	mn=$(median "$RES/nft.$f")
	mt=$(median "$RES/twill.$f")
	rt=$(ratio "$mt" "$mn")
	printf '%-42s | %10s | %10s | %-9s | >= %-5s | %s\n' "$name" "$mn" "$mt" "$rt" "$target" "$(met "$rt" "$target")"
	result nat twill "${f}_vs_nft" ratio "$rt" target=">=$target" baseline=nft verdict="$(met "$rt" "$target")"
	mn=$(median "$RES/nft100k.$f")
	mt=$(median "$RES/twill100k.$f")
	rt=$(ratio "$mt" "$mn")
	printf '%-42s | %10s | %10s | %-9s | %-8s | %s\n' "$name, $NFLOWS idle flows" "$mn" "$mt" "$rt" "-" "(no target)"
done
echo
echo "== the translation's own cost per connection, over bare routing (no target)"
echo "   1/rate - 1/rate(bare), guest microseconds (2 workers); bare: $(median "$RES/bare.conn") connections/s, $(median "$RES/bare.tput") Gbit/s"
cn=$(cost "$(median "$RES/nft.conn")" "$(median "$RES/bare.conn")")
ct=$(cost "$(median "$RES/twill.conn")" "$(median "$RES/bare.conn")")
printf '%-42s | %10s | %10s | %s\n' "" nft twill "nft/twill"
printf '%-42s | %10s | %10s | %s\n' "us per connection above bare" "$cn" "$ct" "$(ratio "$cn" "$ct")"
echo
echo "== loss with $NFLOWS idle flows (target for twill: < 10%)"
printf '%-42s | %10s | %10s | %s\n' figure "nft" "twill" "twill met?"
printf '%s\n' "-------------------------------------------+------------+------------+-----------"
for f in conn tput; do
	case $f in
	conn) name="short TCP connections/s, loss %" ;;
	tput) name="bulk TCP Gbit/s, loss %" ;;
	esac
	ln=$(loss "$(median "$RES/nft.$f")" "$(median "$RES/nft100k.$f")")
	lt=$(loss "$(median "$RES/twill.$f")" "$(median "$RES/twill100k.$f")")
	printf '%-42s | %10s | %10s | %s\n' "$name" "$ln" "$lt" "$(met "$lt" 10 lt)"
	result nat twill "${f}_loss_idle" % "$lt" target="<10" verdict="$(met "$lt" 10 lt)"
	result nat nft "${f}_loss_idle" % "$ln"
done
echo
echo "== memory per flow entry (bytes; medians; no target)"
printf '%-42s | %10s | %10s\n' "" "nft" "twill"
printf '%-42s | %10s | %10s\n' "own cache (nf_conntrack / twill_flow)" "$(median "$RES/nft.memcache")" "$(median "$RES/twill.memcache")"
printf '%-42s | %10s | %10s\n' "Slab: in /proc/meminfo" "$(median "$RES/nft.memslab")" "$(median "$RES/twill.memslab")"
for cache in twill_flow nf_conntrack; do
	d=/sys/kernel/slab/$cache
	if [ -r "$d/object_size" ]; then
		echo "   $cache: object_size $(cat "$d/object_size"), slab_size $(cat "$d/slab_size")$( [ -L "$d" ] && echo ", merged into $(basename "$(readlink "$d")")")"
	fi
done
echo
echo "   raw samples (one line per round):"
for c in twill nft bare twill100k nft100k; do
	for f in conn tput memcache memslab; do
		[ -s "$RES/$c.$f" ] && echo "   $c $f: $(tr '\n' ' ' <"$RES/$c.$f")"
		case $f in
		conn) u=conn/s ;;
		tput) u=Gbit/s ;;
		*) u=B ;;
		esac
		result nat "$c" "$f" "$u" "$(samples "$RES/$c.$f")"
	done
done
rm -rf "$RES"
exit 0
