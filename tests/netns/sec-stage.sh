#!/bin/sh
# A staged multi-message SET belongs to the socket that started it, and
# nobody else is locked out for long: while its owner holds it, other
# writers get "another client's transaction" (EBUSY); when the owner closes
# its socket, the next writer goes ahead at once; when the owner stays but
# falls silent, the stage expires after TWILL_STAGE_TIMEOUT (10 s).
. "$(dirname "$0")/lib.sh"

command -v nlfuzz >/dev/null || fail "nlfuzz (tests/tools) not in the guest"
module_load
H=$(ns_new host)
ip -n "$H" link add twill0 type twill
idx=$(in_ns_sys "$H" cat /sys/class/net/twill0/ifindex)
tw() { in_ns "$H" twill "$@"; }

# hold SECONDS: nlfuzz stages a transaction and keeps its socket open.
hold() {
	in_ns "$H" nlfuzz -H "$1" -i "$idx" >"$TW_TMP/hold.out" 2>&1 &
	holder=$!
	wait_for 10 grep -q staged "$TW_TMP/hold.out"
}

step "a held stage makes other writers wait (EBUSY)"
hold 30
expect_fail -m "another client's transaction" tw set twill0 vni 5

step "a silent owner's stage expires: the next writer goes ahead"
t0=$(date +%s)
wait_for 30 tw set twill0 vni 6
waited=$(($(date +%s) - t0))
echo "   writer went ahead after ${waited}s"
kill -0 "$holder" 2>/dev/null || fail "the holder exited early; the expiry was not what freed the stage"
assert_contains "$(tw showconf twill0)" "VNI = 6"
kill "$holder"
rc=0
wait "$holder" || rc=$?
assert_eq "$rc" 143 "exit status of the killed holder"

step "an owner that closes its socket leaves nothing behind"
hold 1
wait "$holder"
tw set twill0 vni 7
assert_contains "$(tw showconf twill0)" "VNI = 7"
