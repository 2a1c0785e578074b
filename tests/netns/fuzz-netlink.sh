#!/bin/sh
# Netlink fuzz: tests/tools/nlfuzz against a live twill0 (hostA) that has a
# peer and carries traffic (a ping stream podA1 -> podB1) while `twill
# monitor` listens to the events.  nlfuzz checks every reply itself (exit 1
# on any malformed or wrong reply).  Afterwards the device still works:
# the configuration saved before is restored with setconf and shows back
# identical (showconf roundtrip), pod-to-pod pings cross the overlay both
# ways, and the monitor is still alive.  Then a transaction is left staged
# while its device is deleted, and while its device moves to another
# namespace that is then deleted.
#
# Environment:
#   TWILL_FUZZ_NL    messages (default 20000; the full run: 100000)
#   TWILL_FUZZ_SEED  seed (default fixed, so CI is reproducible; printed)
#   TWILL_FUZZ_TIME  nlfuzz's time limit in seconds (default 150); nlfuzz
#                    and so the scenario fail when it stops short of N
# Reproduce a failure: the seed and the exchange number are printed;
#   nlfuzz -s SEED -n N -i IFINDEX -I twill0   (same ifindex and name)
#   nlfuzz -D -s SEED -n N -i IFINDEX -I twill0 -x EXCHANGE  (its bytes)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

NLFUZZ=${NLFUZZ:-nlfuzz}
N=${TWILL_FUZZ_NL:-20000}
SEED=${TWILL_FUZZ_SEED:-1795646644}
LIMIT=${TWILL_FUZZ_TIME:-150}
command -v "$NLFUZZ" >/dev/null 2>&1 || fail "nlfuzz (tests/tools) is not in the guest"

B=$(ul4 hostB)

step "topology: hostA, hostB, one pod each, twill0 mesh (IPv4 underlay)"
topo_hosts hostA hostB
topo_pods hostA 1
topo_pods hostB 1
topo_twill_mesh 4 hostA hostB
ping_ok podA1 "$(pod4 hostB 1)" 2
IDX=$(nsx_sys hostA cat /sys/class/net/twill0/ifindex)
nsx hostA "$TWILL" showconf twill0 >"$TOPO_TMP/a.conf" || t_fail "showconf twill0"
sed 's/^/   | /' "$TOPO_TMP/a.conf"

step "traffic and an event listener while fuzzing"
bg_in podA1 "$PING" -q -i 0.05 "$(pod4 hostB 1)" >/dev/null 2>&1
PING_PID=$BG_PID
bg_in hostA "$TWILL" monitor twill0 >"$TOPO_TMP/monitor.out" 2>&1
MON_PID=$BG_PID

step "nlfuzz: TWILL_FUZZ_NL=$N TWILL_FUZZ_SEED=$SEED TWILL_FUZZ_TIME=$LIMIT, ifindex $IDX"
t0=$(date +%s)
rc=0
nsx hostA "$NLFUZZ" -s "$SEED" -n "$N" -t "$LIMIT" -i "$IDX" -I twill0 -p 5000 >"$TOPO_TMP/nlfuzz.out" 2>&1 || rc=$?
sed 's/^/   | /' "$TOPO_TMP/nlfuzz.out"
# nlfuzz fails (exit 1) when it stopped before N messages; the count it
# sent is the scenario's claim.
SENT=$(sed -n 's/^nlfuzz: seed [0-9]*: \([0-9]*\) messages in .*/\1/p' "$TOPO_TMP/nlfuzz.out")
info "nlfuzz exit $rc after $(($(date +%s) - t0))s: ${SENT:-no} messages sent of $N"
[ "$rc" = 0 ] || t_fail "nlfuzz found anomalies, stopped short of $N messages or failed (exit $rc); repeat with TWILL_FUZZ_SEED=$SEED"
check_ge "${SENT:-x}" "$N" "messages nlfuzz sent"
kill -0 "$MON_PID" 2>/dev/null || {
	tail -n 20 "$TOPO_TMP/monitor.out" | sed 's/^/   | /' >&2
	t_fail "twill monitor died during the fuzz run"
}
info "ok: twill monitor alive, $(wc -l <"$TOPO_TMP/monitor.out") event lines"
kill "$PING_PID" 2>/dev/null || :

