#!/bin/sh
# shellcheck shell=dash disable=SC2317
# Service benchmark (issue 11), run in the VM by tests/bench/run
# (guest.sh).  Not a test: prints figures beside their targets and never
# fails on a target.
#
# Topology: topo.sh's hostA (client podA1 on its cni0 bridge) and hostB
# (backends podB1..podB3, flowtool serve on 8080), twill0 between them.
# podA1 -> service 10.96.0.10:80/tcp, translated on hostA where the pod's
# packets enter it, then across the overlay to a backend: in all three
# configurations the packets take the same path, only the translation
# differs.  Alternated every round, each in freshly made namespaces:
#   twill  `twill service set twill0 10.96.0.10:80/tcp backend B1:8080
#          backend B2:8080 backend B3:8080` (maglev-size 1021, as 10,000
#          tables of the default 16381 slots would be the memory figure,
#          not the datapath's); nf_conntrack not in use
#   nft    kube-proxy's nftables mode, reduced to its datapath: a verdict
#          map "service-ips" keyed ip daddr . meta l4proto . th dport
#          (hooked at prerouting dstnat and output) going to the service's
#          chain, `numgen random mod 3 vmap` to one chain per endpoint,
#          `dnat to B:8080` there; conntrack does the rest (no masquerade
#          marks, firewall or no-endpoint chains: nothing here needs them)
#   linear kube-proxy's iptables mode as nftables runs it (iptables-nft):
#          one rule per service in one chain, "ip daddr . tcp dport goto
#          svc-N", evaluated in order, the measured service's rule last
#          (the others are inserted before it); its service and endpoint
#          chains as for nft
#   bare   podA1 connects to podB1 itself: the baseline (what the
#          endpoints and the overlay cost by themselves)
# Figures (twill, nft and linear):
#   conn/s  short TCP connections per second through the service
#           (flowtool rate, 2 workers, T s), with the one service, then
#           with 999 more, then with BENCH_SVC_SERVICES (10,000) more in
#           all (each 1 backend, one of podB1..podB3; nft: a map element,
#           a service chain and an endpoint chain each; linear: a rule,
#           a service chain and an endpoint chain); "flat" is rate(10k) /
#           rate(1)
#   connect the first packet's latency: the mean time connect() took
#           (SYN to SYN-ACK, through the translation) in the same runs;
#           "flat" is latency(10k) / latency(1)
#   change  ms to change the one service with the others present: its
#           backends B1 B2 B3 -> B1 B2 -> B1 B2 B3 -> ... (4 changes per
#           round): `twill service set` of the service; for nft one
#           `nft -f` transaction, what kube-proxy sends for one endpoint
#           change (the service chain flushed and written again, the
#           endpoint chain deleted or added); the same changes with the
#           one service first, for what does not grow with the table
#   apply   of twill's change, the kernel's part: from sending the
#           SET_SERVICES request to its ack (TWILL_TIMING=1, see twill.8),
#           without the process's start and the read of the service
#   setup   ms to add the 10,000 services, in the two steps above: a
#           `twill setconf` of the device's configuration plus the services
#           each, two `nft -f` each (see below; informational)
# Times are the guest's (nstime around the command, inside hostA), so
# under -icount they count instructions, like the rates.
# Targets: twill >= 1.5x nft's connection rate; twill's rate and first-
# packet latency flat (within 10% with 10,000 services); one change with
# 10,000 services < 10 ms (shown for the CLI and for its apply alone).
#
# Environment: BENCH_ROUNDS (5), BENCH_TIME (seconds per figure, 5),
# BENCH_SVC_SERVICES (10000).
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/../netns/topo.sh"
. "$(dirname "$0")/../netns/natlib.sh"
. "$(dirname "$0")/benchlib.sh"
set +e

