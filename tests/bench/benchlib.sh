# shellcheck shell=dash
# Sourced by the benchmark parts (tests/bench/*.sh): what they compute
# alike from the samples they record.

# median FILE: the median of FILE's numbers, one a line; n/a for none.
median() {
	if [ ! -s "$1" ]; then
		echo n/a
		return
	fi
	sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratio A B: A/B, three decimals; n/a when either is n/a or not positive.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "n/a" || b == "n/a" || a + 0 <= 0 || b + 0 <= 0) { print "n/a"; exit }
		printf "%.3f\n", a / b }'
}

# record CONFIG FIG VALUE: one sample, to $RES/CONFIG.FIG (for median).
record() {
	echo "$3" >>"$RES/$1.$2"
}

# conn_rate NS DST PORT: short TCP connections per second from NS to
# DST:PORT (tests/tools/flowtool rate: connect, one request, the answer,
# close; 2 workers, $T s).  The failed connections, if any, go to
# $RES/fails for fails_note.
conn_rate() {
	local out
	out=$(nsx "$1" "$FLOWTOOL" rate -T "$T" -c 2 "$2" "$3" 2>/dev/null) || return 1
	printf '%s\n' "$out" | sed -n 's/.* fails=\([0-9]*\) .*/\1/p' >"$RES/fails"
	# the mean connect() time (SYN to SYN-ACK): first-packet latency
	printf '%s\n' "$out" | sed -n 's/.* connect_us=\([0-9.]*\) .*/\1/p' >"$RES/connect_us"
	printf '%s\n' "$out" | sed -n 's/.* rate=\([0-9.]*\)$/\1/p' | grep .
}

# fails_note: " (failed connections: N)" after a conn_rate that had some
# (a rate over failed attempts is not the figure it claims to be).
fails_note() {
	[ -s "$RES/fails" ] && [ "$(cat "$RES/fails")" != 0 ] &&
		printf ' (failed connections: %s)' "$(cat "$RES/fails")"
	rm -f "$RES/fails"
}

# met VALUE TARGET [lt]: yes when VALUE >= TARGET (< TARGET with lt), NO
# when not, n/a without a value.
met() {
	awk -v r="$1" -v t="$2" -v lt="${3:-}" 'BEGIN {
		if (r == "n/a") print "n/a"
		else if (lt != "" ? r + 0 < t : r + 0 >= t) print "yes"
		else print "NO" }'
}

# cost RATE BARE: what a translation adds to each connection, in guest
# microseconds: 1/RATE - 1/BARE (n/a without both).
cost() {
	awk -v r="$1" -v b="$2" 'BEGIN { if (r == "n/a" || b == "n/a" || r + 0 <= 0 || b + 0 <= 0) print "n/a"; else printf "%.1f\n", 1e6 / r - 1e6 / b }'
}

# teardown: a configuration's namespaces and processes gone, a fresh
# TOPO_TMP for the next one.
teardown() {
	topo_cleanup
	# shellcheck disable=SC2034 # topo.sh's (bg_in's logs, srv_start)
	TOPO_TMP=$(mktemp -d /tmp/topo.XXXXXX)
}

# each_round: BENCH_ROUNDS ($ROUNDS) rounds of the configurations
# ($ROUND_CONFIGS, default twill, nft and bare), each in namespaces of its
# own (no state left from the one before): `setup CONFIG` (on failure its
# log, $RES/topo.log, is shown), `round CONFIG`, which adds to $line (begun
# here) and prints it, then teardown.
each_round() {
	local r=1 c
	while [ "$r" -le "$ROUNDS" ]; do
		for c in ${ROUND_CONFIGS:-twill nft bare}; do
			line="round $r: $(printf '%-5s' "$c")"
			if setup "$c"; then
				round "$c"
			else
				echo "$line setup failed:"
				sed 's/^/   | /' "$RES/topo.log" | tail -n 20
			fi
			teardown >/dev/null 2>&1
		done
		r=$((r + 1))
	done
}

# samples FILE: FILE's numbers, comma-separated (nothing without any).
samples() {
	[ -s "$1" ] && tr '\n' ',' <"$1" | sed 's/,$//'
}

# result PART CONFIG METRIC UNIT VALUES [KEY=VALUE...]: one machine-readable
# line beside the human ones, "RESULT part=... config=... metric=...
# unit=... values=V1,V2,... [size=N target=T baseline=B verdict=V]", which
# tests/bench/run collects into its results file (and does not print).
# VALUES: the samples (one a round), comma-separated; nothing is printed
# without any.  No spaces in any value.
result() {
	local p=$1 c=$2 m=$3 u=$4 v=$5
	shift 5
	[ -n "$v" ] && [ "$v" != n/a ] || return 0
	echo "RESULT part=$p config=$c metric=$m unit=$u values=$v${*:+ $*}"
}
