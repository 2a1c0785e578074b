#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/bench/report on a fixture (fixtures/bench-guest.log: a guest's
# output with RESULT lines): the results file it makes (statistics over
# the samples, a non-numeric sample left out, a line without any dropped,
# a CR line end), then the plots (gnuplot: tests/vm/deps.sh installs
# gnuplot-nox) and report.md: each SVG made, with the series expected.
# Nothing is installed here.  Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-report.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
p=0 f=0
ok() { p=$((p + 1)); echo "ok   bench-report/$1"; }
bad() { f=$((f + 1)); echo "FAIL bench-report/$1: $2"; }

# field PART CONFIG METRIC COLUMN: one column of one line of the results
field() {
	awk -F'\t' -v p="$1" -v c="$2" -v m="$3" -v col="$4" '
	NR == 1 { for (i = 1; i <= NF; i++) n[$i] = i; next }
	$1 == p && $2 == c && $3 == m { print $n[col] }' "$tmp/results.tsv"
}
check() { # NAME GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi
}

if tests/bench/report --tsv <tests/unit/fixtures/bench-guest.log >"$tmp/results.tsv"; then
	ok tsv
else
	bad tsv "tests/bench/report --tsv failed"
fi
check header "$(head -n 1 "$tmp/results.tsv" | tr '\t' ' ')" \
	"part config metric size unit n mean min max stddev median values target baseline verdict"
check lines "$(grep -vc '^part' "$tmp/results.tsv")" 35
check mean "$(field dataplane bare udp64 mean) $(field dataplane bare udp64 min) $(field dataplane bare udp64 max) $(field dataplane bare udp64 stddev)" \
	"52000 51000 53000 1000"
check median "$(field svc twill change median) $(field svc twill change n)" "20.1 3"
check non-numeric "$(field dataplane twill tcp4 n) $(field dataplane twill tcp4 mean)" "1 1.95"
check no-samples "$(field bogus x y n)" ""
check cr "$(field nat nft100k conn unit) $(field nat nft100k conn mean)" "conn/s 572.5"
check target "$(field dataplane twill tcp1_vs_bare target) $(field dataplane twill tcp1_vs_bare baseline) $(field dataplane twill tcp1_vs_bare verdict)" \
	">=0.9 bare NO"
check size "$(field controlplane twill lookup_cluster size)" 5004

if ! command -v gnuplot >/dev/null; then
	bad plots "no gnuplot (tests/vm/deps.sh installs gnuplot-nox)"
	echo "$p passed, $f failed"
	exit 1
fi
if tests/bench/report "$tmp/results.tsv" "$tmp/out" >"$tmp/log" 2>&1; then
	ok report
else
	bad report "$(tail -n 5 "$tmp/log")"
fi
# svg NAME SERIES...: NAME.svg made, a whole SVG, with these series
svg() {
	local name=$1 s missing=""
	shift
	if [ ! -s "$tmp/out/$name.svg" ] || ! grep -q '</svg>' "$tmp/out/$name.svg"; then
		bad "$name.svg" "not made"
		return
	fi
	for s in "$@"; do
		grep -qF "<title>$s</title>" "$tmp/out/$name.svg" || missing="$missing '$s'"
	done
	if [ -n "$missing" ]; then bad "$name.svg" "no series$missing"; else ok "$name.svg"; fi
}
svg dataplane-throughput "TCP, 1 stream" "TCP, 4 streams"
svg dataplane-pps "UDP, 64-byte packets"
svg dataplane-rtt "ping RTT"
svg lookup "twill peer table" "kernel FIB (fib_table_lookup)" "twill peer table, realistic cluster table"
svg setup "twill setconf" "flannel way (ip -batch + bridge -batch)"
svg nat "short TCP connections"
svg svc "short TCP connections"
# the configurations as bars: their names on the x axis
missing=""
for c in bare vxlan twill; do
	grep -q ">$c</text>" "$tmp/out/dataplane-throughput.svg" || missing="$missing $c"
done
grep -q '>nft100k</text>' "$tmp/out/nat.svg" || missing="$missing nft100k"
if [ -z "$missing" ]; then ok configs; else bad configs "not on the x axis:$missing"; fi
n=$(grep -c '^!\[.*\](.*\.svg)$' "$tmp/out/report.md" 2>/dev/null || :)
check report.md "$n" 7
# a results file with no lookup figures: no lookup.svg, and no failure
grep -v '	lookup' "$tmp/results.tsv" >"$tmp/nolookup.tsv"
if tests/bench/report "$tmp/nolookup.tsv" "$tmp/out2" >"$tmp/log" 2>&1 && [ ! -e "$tmp/out2/lookup.svg" ] &&
	[ -s "$tmp/out2/dataplane-pps.svg" ]; then
	ok partial
else
	bad partial "$(tail -n 3 "$tmp/log")"
fi
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