ROUNDS=${BENCH_ROUNDS:-5}
T=${BENCH_TIME:-5}
NSVC=${BENCH_SVC_SERVICES:-10000}
RES=$(mktemp -d /tmp/svcbench.XXXXXX)
VIP=10.96.0.10
B1=$(pod4 hostB 1)
B2=$(pod4 hostB 2)
B3=$(pod4 hostB 3)
CHANGES=4

command -v "$NSTIME" >/dev/null 2>&1 || {
	echo "svc: nstime (tests/tools) missing; build with make -C tests/tools"
	exit 1
}

# ------------------------------------------------------------------ files

# The extra services, made once, in two steps: 10.97.0.1:80/tcp on, one
# backend each, the first STEP1 (999) of them, then the rest.
# $RES/more1.twill, $RES/more.twill: [Service] sections of the first step,
# of both (appended to the device's own configuration: setconf replaces
# the whole).  For nft and linear, per step K two transactions: the chains
# ($RES/chainsK.nft), then the rules (the endpoints' first, the service
# chains', and nft's map elements or linear's rules) in one command
# ($RES/nftK.nft, $RES/linearK.nft).  One transaction of it all, an `add
# element` each, took 35 s of kernel time natively (6.18), these two 0.3 +
# 8 s (the rules interleaved, endpoint and service chain by turns: 21 s):
# the quickest load of the same ruleset, as the figure is about the
# ruleset, not about the way it is sent.
STEP1=$((NSVC < 999 ? NSVC : 999))
awk -v n="$NSVC" -v s1="$STEP1" -v b="$B1 $B2 $B3" -v r="$RES" 'BEGIN {
	split(b, B, " ")
	printf "" > (r "/more.twill"); printf "" > (r "/more1.twill")
	for (k = 1; k <= 2; k++) {
		lo = k == 1 ? 1 : s1 + 1
		hi = k == 1 ? s1 : n
		ch = r "/chains" k ".nft"; ep = r "/rules" k ".nft"
		mp = r "/map" k ".nft"; ln = r "/lin" k ".nft"
		printf "" > ch; printf "" > ep; printf "" > mp; printf "" > ln
		for (i = lo; i <= hi; i++) {
			a = sprintf("10.97.%d.%d", (i - 1) / 250, (i - 1) % 250 + 1)
			be = B[i % 3 + 1]
			printf "[Service]\nAddress = %s:80/tcp\nBackend = %s:8080\n\n", a, be > (r "/more.twill")
			if (k == 1)
				printf "[Service]\nAddress = %s:80/tcp\nBackend = %s:8080\n\n", a, be > (r "/more1.twill")
			printf "add chain ip svcbench svc-%d\nadd chain ip svcbench ep-%d-0\n", i, i > ch
			printf "add rule ip svcbench ep-%d-0 meta l4proto tcp dnat to %s:8080\n", i, be > ep
			printf "insert rule ip svcbench services ip daddr %s meta l4proto tcp th dport 80 goto svc-%d\n", a, i > ln
		}
		for (i = lo; i <= hi; i++)
			printf "add rule ip svcbench svc-%d numgen random mod 1 vmap { 0 : goto ep-%d-0 }\n", i, i > ep
		if (hi >= lo) {
			printf "add element ip svcbench service-ips {\n" > mp
			for (i = lo; i <= hi; i++)
				printf "\t10.97.%d.%d . tcp . 80 : goto svc-%d%s\n", (i - 1) / 250, (i - 1) % 250 + 1, i, (i < hi ? "," : "") > mp
			printf "}\n" > mp
		}
		close(ch); close(ep); close(mp); close(ln)
	}
}' || exit 1
for k in 1 2; do
	cat "$RES/rules$k.nft" "$RES/map$k.nft" >"$RES/nft$k.nft"
	cat "$RES/rules$k.nft" "$RES/lin$k.nft" >"$RES/linear$k.nft"
done

