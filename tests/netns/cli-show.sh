#!/bin/sh
# twill show: human, JSON (-j, -p), dump and interfaces output; route get;
# --help and --version.
. "$(dirname "$0")/lib.sh"

command -v twill >/dev/null 2>&1 || fail "twill CLI not on PATH"
module_load
H=$(ns_new host)
ip -n "$H" link add twill0 type twill
ip -n "$H" link add twill1 type twill
tw() { in_ns "$H" twill "$@"; }

# json_ok TEXT: brackets balance outside strings and it is one array.
json_ok() {
	printf '%s' "$1" | awk '
		{ s = s $0 "\n" }
		END {
			depth = 0; instr = 0; esc = 0; bad = 0
			for (i = 1; i <= length(s); i++) {
				c = substr(s, i, 1)
				if (instr) {
					if (esc) esc = 0
					else if (c == "\\") esc = 1
					else if (c == "\"") instr = 0
					continue
				}
				if (c == "\"") instr = 1
				else if (c == "{" || c == "[") depth++
				else if (c == "}" || c == "]") { depth--; if (depth < 0) bad = 1 }
			}
			exit (bad || depth || instr) ? 1 : 0
		}'
}

tw set twill0 listen-port 4789 vni 42 mac 02:00:00:00:00:aa ttl 64 \
	peer 192.0.2.1:4789 mac 02:00:00:00:00:01 prefixes 10.1.0.0/24,fd00:1::/64 \
	peer '[2001:db8::2]:4789' prefixes 10.2.0.0/16

step "human"
out=$(tw show twill0)
assert_contains "$out" "interface: twill0"
assert_contains "$out" "listen port: 4789"
assert_contains "$out" "vni: 42"
assert_contains "$out" "ttl: 64"
assert_contains "$out" "peer: 192.0.2.1:4789"
assert_contains "$out" "prefixes: 10.1.0.0/24, fd00:1::/64"
assert_contains "$out" "peer: [2001:db8::2]:4789"
assert_contains "$out" "last rx: never"
out=$(tw show)
assert_contains "$out" "interface: twill0"
assert_contains "$out" "interface: twill1"

step "json"
out=$(tw show twill0 -j)
json_ok "$out" || fail "show -j is not valid JSON: $out"
assert_contains "$out" '[{"ifname":"twill0",'
assert_contains "$out" '"listen_port":4789,"vni":42,'
assert_contains "$out" '"mac":"02:00:00:00:00:aa"'
assert_contains "$out" '"ttl":64,'
assert_contains "$out" '"num_peers":2,"num_prefixes":3,'
assert_contains "$out" '{"endpoint":"192.0.2.1:4789","mac":"02:00:00:00:00:01","prefixes":["10.1.0.0/24","fd00:1::/64"],'
assert_contains "$out" '"endpoint":"[2001:db8::2]:4789","mac":null'
out=$(tw show twill0 -j -p)
json_ok "$out" || fail "show -j -p is not valid JSON: $out"
assert_contains "$out" '    "ifname": "twill0",'
assert_eq "$(echo "$out" | head -1)" "[" "first line of -j -p"
out=$(tw show all -j)
json_ok "$out" || fail "show all -j is not valid JSON"
assert_contains "$out" '"ifname":"twill1"'
assert_eq "$(tw show interfaces | sort | tr '\n' ' ')" "twill0 twill1 " "show interfaces"
assert_contains "$(tw show interfaces -j)" '"twill0"'

step "dump"
out=$(tw show twill0 dump)
assert_eq "$(echo "$out" | wc -l | tr -d ' ')" 3 "dump lines"
assert_eq "$(echo "$out" | head -1 | awk -F'\t' '{ print NF, $1, $2 }')" "18 4789 42" "device line"
# the counts keep their columns (14-16; new ones go at the end), as
# scripts and other scenarios read them by number
js=$(tw show twill0 -j)
assert_eq "$(echo "$out" | head -1 | awk -F'\t' '{ printf "\"num_peers\":%s,\"num_prefixes\":%s,\"generation\":%s", $14, $15, $16 }')" \
	"$(printf '%s' "$js" | grep -o '"num_peers":[0-9]*,"num_prefixes":[0-9]*,"generation":[0-9]*')" "dump columns 14-16 are the counts"
assert_eq "$(echo "$out" | grep '^192.0.2.1:4789' | awk -F'\t' '{ print NF, $2, $3 }')" \
	"10 02:00:00:00:00:01 10.1.0.0/24,fd00:1::/64" "peer line"
out=$(tw show all dump)
assert_eq "$(echo "$out" | awk -F'\t' '{ print $1 }' | sort -u | tr '\n' ' ')" "twill0 twill1 " "show all dump names"

step "route get"
assert_eq "$(tw route get twill0 10.1.0.77)" "10.1.0.0/24 peer 192.0.2.1:4789 mac 02:00:00:00:00:01"
assert_contains "$(tw route get twill0 fd00:1::5)" "fd00:1::/64 peer 192.0.2.1:4789"
assert_contains "$(tw route get twill0 10.2.3.4 -j)" '"prefix":"10.2.0.0/16","endpoint":"[2001:db8::2]:4789"'
if out=$(tw route get twill0 10.9.9.9 2>&1); then
	fail "route get without a peer succeeded"
else
	rc=$?
fi
assert_eq "$rc" 2 "route get exit status without a peer"
assert_contains "$out" "no peer for 10.9.9.9"

step "options before the command, write errors"
assert_eq "$(tw -j show twill0)" "$(tw show twill0 -j)" "-j before show"
assert_eq "$(tw -j -p route get twill0 10.1.0.77)" "$(tw route get twill0 10.1.0.77 -j -p)" "-j -p before route"
if tw showconf twill0 >/dev/full 2>"$TW_TMP/err"; then
	fail "showconf to a full disk succeeded"
fi
assert_contains "$(cat "$TW_TMP/err")" "error writing standard output"

step "link by name, resolved where the device was created"
tw set twill1 link lo
assert_contains "$(tw showconf twill1)" "Link = lo"
assert_contains "$(tw show twill1 -j)" '"link":"lo"'
tw set twill1 link none
assert_contains "$(tw showconf twill1)" "Link = none"

step "help and version"
assert_contains "$(twill --version)" "twill "
for c in show showconf set setconf addconf syncconf route monitor; do
	assert_contains "$(twill $c --help)" "Usage: twill $c" "$c --help"
	assert_contains "$(twill help $c)" "Usage: twill $c" "help $c"
done
