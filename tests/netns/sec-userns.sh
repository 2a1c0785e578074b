#!/bin/sh
# The privilege boundary: the host moves twill0 into a network namespace
# owned by an unprivileged user's user namespace (what `unshare -Urn`
# gives).  Root there may edit the device's peers, but nothing that acts on
# the namespace that created the device (its sockets, marks, underlay
# binding), nor raise the limits past the defaults; a transaction is
# bounded by the committed limits; the host's socket stays where it was;
# and an unprivileged socket cannot listen to the events.
. "$(dirname "$0")/lib.sh"

for t in userns dropuid; do
	command -v $t >/dev/null || fail "$t (tests/tools) not in the guest"
done
module_load
H=$(ns_new host)
ip -n "$H" link add dummy0 type dummy
ip -n "$H" addr add 192.0.2.1/24 dev dummy0
ip -n "$H" link set dummy0 up
ip -n "$H" link add twill0 type twill
# A small committed limit makes the stage bound visible below.
in_ns "$H" twill set twill0 max-prefixes 100

udp_ports() { in_ns "$H" ss -Huln | awk '{ print $4 }' | sed 's/.*://' | sort -un | tr '\n' ' '; }

# The checks that run as root of the user namespace.
cat >"$TW_TMP/inner.sh" <<'INNER'
. "$LIB"
step "root of the user namespace edits its device's peers"
twill set twill0 peer 192.0.2.2 prefixes 10.244.2.0/24
assert_contains "$(twill showconf twill0)" "10.244.2.0/24" "peer added from the user namespace"
ip link set twill0 up

step "but not what acts on the namespace that created the device"
expect_fail -m "changing listen-port needs CAP_NET_ADMIN" twill set twill0 listen-port 53
expect_fail -m "changing fwmark needs CAP_NET_ADMIN" twill set twill0 fwmark 0x4000
expect_fail -m "changing link needs CAP_NET_ADMIN" twill set twill0 link lo
expect_fail -m "changing link needs CAP_NET_ADMIN" twill set twill0 link no-such-if
expect_fail -m "changing local needs CAP_NET_ADMIN" twill set twill0 local 192.0.2.1
# direct routing sends raw packets on the host's underlay
expect_fail -m "changing direct needs CAP_NET_ADMIN" twill set twill0 direct auto
expect_fail -m "changing direct of peer 192.0.2.2:8472 needs CAP_NET_ADMIN" twill set twill0 peer 192.0.2.2 direct on
expect_fail -m "changing direct of peer 192.0.2.4:8472 needs CAP_NET_ADMIN" twill set twill0 peer 192.0.2.4 prefixes 10.244.4.0/24 direct on
assert_not_contains "$(twill showconf twill0)" "192.0.2.4" "the refused new direct peer was not created"
expect_fail -m "raising max-peers above 16384" twill set twill0 max-peers 20000
expect_fail -m "raising max-prefixes above" twill set twill0 max-prefixes 3000000

step "a transaction is bounded by the committed limit (100 prefixes), not by one it sets"
pfx=$(i=0; while [ $i -lt 300 ]; do printf '10.%d.%d.0/24,' $((i / 256)) $((i % 256)); i=$((i + 1)); done)
expect_fail -m "more prefixes than the device allows" twill set twill0 max-prefixes 67108864 peer 192.0.2.3 prefixes "${pfx%,}"

step "settings repeated unchanged, and lower limits, are fine"
twill showconf twill0 >"$TW_TMP/inner.conf"
twill setconf twill0 "$TW_TMP/inner.conf"
twill set twill0 direct off peer 192.0.2.2 direct off
twill set twill0 max-peers 1000
assert_contains "$(twill show twill0)" "max peers: 1000"

# The device lives as long as this namespace: let the host look first.
: >"$SHARED/done"
wait_for 60 test -e "$SHARED/end"
INNER
chmod 1777 "$TW_TMP"
chmod 644 "$TW_TMP/inner.sh"

step "an unprivileged user's namespace gets the device"
userns 1000 "$TW_TMP/go" env LIB="$(cd "$(dirname "$0")" && pwd)/lib.sh" \
	SHARED="$TW_TMP" sh "$TW_TMP/inner.sh" >"$TW_TMP/out" 2>&1 &
upid=$!
on_cleanup ": >'$TW_TMP/end'; kill $upid 2>/dev/null"
wait_for 10 test -s "$TW_TMP/out"
cpid=$(head -n 1 "$TW_TMP/out")
ip -n "$H" link set twill0 netns "$cpid"
: >"$TW_TMP/go"
# Done, or failed (then the process is gone).
until [ -e "$TW_TMP/done" ] || ! kill -0 "$upid" 2>/dev/null; do sleep 0.1; done
sed 's/^/   | /' "$TW_TMP/out"
[ -e "$TW_TMP/done" ] || fail "the checks inside the user namespace failed"

step "the host's socket did not move: still port 8472 only"
assert_eq "$(udp_ports)" "8472 " "UDP ports bound in the creating namespace"
: >"$TW_TMP/end"
rc=0
wait "$upid" || rc=$?
assert_eq "$rc" 0 "exit status inside the user namespace"

step "an unprivileged socket cannot join the events group"
expect_fail -m "cannot join the events group" in_ns "$H" dropuid 65534 twill monitor