# The service's changes for nft, as kube-proxy makes them: B3's endpoint
# chain goes (after the rule that jumps to it), or comes back first.
cat >"$RES/drop.nft" <<EOF
flush chain ip svcbench svc-0
add rule ip svcbench svc-0 numgen random mod 2 vmap { 0 : goto ep-0-0, 1 : goto ep-0-1 }
delete chain ip svcbench ep-0-2
EOF
cat >"$RES/add.nft" <<EOF
add chain ip svcbench ep-0-2
flush chain ip svcbench ep-0-2
add rule ip svcbench ep-0-2 meta l4proto tcp dnat to $B3:8080
flush chain ip svcbench svc-0
add rule ip svcbench svc-0 numgen random mod 3 vmap { 0 : goto ep-0-0, 1 : goto ep-0-1, 2 : goto ep-0-2 }
EOF

# -------------------------------------------------------------- set-ups

setup() { # CONFIG
	{
		topo_hosts hostA hostB
		topo_pods hostA 1
		topo_pods hostB 3
		topo_twill_mesh 4 hostA hostB
	} >"$RES/topo.log" 2>&1 || return 1
	for i in 1 2 3; do
		bg_in "podB$i" "$FLOWTOOL" serve -q 8080 >/dev/null 2>&1
		topo_wait 20 iperf_listening "podB$i" 8080 || return 1
	done
	case $1 in
	twill)
		nsx hostA "$TWILL" service config twill0 maglev-size 1021 || return 1
		nsx hostA "$TWILL" service set twill0 "$VIP:80/tcp" \
			backend "$B1:8080" backend "$B2:8080" backend "$B3:8080" || return 1
		;;
	nft)
		nsx hostA nft -f - <<EOF || return 1
$(nft_base)
table ip svcbench {
	map service-ips {
		type ipv4_addr . inet_proto . inet_service : verdict
		elements = { $VIP . tcp . 80 : goto svc-0 }
	}
	chain services {
		ip daddr . meta l4proto . th dport vmap @service-ips
	}
}
EOF
		sysctl -qw net.netfilter.nf_conntrack_max=262144 || return 1
		;;
	linear)
		nsx hostA nft -f - <<EOF || return 1
$(nft_base)
table ip svcbench {
	chain services {
		ip daddr $VIP meta l4proto tcp th dport 80 goto svc-0
	}
}
EOF
		sysctl -qw net.netfilter.nf_conntrack_max=262144 || return 1
		;;
	esac
	nsx podA1 "$PING" -c 2 -i 0.2 -w 5 "$B1" >/dev/null 2>&1
}

# nft_base: the service's chains and the hooks, which nft and linear share
# (a "services" chain dispatches: a map for nft, rules for linear).
nft_base() {
	cat <<EOF
table ip svcbench {
	chain ep-0-0 {
		meta l4proto tcp dnat to $B1:8080
	}
	chain ep-0-1 {
		meta l4proto tcp dnat to $B2:8080
	}
	chain ep-0-2 {
		meta l4proto tcp dnat to $B3:8080
	}
	chain svc-0 {
		numgen random mod 3 vmap { 0 : goto ep-0-0, 1 : goto ep-0-1, 2 : goto ep-0-2 }
	}
	chain services {
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		jump services
	}
	chain output {
		type nat hook output priority -100; policy accept;
		jump services
	}
}
EOF
}

# ms_of CMD...: run CMD in hostA, print its guest time in ms (nstime in
# the namespace: `ip netns exec` itself is not timed), or fail.
ms_of() {
	nsx hostA "$NSTIME" "$@" >"$RES/out" 2>"$RES/err" || {
		sed 's/^/   | /' "$RES/err" | tail -n 5 >&2
		return 1
	}
	awk '/^elapsed_ns / { printf "%.2f\n", $2 / 1e6 }' "$RES/err" | grep .
}

