#!/bin/sh
# shellcheck shell=dash
# Service virtual addresses: backends removed and added under long-lived
# TCP connections (issue 11).  topo.sh's hostA (client podA1) and hostB
# (backends podB1..podB5 on its cni0 bridge), twill0 on both; hostA has
# 10.96.0.20:80/tcp and [fd00:96::20]:80/tcp over the five backends
# (flowtool serve, port 8080).  Per family:
#
#   - TWILL_NAT_HELD (100; 40 on a debug kernel) connections from podA1,
#     held open, spread over all five backends (`nat flows` says which
#     connection went where);
#   - podB5 removed: every connection to the other four still answers (a
#     probe through each: a request, its answer), every one to podB5 is
#     reset at its next segment (the flow purged, a live backend answers
#     with a reset) and none hangs; `flows_purged` counts them;
#   - podB5 added back: no established connection moves (all of them
#     still answer, their flows byte-for-byte the same), and new
#     connections reach podB5 again.
# Then the whole service table is replaced by setconf, TWILL_NAT_BIG
# (10,000; 1,000 on a debug kernel) services besides these, twice
# while a client loops on connections to 10.96.0.20:80: every
# connection succeeds, none is refused or dropped for want of the service
# (a reader never sees a half-applied table), one flow per connection.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/natlib.sh"

VIP4=10.96.0.20
VIP6=fd00:96::20
N=${TWILL_NAT_HELD:-$(scaled 100 40)}
echo "   TWILL_NAT_HELD=${TWILL_NAT_HELD:-} (kernel ${TWILL_KERNEL:-?}): $N connections"

vip() { if [ "$1" = 6 ]; then echo "$VIP6"; else echo "$VIP4"; fi; }
svc_key() { if [ "$1" = 6 ]; then echo "[$2]:80/tcp"; else echo "$2:80/tcp"; fi; }

# backends FAMILY I...: "backend ADDR:8080" for each pod I of hostB
backends() {
	local fam=$1 i a
	shift
	for i in "$@"; do
		a=$(pod_addr hostB "$i" "$fam")
		[ "$fam" = 6 ] && a="[$a]"
		printf 'backend %s:8080 ' "$a"
	done
}

# held FAMILY: "CLIENTPORT BACKEND" of every TCP flow to the service
held() {
	nat_flows hostA | awk -v v="$(vip "$1")" '$1 == "tcp" && $4 == v && $5 == 80 { print $3, $6 }' | sort -n
}

# held_of FAMILY "PORT...": held's lines of those client ports
held_of() {
	held "$1" | awk -v p="$2" 'BEGIN { n = split(p, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 } $1 in want'
}

# probe: SIGUSR1 to the held connections' flowtool, wait for its summary;
# PROBE = its "probe PORT ok|fail ..." lines
PROBES=0
probed() { [ "$(grep -c '^probe ok=' "$CONN_LOG")" -ge "$PROBES" ]; }
probe() {
	PROBES=$((PROBES + 1))
	kill -USR1 "$CONN_PID" || t_fail "flowtool (held connections) is gone"
	topo_wait 60 probed || t_fail "probe $PROBES: no summary within 60 s: $(cat "$CONN_LOG")"
	PROBE=$(awk -v n="$PROBES" '/^probe ok=/ { p++; next } /^probe / && p == n - 1 { print $2, $3, $4 }' "$CONN_LOG")
	info "probe $PROBES: $(grep '^probe ok=' "$CONN_LOG" | sed -n "${PROBES}p")"
}

step "topology: hostA (client podA1), hostB (backends podB1..podB5), twill0 mesh"
topo_hosts hostA hostB
topo_pods hostA 1
topo_pods hostB 5
topo_twill_mesh 4 hostA hostB
i=1
while [ $i -le 5 ]; do
	srv_start "podB$i" 8080 -q
	i=$((i + 1))
done

