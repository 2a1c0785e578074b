#!/bin/sh
# shellcheck shell=dash
# make bench, control plane: small commits per second.  Each `twill set`
# adds or removes one prefix of one peer on a device holding 10,000 other
# prefixes; a removal frees table nodes, which a commit once waited a
# grace period for while holding the generic netlink lock.  Baseline, in
# the same boot: as many `twill route get` calls (the same process start
# and netlink round trip, no commit), so the ratio is the commit's own cost.
# Not a test: prints the figure beside its baseline.
IP=${TW_IP:?iproute2 ip not found}
NS=bench-commits
N=200
"$IP" netns add "$NS" || exit 1
trap '"$IP" netns del "$NS"' EXIT
"$IP" -n "$NS" link add twill0 type twill
i=0
{
	printf '[Peer]\nEndpoint = 192.0.2.3\nPrefixes = '
	while [ $i -lt 10000 ]; do
		printf '10.%d.%d.0/24, ' $((i / 256 + 16)) $((i % 256))
		i=$((i + 1))
	done
	printf '10.200.0.0/24\n'
} >/tmp/commits.conf
"$IP" netns exec "$NS" twill setconf twill0 /tmp/commits.conf || exit 1

# ms ARGS...: milliseconds for N rounds of the loop body ARGS selects.
ms() {
	nstime "$IP" netns exec "$NS" sh -c '
		i=0
		while [ $i -lt '"$N"' ]; do
			if [ "$0" = commit ]; then
				twill set twill0 peer 192.0.2.3 prefixes +10.201.0.0/24 || exit 1
				twill set twill0 peer 192.0.2.3 prefixes -10.201.0.0/24 || exit 1
			else
				twill route get twill0 10.16.0.1 >/dev/null || exit 1
				twill route get twill0 10.16.0.1 >/dev/null || exit 1
			fi
			i=$((i + 1))
		done' "$1" 2>&1 >/dev/null | awk '/^elapsed_ns / { printf "%.0f\n", $2 / 1e6 }'
}
commit_ms=$(ms commit)
show_ms=$(ms lookup)
[ -n "$commit_ms" ] && [ -n "$show_ms" ] || { echo "commits: a run failed"; exit 1; }
echo "== small commits ($((2 * N)) twill set, each adding or removing one prefix, 10k prefixes in the table)"
awk -v c="$commit_ms" -v s="$show_ms" -v n="$((2 * N))" 'BEGIN {
	printf "twill set: %d ms, %.0f commits/s; baseline twill route get: %d ms, %.0f calls/s; set/get time %.2f\n",
		c, n * 1000 / c, s, n * 1000 / s, c / s
	# for the results file of tests/bench/run (benchlib.sh: result)
	if (c > 0 && s > 0) {
		printf "RESULT part=controlplane config=twill metric=small_commits unit=1/s size=10000 values=%.0f\n", n * 1000 / c
		printf "RESULT part=controlplane config=twill metric=route_get_calls unit=1/s size=10000 values=%.0f\n", n * 1000 / s
	} }'
