#!/bin/sh
# twill setconf with a 100,000-prefix file (sent as a staged multi-message
# transaction); showconf gives back exactly the same peers and prefixes.
. "$(dirname "$0")/lib.sh"

command -v twill >/dev/null 2>&1 || fail "twill CLI not on PATH"
module_load
H=$(ns_new host)
ip -n "$H" link add twill0 type twill
tw() { in_ns "$H" twill "$@"; }

# "ENDPOINT PREFIX" per line, sorted: the table as a set.
pairs() {
	awk '/^Endpoint = / { ep = $3 } /^Prefixes = / { print ep, $3 }' "$1" |
		sort
}

gen() { # gen FILE NPEERS PER_PEER OFFSET
	awk -v np="$2" -v per="$3" -v off="$4" 'BEGIN {
		printf "[Device]\nVNI = 42\n"
		n = off
		for (p = 0; p < np; p++) {
			printf "\n[Peer]\nEndpoint = 192.0.%d.%d:8472\n", int(p / 250), p % 250 + 1
			for (k = 0; k < per; k++) {
				printf "Prefixes = 10.%d.%d.%d/32\n", int(n / 65536) % 256, int(n / 256) % 256, n % 256
				n++
			}
		}
	}' >"$1"
}

F=$TW_TMP/big.conf
step "generate 100,000 prefixes on 100 peers"
gen "$F" 100 1000 0
assert_eq "$(grep -c '^Prefixes' "$F")" 100000 "prefixes in the file"

step "setconf"
start=$(date +%s)
tw setconf twill0 "$F"
echo "setconf took $(($(date +%s) - start)) s"

step "showconf equals the file"
tw showconf twill0 >"$TW_TMP/out.conf"
pairs "$F" >"$TW_TMP/want"
pairs "$TW_TMP/out.conf" >"$TW_TMP/got"
cmp -s "$TW_TMP/want" "$TW_TMP/got" || fail "showconf differs from the file: $(diff "$TW_TMP/want" "$TW_TMP/got" | head -5)"
assert_contains "$(cat "$TW_TMP/out.conf")" "VNI = 42"

step "dump counts"
first=$(tw show twill0 dump | head -1)
assert_eq "$(echo "$first" | awk -F'\t' '{ print $14 }')" 100 "num_peers"
assert_eq "$(echo "$first" | awk -F'\t' '{ print $15 }')" 100000 "num_prefixes"
assert_eq "$(tw show twill0 dump | wc -l)" 101 "dump lines"

step "showconf -> setconf -> showconf is exact"
tw setconf twill0 "$TW_TMP/out.conf"
tw showconf twill0 >"$TW_TMP/again.conf"
cmp -s "$TW_TMP/out.conf" "$TW_TMP/again.conf" || fail "showconf not stable after setconf of its own output"

step "setconf replaces everything"
gen "$TW_TMP/small.conf" 3 5 500000
tw setconf twill0 "$TW_TMP/small.conf"
pairs "$TW_TMP/small.conf" >"$TW_TMP/want"
tw showconf twill0 >"$TW_TMP/out2.conf"
pairs "$TW_TMP/out2.conf" >"$TW_TMP/got"
cmp -s "$TW_TMP/want" "$TW_TMP/got" || fail "replace left old state: $(diff "$TW_TMP/want" "$TW_TMP/got" | head -5)"
assert_eq "$(tw show twill0 dump | wc -l)" 4 "dump lines after replace"
