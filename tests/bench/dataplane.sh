#!/bin/sh
# shellcheck shell=dash disable=SC2317
# Datapath benchmark, run in the VM by tests/bench/run (guest.sh).  Not a
# test: prints figures beside their targets and never fails on a target.
#
# One topology (tests/netns/topo.sh): hostA, hostB joined by a veth, podA1
# behind A, podB1 behind B.  Configurations, alternated every round
# (bare, vxlan, twill, twill100k, bare, vxlan, ...):
#   bare       plain routing of the pod subnets over the underlay (the limit)
#   vxlan      kernel vxlan device set up the flannel way (flannel.1)
#   twill      twill0 with one prefix per peer
#   twill100k  twill0 with 100,000 more prefixes installed (setconf)
#   direct     twill0 with `direct auto`: A and B share the underlay link,
#              so their pods' packets go unencapsulated
#   twillnc    twill0 with udp-csum off, like flannel.1 (BENCH_CONFIGS only)
# Figures, podA1 -> podB1: TCP single stream and 4 streams (iperf3 -t T,
# -P 4), UDP 64-byte packets per second received (iperf3 -u -l 64 -b 0),
# ping RTT (20 pings, average).  Medians over the rounds.
#
# Environment: BENCH_ROUNDS (5), BENCH_TIME (seconds per iperf3 run, 5),
# BENCH_PREFIXES (100000), BENCH_CONFIGS ("bare vxlan twill twill100k
# direct").
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/../netns/topo.sh"
. "$(dirname "$0")/benchlib.sh"
set +e

ROUNDS=${BENCH_ROUNDS:-5}
T=${BENCH_TIME:-5}
NPFX=${BENCH_PREFIXES:-100000}
CONFIGS=${BENCH_CONFIGS:-bare vxlan twill twill100k direct}
RES=$TOPO_TMP/results
mkdir -p "$RES"
DST=$(pod4 hostB 1)

# ------------------------------------------------------------ configurations

bare_up() {
	topo_bare hostA hostB && topo_bare hostB hostA
}
bare_down() {
	topo_unbare hostA hostB
	topo_unbare hostB hostA
}

vxlan_up() {
	topo_vxlan hostA 4 && topo_vxlan hostB 4 &&
		topo_vxlan_peer hostA hostB 4 && topo_vxlan_peer hostB hostA 4
}
vxlan_down() {
	nsx hostA "$IP" link del flannel.1 2>/dev/null
	nsx hostB "$IP" link del flannel.1 2>/dev/null
	return 0
}

twill_up() {
	topo_twill hostA && topo_twill hostB &&
		topo_twill_peer hostA hostB 4 "$(subnet4 hostB)" &&
		topo_twill_peer hostB hostA 4 "$(subnet4 hostA)"
}
twill_down() {
	nsx hostA "$IP" link del twill0 2>/dev/null
	nsx hostB "$IP" link del twill0 2>/dev/null
	return 0
}

# twill0 with direct routing: A and B share the underlay link, so `direct
# auto` sends pod packets to each other unencapsulated (issue 14).
direct_up() {
	twill_up && nsx hostA "$TWILL" set twill0 direct auto &&
		nsx hostB "$TWILL" set twill0 direct auto
}
direct_down() {
	twill_down
}

# twill0 without the outer UDP checksum: the same wire as flannel.1, whose
# IPv4 default is a zero checksum (not in the default CONFIGS).
twillnc_up() {
	twill_up && nsx hostA "$TWILL" set twill0 udp-csum off &&
		nsx hostB "$TWILL" set twill0 udp-csum off
}
twillnc_down() {
	twill_down
}

