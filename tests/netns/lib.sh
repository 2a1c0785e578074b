# Helpers for the namespace scenarios (POSIX sh; runs under dash in the VM).
# A scenario is one file that sources this and runs top to bottom:
#
#   . "$(dirname "$0")/lib.sh"
#   H=$(ns_new host)
#   ip -n "$H" link add twill0 type twill
#   assert_contains "$(ip -n "$H" -d link show twill0)" twill
#
# Exit 0 = pass, anything else = fail, 77 (skip) = skipped.  Every namespace
# made with ns_new is deleted on exit, whatever the outcome, so each
# scenario starts from and leaves a clean machine.
#
# tests/vm/test runs every tests/netns/*.sh that starts with "#!" as a
# scenario; files without a "#!" line (this one, topo.sh) are only sourced.
# shellcheck shell=sh

set -eu

TW_NAME=$(basename "$0" .sh)
# Unique per run, so leftovers of one scenario never meet the next.
TW_PFX="tw$$"
TW_TMP=$(mktemp -d "/tmp/$TW_NAME.XXXXXX")
TW_CLEANUP=""
TW_T0=$(date +%s)

# Full paths: busybox sh would run its own ip/tc applets, not iproute2's.
for _p in /usr/sbin /sbin /usr/bin /bin; do
	[ -x "$_p/ip" ] && [ ! -L "$_p/ip" ] && { TW_IP=$_p/ip; break; }
done
for _p in /usr/sbin /sbin /usr/bin /bin; do
	[ -x "$_p/tc" ] && [ ! -L "$_p/tc" ] && { TW_TC=$_p/tc; break; }
done
# util-linux's nsenter (busybox's runs its own applets: ping, ip...).
for _p in /usr/bin /bin /usr/sbin /sbin; do
	[ -x "$_p/nsenter" ] && [ ! -L "$_p/nsenter" ] && { TW_NSENTER=$_p/nsenter; break; }
done
ip() { "${TW_IP:?iproute2 ip not found}" "$@"; }
tc() { "${TW_TC:?iproute2 tc not found}" "$@"; }

# --- reporting -------------------------------------------------------------

# A step says when it began (seconds into the scenario): where a slow
# scenario spends its time shows in every log.
step() { echo "== $* [$(($(date +%s) - TW_T0))s]"; }
fail() {
	echo "FAIL: $TW_NAME: $*" >&2
	exit 1
}
skip() {
	echo "SKIP: $TW_NAME: $*"
	exit 77
}

# --- cleanup ---------------------------------------------------------------

# on_cleanup CMD: run CMD (a string, eval'ed) at exit, before the
# namespaces are deleted.  Last registered runs first.
on_cleanup() { TW_CLEANUP="$1
$TW_CLEANUP"; }
# on_exit FUNC [ARGS]: the same, for helper files (topo.sh) that hook in.
on_exit() { on_cleanup "$*"; }

tw_cleanup() {
	_rc=$?
	trap - EXIT
	set +e
	printf '%s\n' "$TW_CLEANUP" | while IFS= read -r _c; do
		[ -n "$_c" ] && eval "$_c"
	done
	for _ns in $(ip netns list | awk '{ print $1 }'); do
		case $_ns in "$TW_PFX"-*) ip netns del "$_ns" ;; esac
	done
	rm -rf "$TW_TMP"
	exit "$_rc"
}
trap tw_cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- namespaces and links --------------------------------------------------

# ns_new NAME: make a namespace (loopback up), print its full name.
ns_new() {
	_ns="$TW_PFX-$1"
	ip netns add "$_ns"
	ip -n "$_ns" link set lo up
	echo "$_ns"
}

# in_ns NS CMD...: run CMD in namespace NS's network.  nsenter, not `ip
# netns exec`: that one's private mount namespace and /sys remount cost
# about 90 ms a call on the stock kernels and 300 ms on the debug one, and
# only /sys/class/net needs them (in_ns_sys).
in_ns() {
	_ns=$1
	shift
	"${TW_NSENTER:?util-linux nsenter not found}" --net="/run/netns/$_ns" "$@"
}

# in_ns_sys NS CMD...: the same with NS's own /sys (/sys/class/net).
in_ns_sys() {
	_ns=$1
	shift
	ip netns exec "$_ns" "$@"
}

# veth_pair NS1 IF1 NS2 IF2: a veth pair between two namespaces, both up.
veth_pair() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

# host_pod HOSTNS PODNS ADDR_HOST ADDR_POD: veth "pod" in the host ns and
# "eth0" in the pod ns, addressed (e.g. 10.0.0.1/24 10.0.0.2/24).
host_pod() {
	veth_pair "$1" pod "$2" eth0
	ip -n "$1" addr add "$3" dev pod
	ip -n "$2" addr add "$4" dev eth0
}

# link_exists NS DEV
link_exists() { ip -n "$1" link show dev "$2" >/dev/null 2>&1; }

# link_kind NS DEV: print the link's kind ("twill", "veth", ...).
link_kind() {
	ip -n "$1" -d link show dev "$2" | awk 'NR == 3 { print $1 }'
}

# counter NS DEV NAME: a /sys/class/net/DEV/statistics/NAME counter.
counter() {
	in_ns_sys "$1" cat "/sys/class/net/$2/statistics/$3"
}

# --- the module ------------------------------------------------------------

module_loaded() { grep -q '^twill ' /proc/modules; }
module_load() { module_loaded || modprobe twill; }
module_unload() { ! module_loaded || rmmod twill; }

# --- assertions ------------------------------------------------------------

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"
}

# assert_contains TEXT NEEDLE [WHAT]
assert_contains() {
	case $1 in
	*"$2"*) ;;
	*) fail "${3:-output} does not contain '$2':
$1" ;;
	esac
}

# assert_not_contains TEXT NEEDLE [WHAT]
assert_not_contains() {
	case $1 in
	*"$2"*) fail "${3:-output} contains '$2':
$1" ;;
	esac
}

# expect_fail [-x STATUS] [-m TEXT] CMD...: CMD must be refused: exit with
# STATUS (default 1; iproute2's ip exits 2 when the kernel refuses) and say
# why (TEXT, if given, must be in what it printed).  Success fails, and so
# does a crash or any other status (a signal, 126/127, a refusal by the
# wrong layer).  Its output goes to TW_ERR.
expect_fail() {
	_want=1
	_text=
	while :; do
		case $1 in
		-x) _want=$2; shift 2 ;;
		-m) _text=$2; shift 2 ;;
		*) break ;;
		esac
	done
	_rc=0
	TW_ERR=$("$@" 2>&1) || _rc=$?
	case $_rc in
	0) fail "expected to fail but succeeded: $*
$TW_ERR" ;;
	"$_want") ;;
	*)
		[ "$_rc" -gt 128 ] && fail "crashed (signal $((_rc - 128))) instead of refusing: $*
$TW_ERR"
		fail "exit $_rc instead of a refusal (exit $_want): $*
$TW_ERR"
		;;
	esac
	[ -n "$TW_ERR" ] || fail "refused without a message: $*"
	[ -z "$_text" ] || assert_contains "$TW_ERR" "$_text" "refusal of '$*'"
	echo "   refused as expected: $TW_ERR"
}

# wait_for SECONDS CMD...: retry CMD until it succeeds.
wait_for() {
	_deadline=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$_deadline" ] || fail "timed out waiting for: $*"
		sleep 0.1
	done
}
