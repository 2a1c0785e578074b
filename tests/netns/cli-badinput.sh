#!/bin/sh
# Every bad input makes twill exit 1 with one line naming the offending
# token (FILE:LINE: for files), and leaves the kernel state unchanged.
. "$(dirname "$0")/lib.sh"

command -v twill >/dev/null 2>&1 || fail "twill CLI not on PATH"
module_load
H=$(ns_new host)
ip -n "$H" link add twill0 type twill
ip -n "$H" link add dummy0 type dummy
tw() { in_ns "$H" twill "$@"; }

tw set twill0 vni 5 max-prefixes 100 peer 192.0.2.1:8472 mac 02:00:00:00:00:01 \
	prefixes 10.1.0.0/24,10.1.1.0/24 peer 192.0.2.2:8472 prefixes 10.2.0.0/24
before=$(tw showconf twill0)
gen_before=$(tw show twill0 dump | head -1 | awk -F'\t' '{ print $16 }')

# bad NEEDLE ARGS...: `twill ARGS` exits 1, prints one line containing
# NEEDLE, and the device is unchanged.
bad() {
	_needle=$1
	shift
	if out=$(tw "$@" 2>&1 >/dev/null); then
		fail "'twill $*' succeeded"
	else
		rc=$?
	fi
	assert_eq "$rc" 1 "exit status of 'twill $*'"
	assert_eq "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 1 "error lines of 'twill $*': $out"
	assert_contains "$out" "twill: " "error of 'twill $*'"
	assert_contains "$out" "$_needle" "error of 'twill $*'"
	assert_eq "$(tw showconf twill0)" "$before" "state after 'twill $*'"
}

# badfile NEEDLE CONTENT: setconf, addconf and syncconf all refuse it.
badfile() {
	printf '%b' "$2" >"$TW_TMP/bad.conf"
	for c in setconf addconf syncconf; do
		bad "$TW_TMP/bad.conf:$1" $c twill0 "$TW_TMP/bad.conf"
	done
}

step "set: bad values"
bad "'10.0.0.0/33'" set twill0 peer 192.0.2.3 prefixes 10.0.0.0/33
bad "did you mean 10.0.0.0/24" set twill0 peer 192.0.2.3 prefixes 10.0.0.1/24
bad "duplicate prefix 10.9.0.0/24" set twill0 peer 192.0.2.3 prefixes 10.9.0.0/24 \
	peer 192.0.2.4 prefixes 10.9.0.0/24
bad "duplicate peer 192.0.2.3" set twill0 peer 192.0.2.3 peer 192.0.2.3
bad "'70000'" set twill0 listen-port 70000
bad "192.0.2.3:70000" set twill0 peer 192.0.2.3:70000
bad "'16777216'" set twill0 vni 16777216
bad "'02:00:00:00:00'" set twill0 mac 02:00:00:00:00
bad "'zz:00:00:00:00:01'" set twill0 peer 192.0.2.3 mac zz:00:00:00:00:01
bad "'garbage'" set twill0 garbage
bad "cannot mix" set twill0 peer 192.0.2.1:8472 prefixes 10.1.0.0/24,+10.1.5.0/24
bad "'300'" set twill0 ttl 300
bad "'maybe'" set twill0 df maybe
bad "'5-1'" set twill0 port-range 5-1
# valid peers and prefixes before the bad token must not be applied either
bad "'10.0.0.0/33'" set twill0 vni 6 peer 192.0.2.3 prefixes 10.3.0.0/24 \
	peer 192.0.2.4 prefixes 10.0.0.0/33

step "set: what the kernel refuses is refused first"
bad "peer 192.0.2.3:9000: address already used by peer 192.0.2.3:8472" set twill0 \
	peer 192.0.2.3:8472 peer 192.0.2.3:9000
bad "link-local endpoints are not supported" set twill0 peer '[fe80::1%lo]:8472'
bad "link-local endpoints are not supported" set twill0 peer '[fe80::1]:8472'
bad "'224.0.0.5' (multicast)" set twill0 peer 224.0.0.5
bad "'0.0.0.0:8472' (zero address)" set twill0 peer 0.0.0.0:8472
bad "must not be zero" set twill0 mac 00:00:00:00:00:00
bad "'01:00:5e:00:00:01' (multicast)" set twill0 peer 192.0.2.3 mac 01:00:5e:00:00:01
bad "'1048577' (expected 1-1048576)" set twill0 max-peers 1048577
bad "'67108865' (expected 1-67108864)" set twill0 max-prefixes 67108865
# the kernel: one peer per address, against the existing ones too
bad "192.0.2.1" set twill0 peer 192.0.2.1:9000