# The 100k file for host A: B with its /24 and 100 more peers (endpoints in
# 198.51.100.0/24 that never see traffic) with NPFX prefixes between them:
# /24s in 10.0.0.0/8 outside 10.244/16, then /28s in 172.16.0.0/12.  Host B
# gets the same prefixes pointing at A's side so both lookups are loaded.
make_big_conf() { # FILE MY_HOST PEER_HOST
	awk -v n="$NPFX" -v mymac="$(twill_mac "$2")" -v peer="$(ul4 "$3")" \
		-v pmac="$(twill_mac "$3")" -v psub="$(subnet4 "$3")" 'BEGIN {
		printf "[Device]\nMAC = %s\n\n[Peer]\nEndpoint = %s\nMAC = %s\nPrefixes = %s\n", mymac, peer, pmac, psub
		npeers = 100
		per = int((n + npeers - 1) / npeers)
		i = 0
		for (p = 1; p <= npeers && i < n; p++) {
			printf "\n[Peer]\nEndpoint = 198.51.100.%d\nMAC = 02:62:65:6e:63:%02x\nPrefixes = ", p, p
			for (k = 0; k < per && i < n; k++) {
				if (i < 65024) {
					a = int(i / 256); b = i % 256
					if (a >= 244) a++	# skip 10.244.0.0/16
					pfx = sprintf("10.%d.%d.0/24", a, b)
				} else {
					j = i - 65024	# /28s in 172.16.0.0/12
					pfx = sprintf("172.%d.%d.%d/28", 16 + int(j / 4096), int(j / 16) % 256, (j % 16) * 16)
				}
				printf "%s%s", (k ? "," : ""), pfx
				i++
			}
			printf "\n"
		}
	}' >"$1"
}

twill100k_up() {
	twill_up || return 1
	[ -s "$TOPO_TMP/big.A" ] || make_big_conf "$TOPO_TMP/big.A" hostA hostB
	[ -s "$TOPO_TMP/big.B" ] || make_big_conf "$TOPO_TMP/big.B" hostB hostA
	nsx hostA "$TWILL" setconf twill0 "$TOPO_TMP/big.A" || return 1
	nsx hostB "$TWILL" setconf twill0 "$TOPO_TMP/big.B" || return 1
}
twill100k_down() {
	twill_down
}

# ----------------------------------------------------------------- figures

# Each prints one number or fails.
fig_tcp1() {
	local f
	f=$(nsx podA1 "$IPERF" -c "$DST" -p 5201 -A 0,1 -t "$T" -J 2>/dev/null | json_flat) || return 1
	f=$(printf '%s\n' "$f" | grep '^end|sum_received|bits_per_second=' | sed 's/.*=//')
	[ -n "$f" ] && awk -v b="$f" 'BEGIN { printf "%.3f\n", b / 1e9 }'
}
fig_tcp4() {
	local f
	f=$(nsx podA1 "$IPERF" -c "$DST" -p 5201 -A 0,1 -t "$T" -P 4 -J 2>/dev/null | json_flat) || return 1
	f=$(printf '%s\n' "$f" | grep '^end|sum_received|bits_per_second=' | sed 's/.*=//')
	[ -n "$f" ] && awk -v b="$f" 'BEGIN { printf "%.3f\n", b / 1e9 }'
}
fig_udp64() {
	local f p l s
	f=$(nsx podA1 "$IPERF" -c "$DST" -p 5201 -A 0,1 -t "$T" -u -l 64 -b 0 -J 2>/dev/null | json_flat) || return 1
	p=$(printf '%s\n' "$f" | grep '^end|sum_received|packets=' | sed 's/.*=//')
	l=$(printf '%s\n' "$f" | grep '^end|sum_received|lost_packets=' | sed 's/.*=//')
	s=$(printf '%s\n' "$f" | grep '^end|sum_received|seconds=' | sed 's/.*=//')
	if [ -z "$p" ]; then
		p=$(printf '%s\n' "$f" | grep '^end|sum|packets=' | sed 's/.*=//')
		l=$(printf '%s\n' "$f" | grep '^end|sum|lost_packets=' | sed 's/.*=//')
		s=$(printf '%s\n' "$f" | grep '^end|sum|seconds=' | sed 's/.*=//')
	fi
	[ -n "$p" ] && [ -n "$s" ] && awk -v p="$p" -v l="${l:-0}" -v s="$s" 'BEGIN { if (s <= 0) exit 1; printf "%.0f\n", (p - l) / s }'
}
fig_rtt() {
	local out
	out=$(nsx podA1 "$PING" -c 20 -i 0.05 -q "$DST" 2>/dev/null)
	# "rtt min/avg/max/mdev = 0.101/0.150/0.300/0.020 ms"
	printf '%s\n' "$out" | awk -F' = ' '/^rtt|^round-trip/ { split($2, v, "/"); printf "%.4f\n", v[2]; ok = 1 } END { exit !ok }'
}

