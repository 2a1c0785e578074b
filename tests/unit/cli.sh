#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The twill binary where no kernel module is needed: options, version,
# write errors and input refused before anything is sent.  Ends with
# "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
make -s -C userspace twill >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
TW=userspace/twill
tmp=$(mktemp -d "${TMPDIR:-/tmp}/twill-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
p=0 f=0
ok() { p=$((p + 1)); echo "ok   cli/$1"; }
bad() { f=$((f + 1)); echo "FAIL cli/$1: $2"; }

# expect NAME STATUS STDERR-NEEDLE CMD...: exit status and one error line
expect() {
	name=$1 want=$2 needle=$3
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		bad "$name" "exit $rc, want $want ($(cat "$tmp/err"))"
	elif [ -n "$needle" ] && ! grep -qF -- "$needle" "$tmp/err"; then
		bad "$name" "stderr '$(cat "$tmp/err")' lacks '$needle'"
	elif [ -n "$needle" ] && [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
		bad "$name" "not one line: $(cat "$tmp/err")"
	else
		ok "$name"
	fi
}

# service: input refused before anything is sent
expect "service set no key" 1 "" $TW service set twill0
expect "service set bad proto" 1 "protocol must be tcp or udp" \
	$TW service set twill0 10.96.0.10:80/sctp
expect "service set family" 1 "not of the service's address family" \
	$TW service set twill0 "[fd00::10]:80/tcp" backend 10.0.0.1
expect "service set weight" 1 "0-65535" \
	$TW service set twill0 10.96.0.10:80/tcp backend 10.0.0.1 weight 70000
expect "service unknown" 1 "unknown service command 'list'" $TW service list
expect "service config prime" 1 "a prime" $TW service config twill0 maglev-size 100

# --version is VERSION
if [ "$($TW --version)" = "twill $(cat VERSION)" ] &&
   [ "$($TW -V)" = "twill $(cat VERSION)" ]; then
	ok version
else
	bad version "'$($TW --version)' is not 'twill $(cat VERSION)'"
fi

# options before the command, as in iproute2 (no twill device needed)
for opts in "-j show interfaces" "show interfaces -j" "--json show interfaces" \
	    "-jp show interfaces" "-j -p show interfaces"; do
	# shellcheck disable=SC2086
	out=$($TW $opts 2>&1)
	case $out in
	\[*\]) ok "opts '$opts'" ;;
	*) bad "opts '$opts'" "not a JSON array: $out" ;;
	esac
done
expect "unknown option" 1 "twill: unknown option '-x'" $TW -x show
expect "unknown command" 1 "twill: unknown command 'shwo'" $TW -j shwo

# a full disk: exit 1, one line
if [ -w /dev/full ]; then
	expect "version > /dev/full" 1 "error writing standard output" sh -c "$TW --version >/dev/full"
	expect "show -j > /dev/full" 1 "error writing standard output" sh -c "$TW -j show interfaces >/dev/full"
	expect "help > /dev/full" 1 "error writing standard output" sh -c "$TW help >/dev/full"
fi

# refused before a device is even looked up (nosuch0 does not exist)
expect "same address" 1 "set nosuch0: peer 192.0.2.2:9000: address already used by peer 192.0.2.2:8472" \
	$TW set nosuch0 peer 192.0.2.2:8472 peer 192.0.2.2:9000
expect "link-local" 1 "link-local endpoints are not supported" \
	$TW set nosuch0 peer '[fe80::1%eth0]:8472'
expect "max-peers bound" 1 "invalid max-peers '1048577' (expected 1-1048576)" \
	$TW set nosuch0 max-peers 1048577
expect "zero MAC" 1 "must not be zero" $TW set nosuch0 mac 00:00:00:00:00:00
printf '[Peer]\nEndpoint = 1.2.3.4\n\n[Peer]\nEndpoint = 1.2.3.4:8472\n' >"$tmp/dup.conf"
for c in setconf addconf syncconf; do
	expect "$c same address" 1 "$tmp/dup.conf:5: peer 1.2.3.4:8472: address already used by the peer on line 1" \
		$TW $c nosuch0 "$tmp/dup.conf"
done
printf '[Device]\nMaxPrefixes = 67108865\n' >"$tmp/max.conf"
expect "setconf max-prefixes bound" 1 "$tmp/max.conf:2: invalid MaxPrefixes '67108865'" \
	$TW setconf nosuch0 "$tmp/max.conf"

# nat: bad input refused naming the token, before the device is looked up
expect "nat help" 0 "" $TW nat --help
expect "nat no subcommand" 1 "" $TW nat
expect "nat unknown subcommand" 1 "twill: unknown nat command 'sett'" $TW nat sett nosuch0 off
expect "nat set nothing" 1 "nat set nosuch0: nothing to set" $TW nat set nosuch0
expect "nat set host bits" 1 "nat set nosuch0: invalid prefix '10.244.0.1/16' (host bits set; did you mean 10.244.0.0/16?)" \
	$TW nat set nosuch0 masquerade 10.244.0.1/16
expect "nat set off and more" 1 "nat set nosuch0: 'off' cannot be combined with other arguments" \
	$TW nat set nosuch0 off ports 1-2
expect "nat set two IPv4" 1 "nat set nosuch0: to: more than one IPv4 address ('192.0.2.2')" \
	$TW nat set nosuch0 to 192.0.2.1,192.0.2.2
expect "nat set ports" 1 "nat set nosuch0: invalid ports '9-8' (MIN > MAX)" $TW nat set nosuch0 ports 9-8
expect "nat set max-flows" 1 "nat set nosuch0: invalid max-flows '0' (expected 1-16777216)" \
	$TW nat set nosuch0 max-flows 0
expect "nat set unknown" 1 "nat set nosuch0: unknown argument 'masq'" $TW nat set nosuch0 masq 10.0.0.0/8
expect "nat set no device" 1 "nosuch0: no such device" $TW nat set nosuch0 masquerade 10.0.0.0/8
expect "nat flows no device" 1 "nosuch0: no such device" $TW -j nat flows nosuch0
printf '[Device]\nVNI = 1\nMasqueradeTo = auto\n' >"$tmp/nat.conf"
for c in setconf syncconf; do
	expect "$c NAT key without Masquerade" 1 "$tmp/nat.conf:3: MasqueradeTo needs Masquerade" \
		$TW $c nosuch0 "$tmp/nat.conf"
done

echo "$p passed, $f failed"
[ "$f" -eq 0 ]
