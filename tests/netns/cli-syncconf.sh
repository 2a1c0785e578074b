#!/bin/sh
# twill syncconf sends only the difference: unchanged peers get no events,
# and syncing the same file twice sends nothing.
. "$(dirname "$0")/lib.sh"

command -v twill >/dev/null 2>&1 || fail "twill CLI not on PATH"
module_load
H=$(ns_new host)
ip -n "$H" link add twill0 type twill
tw() { in_ns "$H" twill "$@"; }

pairs() {
	awk '/^Endpoint = / { ep = $3 }
	     /^Prefixes = / { sub(/^Prefixes = /, ""); n = split($0, a, / *, */)
			      for (i = 1; i <= n; i++) if (a[i] != "") print ep, a[i] }' "$1" |
		sort
}

cat >"$TW_TMP/base.conf" <<'CONF'
[Device]
VNI = 7

[Peer]
Endpoint = 192.0.2.1:8472
MAC = 02:00:00:00:00:01
Prefixes = 10.1.0.0/24, 10.1.1.0/24

[Peer]
Endpoint = 192.0.2.2:8472
Prefixes = 10.2.0.0/24

[Peer]
Endpoint = 192.0.2.3:8472
Prefixes = 10.3.0.0/24, 10.3.1.0/24

[Peer]
Endpoint = 192.0.2.4:8472
MAC = 02:00:00:00:00:04
Prefixes = 10.4.0.0/24

[Peer]
Endpoint = 192.0.2.5:8472
Prefixes = 10.5.0.0/24
CONF

# .1 and .5 unchanged, .2 removed, .3 prefixes changed, .4 MAC changed,
# .6 new.
cat >"$TW_TMP/new.conf" <<'CONF'
[Device]
VNI = 7

[Peer]
Endpoint = 192.0.2.1:8472
MAC = 02:00:00:00:00:01
Prefixes = 10.1.1.0/24, 10.1.0.0/24

[Peer]
Endpoint = 192.0.2.3:8472
Prefixes = 10.3.0.0/24, 10.3.2.0/24

[Peer]
Endpoint = 192.0.2.4:8472
MAC = 02:00:00:00:00:44
Prefixes = 10.4.0.0/24

[Peer]
Endpoint = 192.0.2.5:8472
Prefixes = 10.5.0.0/24

[Peer]
Endpoint = 192.0.2.6:8472
Prefixes = 10.6.0.0/24
CONF

step "base"
tw setconf twill0 "$TW_TMP/base.conf"

step "monitor"
EV=$TW_TMP/events
in_ns "$H" twill monitor twill0 -j >"$EV" 2>"$TW_TMP/monitor.err" &
MON=$!
on_cleanup "kill $MON 2>/dev/null"
# No way to see the subscription; give it time, then prove it with a
# harmless change.
sleep 1
tw set twill0 peer 192.0.2.5:8472 prefixes +10.5.9.0/24
wait_for 5 grep -q '10.5.9.0/24' "$EV"
tw set twill0 peer 192.0.2.5:8472 prefixes -10.5.9.0/24
wait_for 5 sh -c "[ \$(grep -c '\"endpoint\":\"192.0.2.5:8472\"' '$EV') -ge 2 ]"
: >"$EV"

step "syncconf"
tw syncconf twill0 "$TW_TMP/new.conf"
wait_for 5 grep -q '"event":"peer_added".*"endpoint":"192.0.2.6:8472"' "$EV"
sleep 1
ev=$(cat "$EV")
assert_contains "$ev" '"event":"peer_removed","ifname":"twill0"'
echo "$ev" | grep -q '"event":"peer_removed".*"endpoint":"192.0.2.2:8472"' || fail "no removal event for .2: $ev"
echo "$ev" | grep -q '"event":"peer_changed".*"endpoint":"192.0.2.3:8472"' || fail "no change event for .3: $ev"
echo "$ev" | grep -q '"event":"peer_changed".*"endpoint":"192.0.2.4:8472".*"mac":"02:00:00:00:00:44"' || fail "no MAC change event for .4: $ev"
assert_not_contains "$ev" '"endpoint":"192.0.2.1:8472"' "events (unchanged peer .1)"
assert_not_contains "$ev" '"endpoint":"192.0.2.5:8472"' "events (unchanged peer .5)"
assert_eq "$(grep -c '"event":"peer_' "$EV")" 4 "peer events"

step "state equals the file"
tw showconf twill0 >"$TW_TMP/out.conf"
pairs "$TW_TMP/new.conf" >"$TW_TMP/want"
pairs "$TW_TMP/out.conf" >"$TW_TMP/got"
cmp -s "$TW_TMP/want" "$TW_TMP/got" || fail "state differs: $(diff "$TW_TMP/want" "$TW_TMP/got")"
assert_contains "$(cat "$TW_TMP/out.conf")" "MAC = 02:00:00:00:00:44"

step "syncconf again sends nothing"
gen=$(tw show twill0 dump | head -1 | awk -F'\t' '{ print $16 }')
: >"$EV"
tw syncconf twill0 "$TW_TMP/new.conf"
sleep 1
assert_eq "$(wc -c <"$EV" | tr -d ' ')" 0 "events after a no-op syncconf"
assert_eq "$(tw show twill0 dump | head -1 | awk -F'\t' '{ print $16 }')" "$gen" "generation after a no-op syncconf"

step "syncconf back to base"
tw syncconf twill0 "$TW_TMP/base.conf"
tw showconf twill0 >"$TW_TMP/out.conf"
pairs "$TW_TMP/base.conf" >"$TW_TMP/want"
pairs "$TW_TMP/out.conf" >"$TW_TMP/got"
cmp -s "$TW_TMP/want" "$TW_TMP/got" || fail "state differs: $(diff "$TW_TMP/want" "$TW_TMP/got")"

step "a [Peer] without MAC has none: setconf and syncconf alike"
# The [Peer] sections only: [Device] always has the device's own MAC.
peers_conf() { tw showconf twill0 | sed -n '/^\[Peer\]/,$p'; }
tw set twill0 peer 192.0.2.5:8472 mac 02:00:00:00:00:55
printf '[Peer]\nEndpoint = 192.0.2.5:8472\nPrefixes = 10.5.0.0/24\n' >"$TW_TMP/nomac.conf"
tw addconf twill0 "$TW_TMP/nomac.conf"
assert_contains "$(tw showconf twill0)" "MAC = 02:00:00:00:00:55" "MAC after addconf without MAC"
tw setconf twill0 "$TW_TMP/nomac.conf"
assert_not_contains "$(peers_conf)" "MAC =" "MAC after setconf without MAC"
tw set twill0 peer 192.0.2.5:8472 mac 02:00:00:00:00:55
tw syncconf twill0 "$TW_TMP/nomac.conf"
assert_not_contains "$(peers_conf)" "MAC =" "MAC after syncconf without MAC"

step "a port change is one syncconf (the old peer goes, the new one takes its address)"
printf '[Peer]\nEndpoint = 192.0.2.5:9000\nPrefixes = 10.5.0.0/24\n' >"$TW_TMP/port.conf"
tw syncconf twill0 "$TW_TMP/port.conf"
assert_eq "$(tw show twill0 dump | tail -n +2 | cut -f1)" "192.0.2.5:9000" "peers after a port change"