FIGS="tcp1 tcp4 udp64 rtt"

record() { # CONFIG FIG VALUE
	echo "$3" >>"$RES/$1.$2"
}

# ---------------------------------------------------------------------- run

echo "== datapath benchmark: $ROUNDS rounds of [$CONFIGS], iperf3 -t $T, kernel $(uname -r)"
topo_hosts hostA hostB >/dev/null
topo_pods hostA 1 >/dev/null
topo_pods hostB 1 >/dev/null
bg_in podB1 "$IPERF" -s -p 5201 >/dev/null 2>&1
topo_wait 20 iperf_listening podB1 5201 || echo "iperf3 server did not start"

r=1
while [ "$r" -le "$ROUNDS" ]; do
	for c in $CONFIGS; do
		if ! ("${c}_up" >"$RES/setup.log" 2>&1); then
			echo "round $r: $c: setup failed:"
			sed 's/^/   | /' "$RES/setup.log"
			"${c}_down" >/dev/null 2>&1
			continue
		fi
		if ! nsx podA1 "$PING" -c 2 -i 0.2 -w 5 "$DST" >/dev/null 2>&1; then
			echo "round $r: $c: no connectivity, skipped"
			"${c}_down" >/dev/null 2>&1
			continue
		fi
		line="round $r: $(printf '%-10s' "$c")"
		for f in $FIGS; do
			if v=$("fig_$f"); then
				record "$c" "$f" "$v"
				line="$line $f=$v"
			else
				line="$line $f=fail"
			fi
		done
		if [ "$c" = twill100k ]; then
			line="$line (prefixes on A: $(num_prefixes hostA))"
		fi
		echo "$line"
		"${c}_down" >/dev/null 2>&1
	done
	r=$((r + 1))
done

# ------------------------------------------------------------------ report

# ratio A B higher_is_better -> A/B (or B/A for lower-is-better figures)
ratio() {
	awk -v a="$1" -v b="$2" -v hb="$3" 'BEGIN {
		if (a == "n/a" || b == "n/a" || a + 0 <= 0 || b + 0 <= 0) { print "n/a"; exit }
		printf "%.3f\n", hb ? a / b : b / a }'
}
met() { # RATIO TARGET
	awk -v r="$1" -v t="$2" 'BEGIN { if (r == "n/a") print "n/a"; else if (r + 0 >= t) print "yes"; else print "NO" }'
}

