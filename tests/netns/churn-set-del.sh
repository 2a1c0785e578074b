#!/bin/sh
# SET racing device removal: `twill setconf` of a few thousand prefixes
# (sent as several staged messages) runs while the device is deleted, or
# while the namespace that created it (where its sockets live) goes away.  A writer that took its device reference before
# unregister must change nothing afterwards: no peer, prefix or stage may
# outlive the device (kmemleak on the debug kernel), nothing may crash,
# and every such setconf either succeeds or is refused cleanly (exit 1).
#
# Environment: TWILL_CHURN_SETDEL, else TWILL_CHURN_ROUNDS (default 20
# rounds of each kind).
. "$(dirname "$0")/lib.sh"

ROUNDS=${TWILL_CHURN_SETDEL:-${TWILL_CHURN_ROUNDS:-20}}
module_load
info() { echo "   $*"; }
info "TWILL_CHURN_SETDEL=${TWILL_CHURN_SETDEL:-} TWILL_CHURN_ROUNDS=${TWILL_CHURN_ROUNDS:-}: $ROUNDS rounds"

# 40 peers x 100 prefixes: several messages, so the stage is open a while.
conf=$TW_TMP/big.conf
p=0
while [ $p -lt 40 ]; do
	printf '[Peer]\nEndpoint = 192.0.2.%d:8472\nPrefixes = ' $((p + 1))
	i=0
	while [ $i -lt 100 ]; do
		printf '10.%d.%d.0/24' $((p + 16)) $i
		[ $i -lt 99 ] && printf ', '
		i=$((i + 1))
	done
	printf '\n\n'
	p=$((p + 1))
done >"$conf"

# race NS DELETE_CMD...: setconf in the background, then DELETE_CMD after
# a delay that moves through the setconf's life from round to round
# (before its first message, between messages, after its commit).
race() {
	_ns=$1
	shift
	in_ns "$_ns" twill setconf twill0 "$conf" >"$TW_TMP/set.out" 2>&1 &
	_pid=$!
	sleep "0.$((r % 10))"
	"$@"
	_rc=0
	wait "$_pid" || _rc=$?
	case $_rc in
	0) ok=$((ok + 1)) ;;
	1) refused=$((refused + 1)) ;;
	*) cat "$TW_TMP/set.out"; fail "setconf exited $_rc during removal" ;;
	esac
}

ok=0
refused=0
step "$ROUNDS rounds: ip link del while setconf runs"
N=$(ns_new host)
r=0
while [ $r -lt "$ROUNDS" ]; do
	ip -n "$N" link add twill0 type twill
	race "$N" ip -n "$N" link del twill0
	r=$((r + 1))
done
info "setconf: $ok completed before the removal, $refused refused"
! link_exists "$N" twill0 || fail "twill0 left behind"

ok=0
refused=0
step "$ROUNDS rounds: the creating namespace is deleted while setconf runs"
r=0
while [ $r -lt "$ROUNDS" ]; do
	C=$(ns_new "creator$r")
	ip -n "$C" link add twill0 type twill
	ip -n "$C" link set twill0 netns "$N"
	ip -n "$N" link set twill0 up
	race "$N" ip netns del "$C"
	ip -n "$N" link del twill0
	r=$((r + 1))
done
info "setconf: $ok completed before the removal, $refused refused"
[ $((ok + refused)) -eq "$ROUNDS" ] || fail "not every setconf ended"

# Whatever a late SET left behind would still sit in the node caches,
# which the module's unload destroys: the kernel log would say so.
step "the module unloads"
module_unload