# load CONFIG STEP: the extra services of STEP (1: the first $STEP1, 2:
# the rest), in one go; prints the ms it took
load() {
	local a b more=more.twill
	case $1 in
	twill)
		[ "$2" = 1 ] && more=more1.twill
		# the device's own configuration (its settings and first service),
		# read before the first step
		[ "$2" = 1 ] && { nsx hostA "$TWILL" showconf twill0 >"$RES/base.conf" || return 1; }
		{
			cat "$RES/base.conf"
			echo
			cat "$RES/$more"
		} >"$RES/all.conf"
		ms_of "$TWILL" setconf twill0 "$RES/all.conf"
		;;
	nft | linear)
		a=$(ms_of nft -f "$RES/chains$2.nft") || return 1
		b=$(ms_of nft -f "$RES/$1$2.nft") || return 1
		awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f\n", a + b }'
		;;
	esac
}

# services CONFIG: how many services hostA has now
services() {
	case $1 in
	twill) nsx hostA "$TWILL" service show twill0 | head -n 1 | sed -n 's/^twill0: \([0-9]*\) services.*/\1/p' ;;
	nft) nsx hostA nft list map ip svcbench service-ips | grep -o ' : goto ' | wc -l | tr -d ' ' ;;
	linear) nsx hostA nft list chain ip svcbench services | grep -c ' goto svc-' ;;
	esac
}

# change CONFIG I: the I-th change of the service (odd: B3 goes, even:
# it comes back); prints the ms it took (twill's apply: in $RES/err)
change() {
	# a subshell of its caller's: this goes no further
	[ "$1" = twill ] && export TWILL_TIMING=1
	case $1:$(($2 % 2)) in
	twill:1) ms_of "$TWILL" service set twill0 "$VIP:80/tcp" backend "$B1:8080" backend "$B2:8080" ;;
	twill:0) ms_of "$TWILL" service set twill0 "$VIP:80/tcp" \
		backend "$B1:8080" backend "$B2:8080" backend "$B3:8080" ;;
	nft:1 | linear:1) ms_of nft -f "$RES/drop.nft" ;;
	nft:0 | linear:0) ms_of nft -f "$RES/add.nft" ;;
	esac
}

# fig_conn CONFIG SUFFIX: the connection rate, recorded and added to $line
fig_conn() {
	local v dst=$VIP port=80
	[ "$1" = bare ] && dst=$B1 port=8080
	if v=$(conn_rate podA1 "$dst" "$port"); then
		record "$1$2" conn "$v"
		line="$line conn$2=$v"
		if [ -s "$RES/connect_us" ]; then
			record "$1$2" connect "$(cat "$RES/connect_us")"
			line="$line/$(cat "$RES/connect_us")us"
		fi
	else
		line="$line conn$2=fail"
	fi
	line="$line$(fails_note)"
}

# ---------------------------------------------------------------------- run

# apply_ms: the request-to-ack time twill printed with TWILL_TIMING, in ms
apply_ms() {
	sed -n 's/^twill: timing: commit request to ack \([0-9]*\) us.*/\1/p' "$RES/err" |
		awk '{ printf "%.3f\n", $1 / 1000 }' | grep .
}

# changes CONFIG SUFFIX: $CHANGES changes of the service, their times
# recorded as CONFIG.changeSUFFIX (twill's apply: twill.applySUFFIX) and
# added to $line
changes() {
	local i=1 v a applied=""
	line="$line change$2 ms:"
	while [ "$i" -le "$CHANGES" ]; do
		if v=$(change "$1" "$i"); then
			record "$1" "change$2" "$v"
			line="$line $v"
			if [ "$1" = twill ] && a=$(apply_ms); then
				record "$1" "apply$2" "$a"
				applied="$applied $a"
			elif [ "$1" = twill ]; then
				applied="$applied fail"
			fi
		else
			line="$line fail"
		fi
		i=$((i + 1))
	done
	[ -n "$applied" ] && line="$line (apply:$applied)"
}