echo
echo "== datapath figures (medians of $ROUNDS rounds; podA1 -> podB1)"
echo "   ratios are 'twill is as good' ratios: higher is better (RTT: vxlan/twill, bare/twill)"
printf '%-20s | %10s | %10s | %10s | %-18s | %-18s | %s\n' figure bare vxlan twill "twill/vxlan (>=1.0)" "twill/bare (>=0.9)" "met?"
printf '%s\n' "---------------------+------------+------------+------------+--------------------+--------------------+------"
for f in $FIGS; do
	case $f in
	tcp1) name="TCP 1 stream Gbit/s" hb=1 bare_target=0.9 ;;
	tcp4) name="TCP 4 streams Gbit/s" hb=1 bare_target=0.9 ;;
	udp64) name="UDP 64B pkt/s" hb=1 bare_target= ;;
	rtt) name="ping RTT ms" hb=0 bare_target= ;;
	esac
	mb=$(median "$RES/bare.$f")
	mv=$(median "$RES/vxlan.$f")
	mt=$(median "$RES/twill.$f")
	rv=$(ratio "$mt" "$mv" "$hb")
	rb=$(ratio "$mt" "$mb" "$hb")
	m1=$(met "$rv" 1.0)
	# "met?" speaks only of the targets a row has: a column without one
	# counts for nothing, and says so.
	if [ -n "$bare_target" ]; then
		m2=$(met "$rb" "$bare_target")
		rbs="$rb"
		if [ "$m1" = yes ] && [ "$m2" = yes ]; then mm=yes; elif [ "$m1" = n/a ] || [ "$m2" = n/a ]; then mm=n/a; else mm=NO; fi
	else
		rbs="$rb (no target)"
		mm="$m1 (twill/vxlan only)"
	fi
	printf '%-20s | %10s | %10s | %10s | %-18s | %-18s | %s\n' "$name" "$mb" "$mv" "$mt" "$rv" "$rbs" "$mm"
	result dataplane twill "${f}_vs_vxlan" ratio "$rv" target=">=1.0" baseline=vxlan verdict="$m1"
	if [ -n "$bare_target" ]; then
		result dataplane twill "${f}_vs_bare" ratio "$rb" target=">=$bare_target" baseline=bare verdict="$m2"
	else
		result dataplane twill "${f}_vs_bare" ratio "$rb" baseline=bare
	fi
done

# compare TITLE CONFIG BASE TARGET BASE_LABEL CONFIG_LABEL: a table of
# CONFIG's medians against BASE's, as "as good" ratios, when both ran.
compare() {
	local f name hb mb mc r
	case " $CONFIGS " in
	*" $2 "*) ;;
	*) return 0 ;;
	esac
	echo
	echo "== $1"
	printf '%-20s | %10s | %10s | %-16s | %s\n' figure "$5" "$6" "ratio (>=$4)" "met?"
	printf '%s\n' "---------------------+------------+------------+------------------+------"
	for f in $FIGS; do
		case $f in
		tcp1) name="TCP 1 stream Gbit/s" hb=1 ;;
		tcp4) name="TCP 4 streams Gbit/s" hb=1 ;;
		udp64) name="UDP 64B pkt/s" hb=1 ;;
		rtt) name="ping RTT ms" hb=0 ;;
		esac
		mb=$(median "$RES/$3.$f")
		mc=$(median "$RES/$2.$f")
		r=$(ratio "$mc" "$mb" "$hb")
		printf '%-20s | %10s | %10s | %-16s | %s\n' "$name" "$mb" "$mc" "$r" "$(met "$r" "$4")"
		result dataplane "$2" "${f}_vs_$3" ratio "$r" target=">=$4" baseline="$3" verdict="$(met "$r" "$4")"
	done
}
compare "twill with $NPFX prefixes installed vs one prefix per peer (target: within 5%)" \
	twill100k twill 0.95 "1 prefix" "$NPFX"
compare "twill direct (no tunnel between hosts on one link) vs bare routing (target: >= 0.97)" \
	direct bare 0.97 bare direct
echo
echo "   raw samples (one line per round):"
for c in $CONFIGS; do
	for f in $FIGS; do
		[ -s "$RES/$c.$f" ] && echo "   $c $f: $(tr '\n' ' ' <"$RES/$c.$f")"
		case $f in
		tcp1 | tcp4) u=Gbit/s ;;
		udp64) u=pkt/s ;;
		rtt) u=ms ;;
		esac
		result dataplane "$c" "$f" "$u" "$(samples "$RES/$c.$f")"
	done
done
exit 0
