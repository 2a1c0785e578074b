#!/bin/sh
# shellcheck shell=dash
# Bad NAT settings are refused with a clear message and change nothing
# (issue 10).  `twill nat set` with an invalid value (prefix length, host
# bits, garbage, a duplicate, too many prefixes, a bad port range,
# max-flows 0 or past the kernel's bound, two `to` addresses of one
# family, a multicast `to`, an unknown word, `off` with settings, a word
# twice), on a device that does not exist or is no twill device, exits 1
# with one line naming the offending token, and `twill nat show` /
# `twill -j nat show` are the same before and after, with NAT on (custom
# settings) and with NAT off.  Then the privilege boundary:
#   - an unprivileged user (dropuid 65534) is refused nat set, nat flows,
#     nat show ("Operation not permitted");
#   - root of a container's user namespace, owning a network namespace to
#     which the host moved twill0 (NAT goes off with the move), may read
#     the device but not turn NAT on or change it: EPERM, "changing NAT
#     needs CAP_NET_ADMIN in the namespace that created the device"; the
#     host's view is unchanged;
#   - a twill device made inside that namespace is its own: NAT may be
#     turned on there, but max-flows not raised past its default (that
#     needs the initial user namespace).
. "$(dirname "$0")/lib.sh"

for t in userns dropuid; do
	command -v $t >/dev/null || fail "$t (tests/tools) not in the guest"
done
module_load
H=$(ns_new host)
ip -n "$H" link add twill0 type twill
ip -n "$H" link add dummy0 type dummy
tw() { in_ns "$H" twill "$@"; }

# state: what nat show says, both ways (counters included)
state() {
	tw nat show twill0
	tw -j nat show twill0
}

# bad NEEDLE ARGS...: `twill nat set twill0 ARGS` exits 1 with one line
# containing NEEDLE; nothing changes.
bad() {
	_needle=$1
	shift
	badcmd "$_needle" twill nat set twill0 "$@"
}

# badcmd NEEDLE CMD...: CMD (in the host namespace) exits 1, one line with
# NEEDLE, twill0's NAT unchanged.
badcmd() {
	_needle=$1
	shift
	_before=$(state)
	if out=$(in_ns "$H" "$@" 2>&1 >/dev/null); then
		fail "'$*' succeeded"
	else
		rc=$?
	fi
	assert_eq "$rc" 1 "exit status of '$*'"
	assert_eq "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 1 "error lines of '$*': $out"
	assert_contains "$out" "twill: " "error of '$*'"
	assert_contains "$out" "$_needle" "error of '$*'"
	assert_eq "$(state)" "$_before" "nat show after '$*'"
	echo "   refused: $out"
}

# 33 prefixes (one more than TWILL_NAT_MAX_PREFIXES)
many=$(i=0; while [ $i -lt 33 ]; do printf '10.%d.0.0/16,' $i; i=$((i + 1)); done)
many=${many%,}

for phase in on off; do
	if [ $phase = on ]; then
		step "NAT on, custom settings"
		tw nat set twill0 masquerade 10.244.0.0/16,fd00:244::/48 exclude 10.96.0.0/12 \
			to 192.0.2.1 ports 30000-40000 max-flows 1000
		assert_contains "$(tw nat show twill0)" "30000-40000" "nat show: ports"
	else
		step "NAT off"
		tw nat set twill0 off
		assert_contains "$(tw nat show twill0)" "off" "nat show: off"
	fi
	bad "'10.244.0.0/33'" masquerade 10.244.0.0/33
	bad "did you mean 10.244.0.0/16" masquerade 10.244.0.1/16
	bad "did you mean fd00:244::/48" masquerade fd00:244::1/48
	bad "'garbage'" masquerade garbage
	bad "'10.0.0.0/8x'" masquerade 10.244.0.0/16 exclude 10.0.0.0/8x
	bad "did you mean 10.96.0.0/12" masquerade 10.244.0.0/16 exclude 10.96.0.1/12
	bad "duplicate prefix 10.0.0.0/8" masquerade 10.0.0.0/8,10.0.0.0/8
	bad "too many prefixes" masquerade "$many"
	bad "'2000-1000'" masquerade 10.244.0.0/16 ports 2000-1000
	bad "'0-100'" ports 0-100
	bad "'1024-70000'" ports 1024-70000
	bad "'1024'" ports 1024
	bad "'0'" masquerade 10.244.0.0/16 max-flows 0
	bad "'-1'" max-flows -1
	bad "'16777217'" max-flows 16777217
	bad "more than one IPv4 address" masquerade 10.244.0.0/16 to 192.0.2.1,192.0.2.2
	bad "'garbage'" to garbage
	bad "'224.0.0.1'" to 224.0.0.1
	bad "'bogus'" masquerade 10.244.0.0/16 bogus
	bad "'masquerade' needs a value" masquerade
	bad "'off' cannot be combined" off masquerade 10.244.0.0/16
	bad "'ports' given twice" masquerade 10.244.0.0/16 ports 1000-2000 ports 3000-4000
	bad "nothing to set"
	badcmd "nosuch0" twill nat set nosuch0 masquerade 10.244.0.0/16
	badcmd "dummy0" twill nat set dummy0 masquerade 10.244.0.0/16
	badcmd "nosuch0" twill nat flows nosuch0