step "not a twill device"
bad "dummy0 is not a twill device" set dummy0 vni 3
bad "dummy0 is not a twill device" show dummy0
bad "lo is not a twill device" showconf lo
bad "nosuch0" set nosuch0 vni 3

step "files"
badfile "2: unknown key 'Foo'" '[Device]\nFoo = 1\n'
badfile "1: unknown section '[Interface]'" '[Interface]\n'
badfile "7: duplicate prefix 10.7.0.0/24" \
	'[Peer]\nEndpoint = 192.0.2.7\nPrefixes = 10.7.0.0/24\n[Peer]\nEndpoint = 192.0.2.8\n\nPrefixes = 10.7.0.0/24\n'
badfile "4: duplicate peer 192.0.2.7" '[Peer]\nEndpoint = 192.0.2.7\n[Peer]\nEndpoint = 192.0.2.7\n'
badfile "2: invalid ListenPort '70000'" '[Device]\nListenPort = 70000\n'
badfile "3: invalid VNI '16777216'" '[Device]\n# x\nVNI = 16777216\n'
badfile "3: invalid MAC address" '[Peer]\nEndpoint = 192.0.2.7\nMAC = 02:00\n'
badfile "3: invalid prefix '10.7.0.1/24'" '[Peer]\nEndpoint = 192.0.2.7\nPrefixes = 10.7.0.1/24\n'
badfile "3: invalid prefix '10.7.0.0/33'" '[Peer]\nEndpoint = 192.0.2.7\nPrefixes = 10.7.0.0/33\n'
badfile "1: expected 'Key = Value'" 'garbage\n'
badfile "1: [Peer] has no Endpoint" '[Peer]\nPrefixes = 10.7.0.0/24\n'
badfile "5: peer 192.0.2.7:8472: address already used by the peer on line 1" \
	'[Peer]\nEndpoint = 192.0.2.7\n\n[Peer]\nEndpoint = 192.0.2.7:8472\n'
badfile "2: invalid MaxPeers '1048577'" '[Device]\nMaxPeers = 1048577\n'
badfile "3: invalid endpoint '[fe80::7]:8472' (link-local" '[Peer]\n\nEndpoint = [fe80::7]:8472\n'
bad "nosuch.conf" setconf twill0 "$TW_TMP/nosuch.conf"

step "over the device's limit (max-prefixes 100): the CLI counts first"
awk 'BEGIN { printf "[Peer]\nEndpoint = 192.0.2.9:8472\n";
	for (i = 0; i < 101; i++) printf "Prefixes = 10.9.%d.0/24\n", i }' >"$TW_TMP/many.conf"
# The CLI reads the device and refuses before it sends anything (the
# kernel's own check is the nlfuzz scenario's); 3 prefixes are in already.
bad "too many prefixes: 101 (limit 100)" setconf twill0 "$TW_TMP/many.conf"
bad "(limit 100)" addconf twill0 "$TW_TMP/many.conf"
bad "(limit 100)" set twill0 peer 192.0.2.1:8472 prefixes "$(awk 'BEGIN { for (i = 0; i < 101; i++) printf "%s10.8.%d.0/24", (i ? "," : ""), i }')"

step "refused by the kernel: another client's transaction is open"
# The CLI cannot know: nlfuzz -H stages a transaction on twill0 and holds
# its socket; the kernel refuses every other writer (EBUSY, its message).
IDX=$(in_ns_sys "$H" cat /sys/class/net/twill0/ifindex)
in_ns "$H" nlfuzz -H 60 -i "$IDX" >"$TW_TMP/hold.out" 2>&1 &
HOLD=$!
on_cleanup "kill $HOLD 2>/dev/null"
wait_for 20 grep -q holding "$TW_TMP/hold.out"
bad "another client" set twill0 vni 6
echo "kernel said: $out"
bad "another client" set twill0 peer 192.0.2.7 prefixes 10.7.0.0/24
kill "$HOLD"
wait "$HOLD" || :

step "nothing was committed"
assert_eq "$(tw show twill0 dump | head -1 | awk -F'\t' '{ print $16 }')" "$gen_before" "generation"