# round CONFIG: the figures of CONFIG (set up), printed as one line
round() {
	local c=$1 v w
	fig_conn "$c" ""
	if [ "$c" = bare ]; then
		echo "$line"
		return
	fi
	# the same changes with the one service: what a change costs
	# whatever the table's size (the tool's start, one transaction)
	changes "$c" 1
	if ! v=$(load "$c" 1); then
		echo "$line | +$STEP1 services: load failed"
		return
	fi
	line="$line | +$STEP1: $v ms, $(services "$c") in all |"
	fig_conn "$c" 1k
	if ! w=$(load "$c" 2); then
		echo "$line | +$NSVC services: load failed"
		return
	fi
	record "$c" setup "$(awk -v a="$v" -v b="$w" 'BEGIN { printf "%.2f\n", a + b }')"
	line="$line | +$NSVC: $w ms, $(services "$c") in all |"
	fig_conn "$c" 10k
	changes "$c" ""
	echo "$line"
}

ROUND_CONFIGS="twill nft linear bare"
echo "== service benchmark: $ROUNDS rounds of [$ROUND_CONFIGS], $T s per figure, $STEP1 then $NSVC more services, kernel $(uname -r)"
each_round

# ------------------------------------------------------------------ report

# flat CONFIG FIG: FIG with the extra services / with one (medians)
flat() { ratio "$(median "$RES/${1}10k.$2")" "$(median "$RES/$1.$2")"; }

# services_at SUFFIX: how many services a figure's suffix ("", 1k, 10k) had
services_at() {
	case $1 in
	"") echo 1 ;;
	1k) echo $((STEP1 + 1)) ;;
	10k) echo $((NSVC + 1)) ;;
	esac
}

row() { # NAME NFT LINEAR TWILL RATIO TARGET MET
	printf '%-44s | %10s | %10s | %10s | %-9s | %-10s | %s\n' "$@"
}
sep() {
	printf '%s\n' "---------------------------------------------+------------+------------+------------+-----------+------------+------"
}
echo
echo "== service figures (medians of $ROUNDS rounds; podA1 -> $VIP:80 translated on hostA, backends across twill0)"
row figure nft linear twill twill/nft target "met?"
sep
for sz in "" 1k 10k; do
	n=$(services_at "$sz")
	mn=$(median "$RES/nft$sz.conn")
	ml=$(median "$RES/linear$sz.conn")
	mt=$(median "$RES/twill$sz.conn")
	rt=$(ratio "$mt" "$mn")
	row "short TCP connections/s, services: $n" "$mn" "$ml" "$mt" "$rt" ">= 1.5" "$(met "$rt" 1.5)"
	result svc "twill$sz" conn_vs_nft ratio "$rt" size="$n" target=">=1.5" baseline="nft$sz" verdict="$(met "$rt" 1.5)"
done
row "flat: rate($((NSVC + 1))) / rate(1)" "$(flat nft conn)" "$(flat linear conn)" "$(flat twill conn)" "-" ">= 0.90" "$(met "$(flat twill conn)" 0.90)"
result svc twill conn_flat ratio "$(flat twill conn)" size="$((NSVC + 1))" target=">=0.90" baseline=twill verdict="$(met "$(flat twill conn)" 0.90)"
result svc nft conn_flat ratio "$(flat nft conn)" size="$((NSVC + 1))" baseline=nft
result svc linear conn_flat ratio "$(flat linear conn)" size="$((NSVC + 1))" baseline=linear
for sz in "" 1k 10k; do
	n=$(services_at "$sz")
	mn=$(median "$RES/nft$sz.connect")
	ml=$(median "$RES/linear$sz.connect")
	mt=$(median "$RES/twill$sz.connect")
	# lower is better: nft's time over twill's
	row "first packet (connect) us, services: $n" "$mn" "$ml" "$mt" "$(ratio "$mn" "$mt")" "-" "(no target)"
