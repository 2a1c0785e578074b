#!/bin/sh
# shellcheck shell=dash
# Cluster-agent benchmark (twilld), run in the VM by tests/bench/run
# (guest.sh agent) in its own boot on the host's clock.  Not a test: prints
# figures beside their targets and never fails on a target; it fails when
# anything other than a time cap goes wrong.
#
# Topology: hostA and hostS (tests/netns/topo.sh, one veth).  Debian's etcd
# on hostS (192.0.2.99:2379, as in the agent scenarios) holds the network
# config (10.0.0.0/8, /24 subnets from 10.16.0.0 on, vxlan VNI 1 port 8472)
# and N (BENCH_AGENT_LEASES, default 1000) simulated hosts' leases in
# flannel's format, written in one `etcdctl txn`: host i has the subnet
# 10.(1+i/256).(i%256).0/24, PublicIP 198.18.(i/250).(1+i%250) and VtepMAC
# 02:6e:00:00:HH:LL (i).  Each round, on a new twill0 in hostA:
#   baseline  `twill setconf twill0 FILE` of the same N peers and the
#             settings the agent sets (VNI, ListenPort, Local); then one
#             peer added and removed by hand (`twill set`, a small commit)
#   snapshot  twilld started on an empty twill0: time from its start to
#             the commit that gives twill0 all N peers (the first event of
#             that generation in `twill monitor twill0`, stamped as it is
#             read by `nstime -s`).  The agent's peers must be setconf's.
#             Its log, stamped the same way, says where the time went
#             (leased: config, lease, claim; listed; applied).
#   join      BENCH_AGENT_CHANGES (default 3) times a new lease put with
#   leave     etcdctl, then deleted: time from the etcd event (as a second
#             watcher on twilld's path sees it: busybox wget on the JSON
#             gateway's /v3/watch from hostS, stamped the same way) to the
#             twill event (peer_added, peer_removed); the two watchers
#             race, so a few ms either way (even below 0) are noise.
#             From the start of the etcdctl command too (its Go start-up
#             is most of it).  "One small commit": the
#             change brings exactly one twill event, for that peer, the
#             device's generation moves by one (`twill show`), and etcd
#             serves no Range request meanwhile (its gRPC counters at
#             /metrics: no re-list); checked after 1 s of quiet.
# Targets: snapshot <= 2x setconf; every single change one commit of one
# peer, not a re-sync.  A time cap (BENCH_AGENT_CAP s for the snapshot,
# default 300; BENCH_AGENT_CHANGE_CAP s per change, default 60) makes that
# time a lower bound (the round goes on without its changes); any other
# failure fails the part with its message.
#
# Environment: BENCH_ROUNDS (5), BENCH_AGENT_LEASES (1000),
# BENCH_AGENT_CHANGES (3), BENCH_AGENT_CAP, BENCH_AGENT_CHANGE_CAP.
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/../netns/topo.sh"
. "$(dirname "$0")/benchlib.sh"
set +e

ROUNDS=${BENCH_ROUNDS:-5}
N=${BENCH_AGENT_LEASES:-1000}
K=${BENCH_AGENT_CHANGES:-3}
CAP=${BENCH_AGENT_CAP:-300}
CCAP=${BENCH_AGENT_CHANGE_CAP:-60}
W=$TOPO_TMP/agent
RES=$W/res
mkdir -p "$RES"
ETCD=http://192.0.2.99:2379
P=/coreos.com/network
ME=192.0.2.1
export ETCDCTL_API=3

# die_bench MSG: a failure that is not a measurement ends the part.
die_bench() {
	echo "agent: FAILED: $*" >&2
	exit 1
}

for t in etcd etcdctl twilld "$NSTIME"; do
	command -v "$t" >/dev/null 2>&1 || die_bench "$t is not in the guest"
done

# ---------------------------------------------------------------- helpers

