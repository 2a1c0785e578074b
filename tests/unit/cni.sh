#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# twill-cni where no interface is made: VERSION, --help, the error objects
# of bad input and environment, and the IPAM delegate (a fake plugin that
# logs its calls): its error codes passed on, a bad result refused and the
# address released again, DEL without a cache or a subnet file.  Every ADD
# here fails before the veth, so nothing needs privileges or touches the
# network.  Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
make -s -C userspace cni/twill-cni >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
P=$(pwd)/userspace/cni/twill-cni
tmp=$(mktemp -d "${TMPDIR:-/tmp}/twill-cni.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
p=0 f=0
ok() { p=$((p + 1)); echo "ok   cni/$1"; }
bad() { f=$((f + 1)); echo "FAIL cni/$1: $2"; }

# A fake IPAM plugin: logs "COMMAND CONTAINERID" and answers with
# $tmp/answer.COMMAND (exit 1 when that names an error: a "code" key).
mkdir -p "$tmp/bin"
cat >"$tmp/bin/fake" <<EOF
#!/bin/sh
cat >"$tmp/stdin.\$CNI_COMMAND"
echo "\$CNI_COMMAND \$CNI_CONTAINERID" >>"$tmp/calls"
[ -f "$tmp/answer.\$CNI_COMMAND" ] || exit 0
cat "$tmp/answer.\$CNI_COMMAND"
grep -q '"code"' "$tmp/answer.\$CNI_COMMAND" && exit 1
exit 0
EOF
chmod +x "$tmp/bin/fake"

# run COMMAND CONF [VAR=VALUE...]: the plugin; $tmp/out, $tmp/err, rc
run() {
	cmd=$1 conf=$2
	shift 2
	printf '%s' "$conf" | env CNI_COMMAND="$cmd" CNI_CONTAINERID=c1 \
		CNI_NETNS=/proc/self/ns/net CNI_IFNAME=eth0 CNI_PATH="$tmp/bin" \
		"$@" "$P" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# refused NAME CODE MSG-NEEDLE COMMAND CONF [VAR=VALUE...]: exit 1 and an
# error object with this code and message
refused() {
	name=$1 code=$2 needle=$3
	shift 3
	run "$@"
	if [ "$rc" != 1 ]; then
		bad "$name" "exit $rc, want 1: $(cat "$tmp/out" "$tmp/err")"
	elif ! grep -q "\"code\": $code," "$tmp/out"; then
		bad "$name" "not code $code: $(cat "$tmp/out")"
	elif ! grep -qF -- "$needle" "$tmp/out"; then
		bad "$name" "message lacks '$needle': $(cat "$tmp/out")"
	else
		ok "$name"
	fi
}

C='{"cniVersion":"1.0.0","name":"pods","type":"twill","mtu":1400,"dataDir":"'"$tmp/cache"'"'
FAKE=$C',"ipam":{"type":"fake"}}'

run VERSION '{"cniVersion":"0.4.0"}'
if [ "$rc" = 0 ] && grep -q '"cniVersion": "0.4.0"' "$tmp/out" &&
   grep -q '"1.1.0"' "$tmp/out"; then
	ok version
else
	bad version "$(cat "$tmp/out")"
fi
run VERSION ''
if [ "$rc" = 0 ] && grep -q '"cniVersion": "1.0.0"' "$tmp/out"; then
	ok "version without a config"
else
	bad "version without a config" "$(cat "$tmp/out")"
fi
if "$P" --help | grep -q subnetFile && "$P" --help | grep -q dataDir &&
   "$P" --version | grep -q "twill-cni $(cat VERSION)"; then
	ok "help and version"
else
	bad "help and version" "$("$P" --help)"
fi
if env -u CNI_COMMAND "$P" </dev/null >/dev/null 2>"$tmp/err"; then
	bad "no CNI_COMMAND" "exit 0"
elif grep -q "CNI_COMMAND is not set" "$tmp/err"; then
	ok "no CNI_COMMAND"
else
	bad "no CNI_COMMAND" "$(cat "$tmp/err")"
fi

refused "not JSON" 6 "not JSON" ADD '{"cniVersion":'
refused "empty" 6 "no network configuration" ADD ''
printf '{"cniVersion":"1.0.0"}\000' >"$tmp/nul"
CNI_COMMAND=ADD "$P" <"$tmp/nul" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q '"code": 6,' "$tmp/out" && grep -q "NUL byte" "$tmp/out"; then
	ok "NUL byte"
else
	bad "NUL byte" "exit $rc: $(cat "$tmp/out")"
fi
refused "unsupported version" 1 'cniVersion \"0.2.0\" is not supported' ADD '{"cniVersion":"0.2.0","name":"p","type":"twill"}'
refused "bad mtu" 7 '\"mtu\" 10 is not 68-65535' ADD "$C"',"mtu":10}'
refused "no container id" 4 "CNI_CONTAINERID is not set" ADD "$FAKE" CNI_CONTAINERID=
refused "bad container id" 4 "is not a container ID" ADD "$FAKE" CNI_CONTAINERID=a/b
refused "bad ifname" 4 "is not an interface name" ADD "$FAKE" CNI_IFNAME=a:b
refused "no netns" 4 "CNI_NETNS is not set" ADD "$FAKE" CNI_NETNS=
refused "missing netns" 3 "CNI_NETNS /nonexistent" ADD "$FAKE" CNI_NETNS=/nonexistent
refused "no CNI_PATH" 4 "CNI_PATH is not set" ADD "$FAKE" CNI_PATH=
refused "no IPAM plugin" 7 'IPAM plugin \"nosuch\" not found' ADD "$C"',"ipam":{"type":"nosuch"}}'
refused "no subnet file" 11 "subnet file $tmp/none" ADD "$C"',"subnetFile":"'"$tmp/none"'"}'
refused "unknown command" 4 "is not ADD, DEL" FROB "$FAKE"
refused "STATUS needs 1.1.0" 1 "STATUS needs cniVersion 1.1.0" STATUS "$FAKE"
refused "CHECK without prevResult" 7 "CHECK needs" CHECK "$FAKE"
if [ -e "$tmp/calls" ]; then
	bad "no delegate called" "$(cat "$tmp/calls")"
else
	ok "no delegate called"
fi

# the delegate's own error code and message go on; the cache goes
echo '{"cniVersion":"1.0.0","code":11,"msg":"range full"}' >"$tmp/answer.ADD"
refused "IPAM error passed on" 11 "IPAM plugin fake (ADD): range full" ADD "$FAKE"
if [ "$(cat "$tmp/calls")" = "ADD c1" ] && [ -z "$(ls -A "$tmp/cache")" ]; then
	ok "IPAM error: cache removed"
else
	bad "IPAM error: cache removed" "calls: $(cat "$tmp/calls"); cache: $(ls "$tmp/cache")"
fi
# the delegate got the configuration with its ipam and cniVersion
if grep -q '"ipam":{"type":"fake"}' "$tmp/stdin.ADD" && grep -q '"name":"pods"' "$tmp/stdin.ADD"; then
	ok "delegate's stdin"
else
	bad "delegate's stdin" "$(cat "$tmp/stdin.ADD")"
fi

# a result that is not one: refused, and the address released again
rm -f "$tmp/calls"
echo '{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2"}]}' >"$tmp/answer.ADD"
refused "bad IPAM result" 6 'address \"10.0.0.2\" is invalid' ADD "$FAKE"
if [ "$(cat "$tmp/calls")" = "ADD c1
DEL c1" ]; then
	ok "bad IPAM result: released"
else
	bad "bad IPAM result: released" "calls: $(cat "$tmp/calls")"
fi
# no gateway: refused, released
rm -f "$tmp/calls"
echo '{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]}' >"$tmp/answer.ADD"
refused "no gateway" 7 "gave 10.0.0.2 no gateway" ADD "$FAKE"
if [ "$(cat "$tmp/calls")" = "ADD c1
DEL c1" ] && [ -z "$(ls -A "$tmp/cache")" ]; then
	ok "no gateway: released"
else
	bad "no gateway: released" "calls: $(cat "$tmp/calls")"
fi
rm -f "$tmp/answer.ADD"

# DEL: the delegate with the configuration; twice; a failing delegate
# fails DEL (the runtime retries); nothing to release without a cache or
# a subnet file
rm -f "$tmp/calls"
run DEL "$FAKE"
run DEL "$FAKE"
if [ "$rc" = 0 ] && [ "$(cat "$tmp/calls")" = "DEL c1
DEL c1" ]; then
	ok "DEL twice"
else
	bad "DEL twice" "exit $rc; calls: $(cat "$tmp/calls")"
fi
echo '{"cniVersion":"1.0.0","code":5,"msg":"disk"}' >"$tmp/answer.DEL"
refused "DEL: delegate fails" 5 "IPAM plugin fake (DEL): disk" DEL "$FAKE"
rm -f "$tmp/answer.DEL" "$tmp/calls"
run DEL "$C"',"subnetFile":"'"$tmp/none"'"}' CNI_NETNS=
if [ "$rc" = 0 ] && [ ! -e "$tmp/calls" ] && [ ! -s "$tmp/out" ]; then
	ok "DEL without cache or subnet file"
else
	bad "DEL without cache or subnet file" "exit $rc: $(cat "$tmp/out")"
fi

# STATUS (1.1.0): the subnet file
V11='{"cniVersion":"1.1.0","name":"pods","type":"twill","mtu":1400'
refused "STATUS without a subnet file" 50 "subnet file $tmp/none" STATUS "$V11"',"subnetFile":"'"$tmp/none"'"}'
printf 'FLANNEL_SUBNET=10.244.3.1/24\n' >"$tmp/subnet.env"
run STATUS "$V11"',"subnetFile":"'"$tmp/subnet.env"'"}'
if [ "$rc" = 0 ]; then ok "STATUS"; else bad "STATUS" "exit $rc: $(cat "$tmp/out")"; fi
printf 'FLANNEL_SUBNET=10.244.3.1/99\n' >"$tmp/subnet.env"
refused "bad subnet file" 7 "line 1: FLANNEL_SUBNET" ADD "$C"',"subnetFile":"'"$tmp/subnet.env"'"}'

echo "$p passed, $f failed"
[ "$f" -eq 0 ]