for fam in 4 6; do
	v=$(vip $fam)
	b5=$(pod_addr hostB 5 $fam)

	step "IPv$fam: $N connections held through $v:80 over podB1..podB5"
	check_ok "service $v:80/tcp, 5 backends" nsx hostA "$TWILL" service set twill0 \
		"$(svc_key $fam "$v")" $(backends $fam 1 2 3 4 5)
	conn_start podA1 "$N" "$v" 80 -v
	conn_wait "$CONN_LOG"
	check_eq "$CONN_OUT" "ok=$N fail=0" "$N connections, each answered"
	before=$(held $fam)
	check_eq "$(printf '%s\n' "$before" | wc -l)" "$N" "nat flows: $N TCP flows to $v:80"
	per=$(printf '%s\n' "$before" | awk '{ print $2 }' | sort | uniq -c | awk '{ printf "%s ", $1 }')
	info "connections per backend: $per"
	check_eq "$(printf '%s\n' "$before" | awk '{ print $2 }' | sort -u | wc -l)" 5 "all five backends chosen"
	on_b5=$(printf '%s\n' "$before" | awk -v b="$b5" '$2 == b { print $1 }')
	n5=$(printf '%s\n' "$on_b5" | wc -l)

	step "IPv$fam: podB5 removed: the others' connections live on, podB5's are reset"
	p0=$(svc_stat flows_purged)
	check_ok "service $v:80/tcp without podB5" nsx hostA "$TWILL" service set twill0 \
		"$(svc_key $fam "$v")" $(backends $fam 1 2 3 4)
	check_eq "$(purged_wait "$p0" "$n5")" "$n5" "flows_purged + $n5: podB5's flows"
	probe
	check_eq "$(printf '%s\n' "$PROBE" | awk '$2 == "ok" { print $1 }' | sort -n | tr '\n' ' ')" \
		"$(printf '%s\n' "$before" | awk -v b="$b5" '$2 != b { print $1 }' | tr '\n' ' ')" \
		"every connection to podB1..podB4 answers ($((N - n5)))"
	check_eq "$(printf '%s\n' "$PROBE" | awk '$2 != "ok" { print $1, $2, $3 }' | sort -n | tr '\n' ' ')" \
		"$(printf '%s\n' "$on_b5" | awk '{ print $1, "fail", "ECONNRESET" }' | tr '\n' ' ')" \
		"every connection to podB5 is reset ($n5), none hangs"
	check_eq "$(held $fam | awk -v b="$b5" '$2 == b' | wc -l)" 0 "no flow to podB5 left"
	# the live connections' flows (a reset one's last segment made a
	# flow to a live backend, closed: it goes within 10 s)
	live=$(printf '%s\n' "$PROBE" | awk '$2 == "ok" { printf "%s ", $1 }')
	survivors=$(held_of "$fam" "$live")
	check_eq "$(printf '%s\n' "$survivors" | wc -l)" $((N - n5)) "the live connections' flows are there"

	step "IPv$fam: podB5 added back: no established connection moves, new ones reach it"
	c0=$(svc_stat flows_created)
	check_ok "service $v:80/tcp with podB5 again" nsx hostA "$TWILL" service set twill0 \
		"$(svc_key $fam "$v")" $(backends $fam 1 2 3 4 5)
	probe
	check_eq "$(printf '%s\n' "$PROBE" | awk '$2 != "ok"' | wc -l)" 0 \
		"all $((N - n5)) connections still answer"
	check_eq "$(held_of "$fam" "$live" | tr '\n' ' ')" "$(printf '%s\n' "$survivors" | tr '\n' ' ')" \
		"their flows are unchanged (client port, backend)"
	check_eq "$(svc_stat flows_created)" "$c0" "no flow created by the probe"
	out=$(nsx podA1 "$FLOWTOOL" connect -n 50 "$v" 80) || t_fail "flowtool connect"
	check_eq "$out" "ok=50 fail=0" "50 new connections, each answered"
	check_gt "$(held $fam | awk -v b="$b5" '$2 == b' | wc -l)" 0 "podB5 chosen again by new connections"
	bg_stop "$CONN_PID"
	PROBES=0
done
BIG=${TWILL_NAT_BIG:-$(scaled 10000 1000)}
step "the whole table replaced under a client loop: $BIG services in one setconf, twice"
check_ok "maglev-size 1021 (10,000 tables of 1021 slots)" nsx hostA "$TWILL" service config twill0 maglev-size 1021
base=$(nsx hostA "$TWILL" showconf twill0) || t_fail "showconf"
check_contains "$base" "Address = $VIP4:80/tcp" "showconf has the service"
# big.98 and big.99: the device as it is plus BIG services of their own
for set in 98 99; do
	{
		printf '%s\n\n' "$base"
		awk -v n="$BIG" -v s="$set" -v b="$(pod_addr hostB 1 4)" 'BEGIN {
			for (i = 0; i < n; i++)
				printf "[Service]\nAddress = 10.%d.%d.%d:80/tcp\nBackend = %s:8080\n\n", s, i / 250, i % 250 + 1, b
		}'
	} >"$TOPO_TMP/big.$set.conf"
done
# counters CREATED REFUSED NO-SERVICE from the text (the JSON of 10,000
# services is too much for busybox awk to flatten)
big_counters() {
	nsx hostA "$TWILL" service show twill0 | tail -n 2 | awk '
		$1 == "translated:" { c = $8; r = $12 }
		$1 == "drops:" { d = $3 }
		END { print c + 0, r + 0, d + 0 }'
}
set -- $(big_counters)
c0=$1 r0=$2 d0=$3
RATE_LOG=$TOPO_TMP/rate.log
bg_in podA1 "$FLOWTOOL" rate -T 300 "$VIP4" 80 >"$RATE_LOG" 2>&1
RATE_PID=$BG_PID
for set in 98 99; do
	check_ok "setconf big.$set" nsx hostA "$TWILL" setconf twill0 "$TOPO_TMP/big.$set.conf"
	alive "$RATE_PID" || t_fail "the client loop ended before the replaces: $(cat "$RATE_LOG")"
done
kill "$RATE_PID"
wait "$RATE_PID" 2>/dev/null || :
out=$(cat "$RATE_LOG")
info "client loop: $out"
conns=$(printf '%s\n' "$out" | sed -n 's/^conns=\([0-9]*\) fails=0 .*/\1/p')
check_gt "${conns:-0}" 0 "connections made, none failed ($out)"
set -- $(big_counters)
info "service counters: flows created $c0 -> $1, refused $r0 -> $2, no-service drops $d0 -> $3"
check_eq "$(($2 - r0)) $(($3 - d0))" "0 0" "no packet refused or dropped for want of the service"
check_gt "$(($1 - c0))" 0 "flows created through the replaces"
check_contains "$(nsx hostA "$TWILL" service show twill0 | head -1)" "$((BIG + 2)) services" \
	"the last replace is all there"
echo "PASS: svc-backends"