step "the device still works: setconf restores, showconf round-trips"
check_ok "setconf twill0" nsx hostA "$TWILL" setconf twill0 "$TOPO_TMP/a.conf"
nsx hostA "$TWILL" showconf twill0 >"$TOPO_TMP/a2.conf" || t_fail "showconf after setconf"
# The order of a peer's prefixes is the kernel's walk order: compare sorted.
sort "$TOPO_TMP/a.conf" >"$TOPO_TMP/a.sorted"
sort "$TOPO_TMP/a2.conf" >"$TOPO_TMP/a2.sorted"
if ! cmp -s "$TOPO_TMP/a.sorted" "$TOPO_TMP/a2.sorted"; then
	diff "$TOPO_TMP/a.conf" "$TOPO_TMP/a2.conf" | sed 's/^/   | /' >&2
	t_fail "showconf after setconf differs from the saved configuration"
fi
info "ok: showconf after setconf has the same lines as before the fuzz"
flat=$(twill_flat hostA)
check_eq "$(flat_get "$flat" num_peers)" 1 "hostA: one peer after setconf"
check_ok "route get" nsx hostA "$TWILL" route get twill0 "$(pod4 hostB 1)"
check_contains "$CHECK_OUT" "$B" "route get resolves hostB's pod to hostB"
ping_ok podA1 "$(pod4 hostB 1)" 3
ping_ok podB1 "$(pod4 hostA 1)" 3
ping_ok podA1 "$(pod6 hostB 1)" 3

step "a transaction left staged while its device is deleted"
bg_in hostA "$NLFUZZ" -H 5 -i "$IDX" >"$TOPO_TMP/hold1.out" 2>&1
HOLD=$BG_PID
topo_wait 20 grep -q "holding" "$TOPO_TMP/hold1.out" || {
	cat "$TOPO_TMP/hold1.out" >&2
	t_fail "nlfuzz -H did not stage a transaction"
}
expect_busy=$(nsx hostA "$TWILL" set twill0 peer 192.0.2.77 prefixes 10.100.77.0/24 2>&1) &&
	t_fail "twill set succeeded during another socket's transaction"
info "ok: twill set refused meanwhile: $expect_busy"
nsx hostA "$IP" link del twill0 || t_fail "deleting twill0 with a staged transaction"
rc=0
wait "$HOLD" || rc=$?
sed 's/^/   | /' "$TOPO_TMP/hold1.out"
[ "$rc" = 0 ] || t_fail "nlfuzz -H found anomalies (exit $rc)"

step "a transaction left staged while its device moves to a namespace that is deleted"
topo_ns_add hostX
topo_ns_add hostY
nsx hostX "$IP" link add twill0 type twill || t_fail "twill0 in hostX"
IDX=$(nsx_sys hostX cat /sys/class/net/twill0/ifindex)
bg_in hostX "$NLFUZZ" -H 4 -i "$IDX" >"$TOPO_TMP/hold2.out" 2>&1
HOLD=$BG_PID
topo_wait 20 grep -q "holding" "$TOPO_TMP/hold2.out" || {
	cat "$TOPO_TMP/hold2.out" >&2
	t_fail "nlfuzz -H did not stage a transaction in hostX"
}
nsx hostX "$IP" link set twill0 netns hostY || t_fail "moving twill0 to hostY"
"$IP" netns del hostY || t_fail "deleting hostY"
topo_ns_forget hostY
rc=0
wait "$HOLD" || rc=$?
sed 's/^/   | /' "$TOPO_TMP/hold2.out"
[ "$rc" = 0 ] || t_fail "nlfuzz -H (device moved, namespace deleted) found anomalies (exit $rc)"
check_fails "twill0 is gone with hostY" nsx hostX "$IP" link show twill0
echo "PASS: fuzz-netlink (seed $SEED, $SENT messages sent)"
