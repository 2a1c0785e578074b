#!/bin/sh
# Repeated full replaces (twill setconf, several staged messages each) never
# make an unchanged prefix disappear: a concurrent `twill route get` loop
# sees no miss.
. "$(dirname "$0")/lib.sh"

command -v twill >/dev/null 2>&1 || fail "twill CLI not on PATH"
module_load
H=$(ns_new host)
ip -n "$H" link add twill0 type twill
tw() { in_ns "$H" twill "$@"; }

# gen FILE VARIANT: peer A keeps 10.1.0.0/16 and 10.2.3.0/24 in every
# variant; 20,000 other prefixes move between other peers.
gen() {
	awk -v v="$2" 'BEGIN {
		printf "[Device]\nVNI = 9\n\n[Peer]\nEndpoint = 192.0.2.1:8472\n"
		printf "Prefixes = 10.1.0.0/16, 10.2.3.0/24\n"
		for (p = 0; p < 20; p++) {
			printf "\n[Peer]\nEndpoint = 192.0.3.%d:8472\n", p + 1 + v * 50
			for (k = 0; k < 1000; k++) {
				n = p * 1000 + k
				printf "Prefixes = 172.%d.%d.%d/32\n", 16 + v, int(n / 256), n % 256
			}
		}
	}' >"$1"
}
gen "$TW_TMP/a.conf" 0
gen "$TW_TMP/b.conf" 1
tw setconf twill0 "$TW_TMP/a.conf"
assert_contains "$(tw route get twill0 10.1.2.3)" "10.1.0.0/16 peer 192.0.2.1:8472"

step "lookup loop"
STOP=$TW_TMP/stop
: >"$TW_TMP/misses"
: >"$TW_TMP/lookups"
(
	while [ ! -e "$STOP" ]; do
		for a in 10.1.2.3 10.2.3.4; do
			if ! r=$(in_ns "$H" twill route get twill0 $a 2>&1); then
				echo "$a: $r" >>"$TW_TMP/misses"
			fi
			echo x >>"$TW_TMP/lookups"
		done
	done
) &
LOOP=$!
on_cleanup "touch $STOP; kill $LOOP 2>/dev/null"

step "20 full replaces"
for _ in $(seq 1 10); do
	tw setconf twill0 "$TW_TMP/b.conf"
	tw setconf twill0 "$TW_TMP/a.conf"
done
touch "$STOP"
wait "$LOOP" || true

n=$(wc -l <"$TW_TMP/lookups" | tr -d ' ')
echo "$n lookups during the replaces"
[ "$n" -gt 10 ] || fail "only $n lookups ran"
assert_eq "$(cat "$TW_TMP/misses")" "" "lookup misses"
assert_contains "$(tw route get twill0 172.16.0.1)" "peer 192.0.3.1:8472"
