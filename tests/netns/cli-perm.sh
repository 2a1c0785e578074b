#!/bin/sh
# Without CAP_NET_ADMIN every twill command that reads or changes a device
# fails with "Operation not permitted" (exit 1) and changes nothing.
#
# Privileges are dropped with tests/tools/dropuid (uid and gid 65534, which
# leaves no capabilities).
. "$(dirname "$0")/lib.sh"

D="dropuid 65534"
command -v dropuid >/dev/null || fail "dropuid (tests/tools) not in the guest"
module_load
H=$(ns_new host)
ip -n "$H" link add twill0 type twill
tw() { in_ns "$H" twill "$@"; }

tw set twill0 vni 5 peer 192.0.2.1:8472 prefixes 10.1.0.0/24
before=$(tw showconf twill0)
cat >"$TW_TMP/f.conf" <<'CONF'
[Peer]
Endpoint = 192.0.2.9:8472
Prefixes = 10.9.0.0/24
CONF
# readable after dropping to uid 65534
chmod 755 "$TW_TMP"
chmod 644 "$TW_TMP/f.conf"

# perm_fail ARGS...: unprivileged `twill ARGS` must exit 1 with one line
# saying "not permitted".
perm_fail() {
	# shellcheck disable=SC2086 # $D is a command prefix
	if out=$(in_ns "$H" $D twill "$@" 2>&1 >/dev/null); then
		fail "unprivileged 'twill $*' succeeded"
	else
		rc=$?
	fi
	assert_eq "$rc" 1 "exit status of unprivileged 'twill $*'"
	assert_contains "$out" "not permitted" "error of unprivileged 'twill $*'"
	assert_eq "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 1 "error lines of 'twill $*'"
}

step "unprivileged commands are refused ($D)"
perm_fail show twill0
perm_fail showconf twill0
perm_fail set twill0 vni 6
perm_fail set twill0 peer 192.0.2.1:8472 remove
perm_fail setconf twill0 "$TW_TMP/f.conf"
perm_fail addconf twill0 "$TW_TMP/f.conf"
perm_fail syncconf twill0 "$TW_TMP/f.conf"
perm_fail route get twill0 10.1.0.1

step "nothing changed"
assert_eq "$(tw showconf twill0)" "$before" "state after unprivileged attempts"

step "privileged still works"
tw set twill0 vni 6
assert_contains "$(tw showconf twill0)" "VNI = 6"
