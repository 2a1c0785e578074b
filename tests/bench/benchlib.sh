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