running() { kill -0 "$1" 2>/dev/null; }
ctl() { nsx hostS etcdctl --endpoints "$ETCD" --dial-timeout 5s --command-timeout 60s "$@"; }
now() { "$NSTIME"; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", (b - a) / 1e6 }'; } # NS0 NS1

# elapsed_ms CMD...: run CMD in hostA, print its milliseconds, or fail
# with its error output in $W/err.
elapsed_ms() {
	"$NSTIME" "$IP" netns exec hostA "$@" >"$W/out" 2>"$W/err" || return 1
	awk '/^elapsed_ns / { printf "%.1f\n", $2 / 1e6 }' "$W/err"
}

# dev_state: "PEERS GENERATION" of hostA's twill0 (`twill show dump`'s
# first line: columns 14 and 16, after the 13 settings)
dev_state() {
	nsx hostA "$TWILL" show twill0 dump 2>"$W/err" | awk -F'\t' 'NR == 1 { print $14, $16 }'
}
# dev_peers FILE: hostA's peers as "endpoint mac prefixes", sorted
dev_peers() {
	nsx hostA "$TWILL" show twill0 dump | awk 'NR > 1 { print $1, $2, $3 }' | sort >"$1"
}

# ranges: Range requests etcd has served (gRPC, which its JSON gateway
# goes through too), n/a when /metrics cannot be read
ranges() {
	nsx hostS wget -q -O - "$ETCD/metrics" 2>/dev/null | awk '
	/^grpc_server_handled_total\{/ && /grpc_method="Range"/ { s += $NF; f = 1 }
	END { if (f) printf "%d\n", s; else print "n/a" }'
}

record() { echo "$2" >>"$RES/$1"; } # FIGURE VALUE

# gen: $W/leases.txn (etcdctl txn: no compares, N puts, no else), $W/full.conf
# (the same N peers for setconf, with the agent's settings), $W/extra (K
# more hosts for the joins: "key|value|endpoint|mac|prefix")
gen() {
	awk -v n="$N" -v k="$K" -v p="$P/subnets/" -v me="$ME" -v txn="$W/leases.txn" \
		-v conf="$W/full.conf" -v extra="$W/extra" '
	function host(i) {
		SUB = sprintf("10.%d.%d.0", 1 + int(i / 256), i % 256)
		PIP = sprintf("198.18.%d.%d", int(i / 250), 1 + i % 250)
		MAC = sprintf("02:6e:00:00:%02x:%02x", int(i / 256), i % 256)
		VAL = "{\"PublicIP\":\"" PIP "\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"" MAC "\"}}"
	}
	BEGIN {
		printf "\n" > txn
		printf "[Device]\nVNI = 1\nListenPort = 8472\nLocal = %s\n", me > conf
		for (i = 0; i < n; i++) {
			host(i)
			q = VAL
			gsub(/"/, "\\\"", q)
			printf "put \"%s%s-24\" \"%s\"\n", p, SUB, q > txn
			printf "\n[Peer]\nEndpoint = %s\nMAC = %s\nPrefixes = %s/24\n", PIP, MAC, SUB > conf
		}
		printf "\n\n" > txn
		for (i = n; i < n + k; i++) {
			host(i)
			printf "%s%s-24|%s|%s|%s|%s/24\n", p, SUB, VAL, PIP, MAC, SUB > extra
		}
	}'
}

# stamped [-2] FILE NS CMD...: CMD in NS, its output (-2: and its
# errors) stamped line by line (nstime -s through a FIFO) into FILE;
# STAMPED_PID is CMD's pid, STAMPED_READER nstime's
stamped() {
	local both=
	[ "$1" = -2 ] && both=1 && shift
	local f=$1 ns=$2
	shift 2
	rm -f "$f" "$f.fifo" "$f.err"
	mkfifo "$f.fifo" || die_bench "mkfifo $f.fifo"
	"$NSTIME" -s <"$f.fifo" >"$f" &
	STAMPED_READER=$!
	TOPO_PIDS="$TOPO_PIDS $!"
	if [ -n "$both" ]; then
		bg_in "$ns" "$@" >"$f.fifo" 2>&1
	else
		bg_in "$ns" "$@" >"$f.fifo" 2>"$f.err"
	fi
	STAMPED_PID=$BG_PID
}

stop_pid() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# ------------------------------------------------------------------ setup

echo "== agent benchmark: $ROUNDS rounds, $N leases, $K joins and leaves per round, kernel $(uname -r)"
topo_hosts hostA hostS
gen
bg_in hostS etcd --name bench --data-dir "$W/etcd" \
	--listen-client-urls "$ETCD" --advertise-client-urls "$ETCD" \
	--listen-peer-urls http://127.0.0.1:2380 \
	--initial-advertise-peer-urls http://127.0.0.1:2380 \
	--initial-cluster bench=http://127.0.0.1:2380 \
	--max-txn-ops "$((N + 16))" >"$W/etcd.log" 2>&1
ETCD_PID=$BG_PID
topo_wait 90 ctl endpoint health || die_bench "etcd did not come up: $(tail -n 5 "$W/etcd.log")"
ctl put "$P/config" \
	'{"Network": "10.0.0.0/8", "SubnetLen": 24, "SubnetMin": "10.16.0.0", "Backend": {"Type": "vxlan", "VNI": 1, "Port": 8472}}' \
	>/dev/null 2>"$W/err" || die_bench "etcdctl put config: $(cat "$W/err")"
t0=$(now)
ctl txn <"$W/leases.txn" >"$W/out" 2>"$W/err" || die_bench "etcdctl txn of $N leases: $(tail -n 3 "$W/err")"
t1=$(now)
head -n 1 "$W/out" | grep -qx -e SUCCESS -e SUCCEEDED || die_bench "etcdctl txn: $(head -n 3 "$W/out")"
nl=$(ctl get --prefix --keys-only "$P/subnets/" | grep -c .)
[ "$nl" = "$N" ] || die_bench "etcd holds $nl leases, not $N"
info "$N leases written in one txn in $(ms "$t0" "$t1") ms ($(wc -c <"$W/leases.txn") bytes of etcdctl input)"

# The etcd side of each change: a watch over the whole prefix on the path
# twilld's watch takes (etcd's JSON gateway, /v3/watch), from hostS with
# busybox wget, whose stream is stamped as it comes: the time a watcher
# learns of the event.  Made ready by a key the agent does not watch.
b64() { printf '%s' "$1" | base64 | tr -d '\n'; }
stamped "$W/watch" hostS wget -q -O - --header 'Content-Type: application/json' \
	--post-data "{\"create_request\": {\"key\": \"$(b64 "$P/")\", \"range_end\": \"$(b64 "${P}0")\"}}" \
	"$ETCD/v3/watch"
WATCH_PID=$STAMPED_PID
i=0
until grep -q "\"$(b64 "$P/bench-probe")\"" "$W/watch" 2>/dev/null; do
	[ $i -lt 30 ] || die_bench "the watch shows nothing: $(cat "$W/watch.err")"
	running "$WATCH_PID" || die_bench "the watch (wget) exited: $(cat "$W/watch.err")"
	ctl put "$P/bench-probe" $i >/dev/null
	sleep 1
	i=$((i + 1))
done
[ "$(ranges)" = n/a ] && info "etcd's /metrics cannot be read (wget): the no-re-list check is left out"

# ----------------------------------------------------------------- rounds

# baseline: setconf of the N peers, one peer added and removed by hand
baseline() {
	local v st
	nsx hostA "$IP" link add twill0 type twill || die_bench "ip link add twill0"
	v=$(elapsed_ms "$TWILL" setconf twill0 "$W/full.conf") ||
		die_bench "twill setconf of $N peers: $(tail -n 3 "$W/err")"
	st=$(dev_state)
	[ "${st% *}" = "$N" ] || die_bench "twill0 has ${st% *} peers after setconf, not $N"
	record setconf "$v"
	rl="$rl setconf=${v}"
	[ -s "$W/setconf.peers" ] || dev_peers "$W/setconf.peers"
	IFS='|' read -r _ _ ep mac pfx <"$W/extra"
	v=$(elapsed_ms "$TWILL" set twill0 peer "$ep" mac "$mac" prefixes "$pfx") ||
		die_bench "twill set (add one peer): $(tail -n 3 "$W/err")"
	record set_add "$v"
	rl="$rl set+1=${v}"
	v=$(elapsed_ms "$TWILL" set twill0 peer "$ep" remove) ||
		die_bench "twill set (remove one peer): $(tail -n 3 "$W/err")"
	record set_del "$v"
	rl="$rl set-1=${v}"
	nsx hostA "$IP" link del twill0 || die_bench "ip link del twill0"
}

# monitor: `twill monitor twill0` stamped into $W/mon, made ready by a
# commit that changes nothing (an event all the same); G0: the generation
monitor_start() {
	local i=0
	stamped "$W/mon" hostA "$TWILL" monitor twill0
	MON_PID=$STAMPED_PID
	MON_READER=$STAMPED_READER
	until grep -q ' device_changed ' "$W/mon" 2>/dev/null; do
		[ $i -lt 30 ] || die_bench "twill monitor shows no event: $(cat "$W/mon.err")"
		running "$MON_PID" || die_bench "twill monitor exited: $(cat "$W/mon.err")"
		nsx hostA "$TWILL" set twill0 vni 1 || die_bench "twill set twill0 vni 1"
		sleep 0.5
		i=$((i + 1))
	done
}

# snapshot: start twilld, wait for N peers; 0 done, 1 capped
snapshot() {
	local t0 t1 st g0 g n=0 deadline
	st=$(dev_state)
	g0=${st#* }
	t0=$(now)
	# its log (stderr) stamped too: where the time goes
	stamped -2 "$W/agent.log" hostA twilld --etcd-endpoints "$ETCD" --public-ip "$ME" \
		--subnet-file "$W/subnet.env" --state-file "$W/state" --revoke-on-exit \
		--log-level info
	AGENT_PID=$STAMPED_PID
	AGENT_READER=$STAMPED_READER
	deadline=$((t0 + CAP * 1000000000))
	while :; do
		running "$AGENT_PID" || die_bench "twilld exited: $(tail -n 5 "$W/agent.log")"
		if grep -q ' peer_added ' "$W/mon"; then
			st=$(dev_state)
			[ "${st% *}" = "$N" ] && break
			[ "${st% *}" -le "$N" ] 2>/dev/null || die_bench "twill0 has '${st% *}' peers, more than $N: $(cat "$W/err")"
		fi
		if [ "$(now)" -gt "$deadline" ]; then
			record snapshot "$((CAP * 1000))"
			echo 1 >"$RES/snapshot.capped"
			rl="$rl snapshot>=${CAP}000 (capped: ${st% *} peers)"
			return 1
		fi
		sleep 0.1
	done
	g=${st#* }
	t1=$(awk -v g="$g" '$5 == g { print $1; exit }' "$W/mon")
	[ -n "$t1" ] || die_bench "no event of generation $g in twill monitor's output ($(wc -l <"$W/mon") lines; $(cat "$W/mon.err"))"
	n=$(awk -v g="$g" '$5 == g' "$W/mon" | grep -c ' peer_added ')
	record snapshot "$(ms "$t0" "$t1")"
	record snapshot_commits "$((g - g0))"
	rl="$rl snapshot=$(ms "$t0" "$t1") ($((g - g0)) commit(s), $n peer events seen"
	grep -q 'events lost' "$W/mon.err" && rl="$rl, the rest lost to the monitor's buffer"
	rl="$rl; twilld's log: leased +$(logms "$t0" ' info: leased '), listed +$(logms "$t0" ' leases at revision '), applied +$(logms "$t0" ' changes\{0,1\} applied '))"
	if [ ! -s "$W/agent.peers" ]; then
		dev_peers "$W/agent.peers"
		cmp -s "$W/agent.peers" "$W/setconf.peers" ||
			die_bench "the agent's peers are not setconf's: $(diff "$W/setconf.peers" "$W/agent.peers" | head -n 6)"
		info "ok: the agent's $N peers are setconf's (endpoint, MAC, prefix)"
	fi
	return 0
}

# logms T0 REGEX: ms from T0 to the first line of twilld's log matching
logms() {
	local t
	t=$(grep -m 1 -e "$2" "$W/agent.log" | cut -d' ' -f1)
	if [ -n "$t" ]; then ms "$1" "$t"; else echo "?"; fi
}

# change join|leave KEY VALUE ENDPOINT: 0 measured, 1 capped
change() {
	local kind=$1 key=$2 val=$3 ep=$4 ev want n0 w0 st g0 r0 r1 tp te tt deadline got v
	if [ "$kind" = join ]; then
		ev=peer_added want=$((N + 1))
	else
		ev=peer_removed want=$N
	fi
	n0=$(wc -l <"$W/mon")
	w0=$(wc -l <"$W/watch")
	st=$(dev_state)
	g0=${st#* }
	r0=$(ranges)
	tp=$(now)
	if [ "$kind" = join ]; then
		ctl put "$key" "$val" >/dev/null 2>"$W/err" || die_bench "etcdctl put $key: $(cat "$W/err")"
	else
		ctl del "$key" >/dev/null 2>"$W/err" || die_bench "etcdctl del $key: $(cat "$W/err")"
	fi
	deadline=$((tp + CCAP * 1000000000))
	# the twill event for this peer: "STAMP twill0: EVENT generation G peer EP[:PORT] ..."
	until tt=$(awk -v n0="$n0" -v ev="$ev" -v ep="$ep" 'NR > n0 && $3 == ev &&
		($7 == ep || index($7, ep ":") == 1) { print $1; f = 1; exit } END { exit !f }' "$W/mon"); do
		running "$AGENT_PID" || die_bench "twilld exited: $(tail -n 5 "$W/agent.log")"
		if [ "$(now)" -gt "$deadline" ]; then
			record "$kind" "$((CCAP * 1000))"
			echo 1 >"$RES/$kind.capped"
			echo "$kind" >>"$RES/notone"
			rl="$rl $kind>=${CCAP}000 (capped)"
			return 1
		fi
		sleep 0.05
	done
	sleep 1
	te=$(awk -v w0="$w0" -v k="\"$(b64 "$key")\"" 'NR > w0 && index($0, k) { print $1; exit }' "$W/watch")
	[ -n "$te" ] || die_bench "the watch did not show $key ($(tail -n 3 "$W/watch.err"))"
	v=$(ms "$te" "$tt")
	record "$kind" "$v"
	record "${kind}_put" "$(ms "$tp" "$tt")"
	# one small commit: one event, one generation on, no re-list
	got=$(awk -v n0="$n0" 'NR > n0' "$W/mon" | wc -l)
	st=$(dev_state)
	r1=$(ranges)
	rl="$rl $kind=$v"
	if [ "$got" = 1 ] && [ "${st#* }" = $((g0 + 1)) ] && [ "${st% *}" = "$want" ] &&
		{ [ "$r0" = n/a ] || [ "$r1" = n/a ] || [ "$r0" = "$r1" ]; }; then
		echo "$kind" >>"$RES/one"
	else
		echo "$kind" >>"$RES/notone"
		rl="$rl (NOT one small commit: $got events, generation $g0 -> ${st#* }, ${st% *} peers, etcd Range requests $r0 -> $r1)"
		awk -v n0="$n0" 'NR > n0' "$W/mon" | head -n 5 | sed 's/^/   | event: /'
		tail -n 5 "$W/agent.log" | sed 's/^/   | twilld: /'
	fi
	return 0
}

r=1
while [ "$r" -le "$ROUNDS" ]; do
	rl="round $r:"
	baseline
	nsx hostA "$IP" link add twill0 type twill || die_bench "ip link add twill0"
	monitor_start
	if snapshot; then
		while IFS='|' read -r key val ep _ _ <&3; do
			change join "$key" "$val" "$ep" || break
			change leave "$key" "$val" "$ep" || break
		done 3<"$W/extra"
	fi
	stop_pid "$AGENT_PID"
	wait "$AGENT_READER" 2>/dev/null
	stop_pid "$MON_PID"
	wait "$MON_READER" 2>/dev/null
	nsx hostA "$IP" link del twill0 || die_bench "ip link del twill0"
	# leave etcd as it was: the N leases (a capped change may have left one)
	while IFS='|' read -r key _ <&3; do
		ctl del "$key" >/dev/null
	done 3<"$W/extra"
	echo "$rl (ms)"
	r=$((r + 1))
done
stop_pid "$WATCH_PID"
stop_pid "$ETCD_PID"

# ------------------------------------------------------------------ report

lb() { [ -s "$RES/$1.capped" ] && echo ">=" || echo ""; } # a capped sample: lower bound
count() { # WHAT FILE: lines that are WHAT
	if [ -f "$RES/$2" ]; then grep -cx "$1" "$RES/$2"; else echo 0; fi
}

ms_snap=$(median "$RES/snapshot")
ms_set=$(median "$RES/setconf")
rs=$(ratio "$ms_snap" "$ms_set")
met_s=$(awk -v r="$rs" 'BEGIN { if (r == "n/a") print "n/a"; else if (r + 0 <= 2) print "yes"; else print "NO" }')
[ -n "$(lb snapshot)" ] && [ "$met_s" = yes ] && met_s="n/a"
echo
echo "== agent figures (medians of $ROUNDS rounds; $N leases; ms on the guest's clock)"
printf '%-38s | %10s | %-30s | %-6s | %-24s | %s\n' figure twilld baseline ratio target "met?"
printf '%s\n' "---------------------------------------+------------+--------------------------------+--------+--------------------------+------"
printf '%-38s | %10s | %-30s | %-6s | %-24s | %s\n' "snapshot: start -> $N peers" "$(lb snapshot)$ms_snap" \
	"$ms_set twill setconf" "$(lb snapshot)$rs" "<= 2.0x setconf" "$met_s"
for kind in join leave; do
	if [ "$kind" = join ]; then
		name="join: etcd event -> peer added" base=set_add bname="twill set (add 1 peer)"
	else
		name="leave: etcd event -> peer removed" base=set_del bname="twill set (remove 1)"
	fi
	one=$(count "$kind" one)
	all=$((one + $(count "$kind" notone)))
	if [ "$all" = 0 ]; then
		met=n/a
	elif [ "$one" = "$all" ]; then
		met="yes ($one/$all)"
	else
		met="NO ($one/$all)"
	fi
	printf '%-38s | %10s | %-30s | %-6s | %-24s | %s\n' "$name" "$(lb "$kind")$(median "$RES/$kind")" \
		"$(median "$RES/$base") $bname" "$(lb "$kind")$(ratio "$(median "$RES/$kind")" "$(median "$RES/$base")")" \
		"1 commit of 1 peer" "$met"
done
echo "   snapshot: commits by the agent per round: $(tr '\n' ' ' <"$RES/snapshot_commits" 2>/dev/null)"
echo "   from the start of etcdctl put/del instead of the etcd event: join $(median "$RES/join_put"), leave $(median "$RES/leave_put")"
echo "   (a change's baseline runs twill in a new process: its start is in the figure, the agent's is not)"
echo
echo "   raw samples (ms):"
for f in setconf snapshot set_add join join_put set_del leave leave_put; do
	[ -s "$RES/$f" ] && echo "   $f: $(tr '\n' ' ' <"$RES/$f")"
	# (a capped sample is a lower bound: see the table above)
	case $f in
	setconf | set_add | set_del) c=twill m=$f ;;
	*) c=twilld m=$f ;;
	esac
	result agent "$c" "$m" ms "$(samples "$RES/$f")" size="$N"
done
result agent twilld snapshot_vs_setconf ratio "$rs" size="$N" target="<=2.0" baseline=twill verdict="$met_s"
exit 0