done
# latency(10k) / latency(1): lower is better, so its inverse as "flat"
lf=$(ratio "$(median "$RES/twill.connect")" "$(median "$RES/twill10k.connect")")
row "flat: latency(1) / latency($((NSVC + 1)))" "$(ratio "$(median "$RES/nft.connect")" "$(median "$RES/nft10k.connect")")" \
	"$(ratio "$(median "$RES/linear.connect")" "$(median "$RES/linear10k.connect")")" "$lf" "-" ">= 0.90" "$(met "$lf" 0.90)"
result svc twill connect_flat ratio "$lf" size="$((NSVC + 1))" target=">=0.90" baseline=twill verdict="$(met "$lf" 0.90)"
mn=$(median "$RES/nft.change")
ml=$(median "$RES/linear.change")
mt=$(median "$RES/twill.change")
row "ms to change 1 service of $((NSVC + 1))" "$mn" "$ml" "$mt" "$(ratio "$mt" "$mn")" "< 10 ms" "$(met "$mt" 10 lt)"
result svc twill change_median ms "$mt" size="$((NSVC + 1))" target="<10" verdict="$(met "$mt" 10 lt)"
ma=$(median "$RES/twill.apply")
row "  its apply alone (request to ack)" "-" "-" "$ma" "-" "< 10 ms" "$(met "$ma" 10 lt)"
result svc twill apply_median ms "$ma" size="$((NSVC + 1))" target="<10" verdict="$(met "$ma" 10 lt)"
mn=$(median "$RES/nft.change1")
ml=$(median "$RES/linear.change1")
mt=$(median "$RES/twill.change1")
row "ms to change 1 service of 1" "$mn" "$ml" "$mt" "$(ratio "$mt" "$mn")" "-" "(no target)"
ma=$(median "$RES/twill.apply1")
row "  its apply alone (request to ack)" "-" "-" "$ma" "-" "-" "(no target)"
mn=$(median "$RES/nft.setup")
ml=$(median "$RES/linear.setup")
mt=$(median "$RES/twill.setup")
row "ms to add $NSVC services" "$mn" "$ml" "$mt" "$(ratio "$mt" "$mn")" "-" "(no target)"
echo
echo "== the translation's own cost per connection, over bare routing (no target)"
echo "   1/rate - 1/rate(bare), guest microseconds (2 workers); bare: $(median "$RES/bare.conn") connections/s"
cn=$(cost "$(median "$RES/nft.conn")" "$(median "$RES/bare.conn")")
ct=$(cost "$(median "$RES/twill.conn")" "$(median "$RES/bare.conn")")
printf '%-44s | %10s | %10s | %s\n' "" nft twill "nft/twill"
printf '%-44s | %10s | %10s | %s\n' "us per connection above bare, 1 service" "$cn" "$ct" "$(ratio "$cn" "$ct")"
cn=$(cost "$(median "$RES/nft10k.conn")" "$(median "$RES/bare.conn")")
ct=$(cost "$(median "$RES/twill10k.conn")" "$(median "$RES/bare.conn")")
printf '%-44s | %10s | %10s | %s\n' "us per connection above bare, $((NSVC + 1)) services" "$cn" "$ct" "$(ratio "$cn" "$ct")"
echo
echo "   raw samples (conn, setup: one a round; change1, change, apply1, apply: $CHANGES a round):"
for c in twill nft linear bare twill1k nft1k linear1k twill10k nft10k linear10k; do
	for f in conn connect setup change1 change apply1 apply; do
		[ -s "$RES/$c.$f" ] && echo "   $c $f: $(tr '\n' ' ' <"$RES/$c.$f")"
		u=ms
		[ "$f" = conn ] && u=conn/s
		[ "$f" = connect ] && u=us
		result svc "$c" "$f" "$u" "$(samples "$RES/$c.$f")"
	done
done
rm -rf "$RES"
exit 0