done
step "NAT off: settings without masquerade are refused, nat flows has nothing to show"
bad "NAT is off" ports 2000-3000
badcmd "no NAT" twill nat flows twill0

step "an unprivileged user (dropuid 65534) is refused"
tw nat set twill0 masquerade 10.244.0.0/16
chmod 755 "$TW_TMP"
for args in "nat set twill0 masquerade 10.0.0.0/8" "nat set twill0 off" "nat flows twill0" "nat show twill0"; do
	# shellcheck disable=SC2086 # one word per argument
	badcmd "not permitted" dropuid 65534 twill $args
done

step "root of a container's user namespace gets twill0 (NAT on before the move)"
tw nat set twill0 masquerade 10.244.0.0/16 ports 30000-30100
cat >"$TW_TMP/inner.sh" <<'INNER'
. "$LIB"
step "inside: the device is there, NAT went off with the move"
assert_contains "$(twill nat show twill0)" "off" "nat show inside"
step "inside: changing NAT is refused with EPERM"
for a in "masquerade 10.0.0.0/8" "masquerade 10.244.0.0/16 ports 30000-30100" "masquerade 10.0.0.0/8 max-flows 1000"; do
	# shellcheck disable=SC2086
	expect_fail -m "changing NAT needs CAP_NET_ADMIN in the namespace that created the device" twill nat set twill0 $a
	assert_contains "$TW_ERR" "twill: " "error format"
done
assert_contains "$(twill nat show twill0)" "off" "still off inside"
step "inside: a device made here is the container's own: NAT on, not past the default max-flows"
ip link add twill1 type twill
twill nat set twill1 masquerade 10.0.0.0/8 max-flows 1000
assert_contains "$(twill nat show twill1)" "/ 1000" "nat on twill1 with max-flows 1000"
# (the kernel's message ends "...initial user namespac": 81 characters in
# extack's 80-byte formatted-message buffer; reported)
expect_fail -m "raising max-flows above 131072 needs CAP_NET_ADMIN in the initial user" \
	twill nat set twill1 max-flows 200000
assert_contains "$(twill nat show twill1)" "/ 1000" "max-flows still 1000"
twill nat set twill1 max-flows 131072
twill nat set twill1 off
: >"$SHARED/done"
wait_for 60 test -e "$SHARED/end"
INNER
chmod 1777 "$TW_TMP"
chmod 644 "$TW_TMP/inner.sh"
userns 1000 "$TW_TMP/go" env LIB="$(cd "$(dirname "$0")" && pwd)/lib.sh" \
	SHARED="$TW_TMP" sh "$TW_TMP/inner.sh" >"$TW_TMP/out" 2>&1 &
upid=$!
on_cleanup ": >'$TW_TMP/end'; kill $upid 2>/dev/null"
wait_for 10 test -s "$TW_TMP/out"
cpid=$(head -n 1 "$TW_TMP/out")
ip -n "$H" link set twill0 netns "$cpid"
: >"$TW_TMP/go"
until [ -e "$TW_TMP/done" ] || ! kill -0 "$upid" 2>/dev/null; do sleep 0.1; done
sed 's/^/   | /' "$TW_TMP/out"
[ -e "$TW_TMP/done" ] || fail "the checks inside the user namespace failed"
: >"$TW_TMP/end"
rc=0
wait "$upid" || rc=$?
assert_eq "$rc" 0 "exit status inside the user namespace"
echo "PASS: nat-badinput"
