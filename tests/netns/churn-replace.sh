#!/bin/sh
# Atomic replace under load: two concurrent `twill setconf` loops replace
# hostA's whole configuration over and over, alternating between two
# files of a few thousand prefixes, while packets flood the device on both
# vCPUs and `twill route get` loops on prefixes present in both files:
#   stable  10.244.2.0/24, fd00:244:0:2::/64 and 10.200.0-99.0/24 belong
#           to peer B (192.0.2.2) in both files
#   moving  10.201.0-99.0/24 belong to X1 (192.0.2.3) in one file and to
#           X2 (192.0.2.4) in the other
#   churn   4 x TWILL_CHURN_PREFIXES (default 1000) others, each in one
#           file only (IPv4 /28 and IPv6 /64)
# A prefix that maps to a peer before and after a commit must be found by
# every lookup during it, so: no `route get` of a stable or moving address
# ever misses (stable ones always answer peer B), tx to those addresses
# never counts no_peer, and B's valid datagrams from a stable prefix are
# never counted as spoofed.  A loop's setconf may lose to the other's open
# transaction (EBUSY, "another client's transaction"); any other failure
# fails the test, and both loops must get through.  At the end the last
# file applied shows back, and the pods still ping each other.
#
# Environment: TWILL_CHURN_PREFIXES (default 1000), TWILL_CHURN_REPLACES
# (setconf rounds per loop, each applying both files; default 6).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

K=${TWILL_CHURN_PREFIXES:-1000}
R=${TWILL_CHURN_REPLACES:-6}
UDPSEND=${UDPSEND:-udpsend}
A=$(ul4 hostA)
B=$(ul4 hostB)
command -v "$UDPSEND" >/dev/null 2>&1 || fail "udpsend (tests/tools) is not in the guest"

step "topology: hostA, hostB, one pod each, twill0 mesh"
topo_hosts hostA hostB
topo_pods hostA 1
topo_pods hostB 1
topo_twill_mesh 4 hostA hostB
nsx hostA "$IP" route add 10.200.0.0/15 dev twill0 || t_fail "route 10.200.0.0/15"
ping_ok podA1 "$(pod4 hostB 1)" 2

step "two configurations of a few thousand prefixes"
nsx hostA "$TWILL" showconf twill0 >"$TOPO_TMP/orig.conf" || t_fail "showconf"
sed '/^\[Peer\]/,$d' "$TOPO_TMP/orig.conf" >"$TOPO_TMP/device.conf"
# gen FILE X1SET X2SET: X1SET/X2SET are "moving" or a churn set number
gen() {
	{
		cat "$TOPO_TMP/device.conf"
		printf '\n[Peer]\nEndpoint = %s:8472\nMAC = %s\n' "$B" "$(twill_mac hostB)"
		printf 'Prefixes = %s\nPrefixes = %s\n' "$(subnet4 hostB)" "$(subnet6 hostB)"
		awk 'BEGIN { for (i = 0; i < 100; i++) printf "Prefixes = 10.200.%d.0/24\n", i }'
		for peer in 3:"$2" 4:"$3"; do
			printf '\n[Peer]\nEndpoint = 192.0.2.%s:8472\n' "${peer%%:*}"
			awk -v set="${peer#*:}" -v k="$K" 'BEGIN {
				if (set == "moving") {
					for (i = 0; i < 100; i++) printf "Prefixes = 10.201.%d.0/24\n", i
					exit
				}
				for (i = 0; i < k / 2; i++)	# IPv4 /28s in 10.(100+set)/16
					printf "Prefixes = 10.%d.%d.%d/28\n", 100 + set, int(i / 16), (i % 16) * 16
				for (i = 0; i < k - int(k / 2); i++)	# IPv6 /64s
					printf "Prefixes = fd00:%x:%x::/64\n", 256 + set, i
			}'
		done
	} >"$1"
}
# conf1: X1 = moving + churn 1, X2 = churn 2
# conf2: X1 = churn 3,          X2 = moving + churn 4
gen "$TOPO_TMP/c1a" moving 2
gen "$TOPO_TMP/c2a" 3 moving
awk -v k="$K" 'BEGIN { for (i = 0; i < k / 2; i++)
	printf "Prefixes = 10.101.%d.%d/28\n", int(i / 16), (i % 16) * 16 }' >"$TOPO_TMP/extra1"
awk -v k="$K" 'BEGIN { for (i = 0; i < k / 2; i++)
	printf "Prefixes = 10.104.%d.%d/28\n", int(i / 16), (i % 16) * 16 }' >"$TOPO_TMP/extra2"
# moving + churn in one peer: append the extra churn to the "moving" peer
awk -v f="$TOPO_TMP/extra1" '{ print } /^Endpoint = 192.0.2.3:/ { while ((getline l < f) > 0) print l }' \
	"$TOPO_TMP/c1a" >"$TOPO_TMP/conf1"
awk -v f="$TOPO_TMP/extra2" '{ print } /^Endpoint = 192.0.2.4:/ { while ((getline l < f) > 0) print l }' \
	"$TOPO_TMP/c2a" >"$TOPO_TMP/conf2"
n1=$(grep -c '^Prefixes' "$TOPO_TMP/conf1")
n2=$(grep -c '^Prefixes' "$TOPO_TMP/conf2")
info "conf1: $n1 prefixes, conf2: $n2 prefixes"
check_ok "setconf conf1" nsx hostA "$TWILL" setconf twill0 "$TOPO_TMP/conf1"
check_eq "$(flat_get "$(twill_flat hostA)" num_prefixes)" "$n1" "hostA: prefixes after setconf conf1"
check_ok "setconf conf2" nsx hostA "$TWILL" setconf twill0 "$TOPO_TMP/conf2"
check_eq "$(flat_get "$(twill_flat hostA)" num_prefixes)" "$n2" "hostA: prefixes after setconf conf2"
ping_ok podA1 "$(pod4 hostB 1)" 2

step "flood: tx to stable and moving addresses, B's valid datagrams, pod pings"
info "TWILL_CHURN_PREFIXES=$K TWILL_CHURN_REPLACES=$R"
nopeer0=$(dev_drop hostA no_peer)
spoof0=$(peer_drop hostA "$B" spoofed)
brx0=$(peer_get hostB "$A" rx_packets)
arx0=$(peer_get hostA "$B" rx_packets)
atx0=$(link_stat hostA twill0 tx packets)
# Each flood prints "sent N" when stopped (SIGTERM), ping its statistics
# (SIGINT): what they sent is checked below, so that "no drops" cannot hold
# for want of traffic.
bg_in podA1 "$UDPSEND" -x 'ab cd' -p 9 -c 1000000000 10.200.50.5 >"$TOPO_TMP/f1" 2>&1
F1=$BG_PID
bg_in podA1 "$UDPSEND" -x 'ab cd' -p 9 -c 1000000000 10.201.7.7 >"$TOPO_TMP/f2" 2>&1
F2=$BG_PID
bg_in hostB "$UDPSEND" -s "$B" -d "$(twill_mac hostA)" -m "$(twill_mac hostB)" \
	-i "10.200.50.1,$(pod4 hostA 1)" -c 1000000000 "$A" >"$TOPO_TMP/f3" 2>&1
F3=$BG_PID
bg_in podB1 "$PING" -q -i 0.05 "$(pod4 hostA 1)" >"$TOPO_TMP/f4" 2>&1
F4=$BG_PID

DONE=$TOPO_TMP/done
MISS=$TOPO_TMP/miss
: >"$MISS"
# lookups ADDR WANT...: route get until the setconf loops are done; a
# miss, or an answer naming none of the WANT endpoints, is written to MISS.
lookups() {
	local addr=$1 n=0 out ok w
	shift
	while [ ! -e "$DONE" ]; do
		n=$((n + 1))
		if ! out=$(nsx hostA "$TWILL" route get twill0 "$addr" 2>&1); then
			echo "miss: $addr: $out" >>"$MISS"
			continue
		fi
		ok=0
		for w in "$@"; do
			case $out in *" peer $w:"*) ok=1 ;; esac
		done
		[ "$ok" = 1 ] || echo "wrong: $addr: $out" >>"$MISS"
	done
	echo "$n"
}

# replaces FIRST SECOND: R rounds of setconf FIRST, setconf SECOND
replaces() {
	local i=0 f out ok=0 busy=0
	while [ "$i" -lt "$R" ]; do
		for f in "$1" "$2"; do
			if out=$(nsx hostA "$TWILL" setconf twill0 "$TOPO_TMP/$f" 2>&1); then
				ok=$((ok + 1))
			else
				case $out in
				*"another client"* | *busy* | *Busy*) busy=$((busy + 1)) ;;
				*) echo "setconf $f failed: $out"; return 1 ;;
				esac
			fi
		done
		i=$((i + 1))
	done
	echo "$ok $busy"
}

step "two setconf loops ($R x 2 replaces each) against route get loops"
t0=$(date +%s)
lookups 10.200.50.1 "$B" >"$TOPO_TMP/l1" &
L1=$!
lookups "$(pod6 hostB 1)" "$B" >"$TOPO_TMP/l2" &
L2=$!
lookups 10.201.7.7 192.0.2.3 192.0.2.4 >"$TOPO_TMP/l3" &
L3=$!
replaces conf1 conf2 >"$TOPO_TMP/r1" 2>&1 &
R1=$!
replaces conf2 conf1 >"$TOPO_TMP/r2" 2>&1 &
R2=$!
rc1=0
rc2=0
wait "$R1" || rc1=$?
wait "$R2" || rc2=$?
touch "$DONE"
wait "$L1" "$L2" "$L3" || :
info "replaces took $(($(date +%s) - t0))s"
kill -TERM "$F1" "$F2" "$F3" 2>/dev/null || :
kill -INT "$F4" 2>/dev/null || :
# flood_sent FILE WHAT: the count a stopped udpsend printed (> 0)
flood_sent() {
	local n
	n=$(sed -n 's/^sent \([0-9]*\)$/\1/p' "$1")
	if [ -z "$n" ]; then
		sed 's/^/   | /' "$1" >&2
		t_fail "$2: udpsend printed no count"
	fi
	check_gt "$n" 0 "$2: datagrams sent" >&2
	echo "$n"
}
for f in "$F1" "$F2" "$F3" "$F4"; do
	wait "$f" || :
done
s1=$(flood_sent "$TOPO_TMP/f1" "flood podA1 -> 10.200.50.5 (stable, peer B)") || exit 1
s2=$(flood_sent "$TOPO_TMP/f2" "flood podA1 -> 10.201.7.7 (moving, X1/X2)") || exit 1
s3=$(flood_sent "$TOPO_TMP/f3" "flood hostB -> hostA's twill port") || exit 1
# ping's replies to podB1 crossed A -> B like flood 1
pong=$(sed -n 's/.* packets transmitted, \([0-9]*\) \(packets \)\{0,1\}received.*/\1/p' "$TOPO_TMP/f4")
check_gt "${pong:-x}" 0 "ping podB1 -> podA1 during the replaces: replies" >&2
sleep 1
brx=$(($(peer_get hostB "$A" rx_packets) - brx0))
atx=$(($(link_stat hostA twill0 tx packets) - atx0))
info "sent: $s1 to the stable prefix, $s2 to the moving one, $s3 from B; $pong ping replies"
info "hostA twill0 tx $atx, hostB rx from A $brx"
check_gt "$brx" "$pong" "hostB: datagrams from A beyond the ping replies (flood 1 went through)"
check_gt "$atx" "$brx" "hostA: twill0 sent beyond what B received (flood 2 went to X1/X2)"
sed 's/^/   loop 1: /' "$TOPO_TMP/r1"
sed 's/^/   loop 2: /' "$TOPO_TMP/r2"
[ "$rc1" = 0 ] && [ "$rc2" = 0 ] || t_fail "a setconf loop failed"
read -r ok1 busy1 <"$TOPO_TMP/r1"
read -r ok2 busy2 <"$TOPO_TMP/r2"
check_gt "$ok1" 0 "loop 1: replaces that went through (refused busy: $busy1)"
check_gt "$ok2" 0 "loop 2: replaces that went through (refused busy: $busy2)"
info "route get calls: $(cat "$TOPO_TMP/l1") + $(cat "$TOPO_TMP/l2") + $(cat "$TOPO_TMP/l3")"
check_gt "$(($(cat "$TOPO_TMP/l1") + $(cat "$TOPO_TMP/l3")))" 10 "route get calls during the replaces"
if [ -s "$MISS" ]; then
	head -n 20 "$MISS" | sed 's/^/   | /' >&2
	t_fail "route get missed or answered wrongly $(wc -l <"$MISS") time(s) during atomic replaces"
fi
info "ok: no route get missed"
check_eq "$(dev_drop hostA no_peer)" "$nopeer0" "hostA: no_peer drops (tx to covered addresses)"
check_eq "$(peer_drop hostA "$B" spoofed)" "$spoof0" "hostA: peer B spoofed drops (B's stable sources)"
check_gt "$(peer_get hostA "$B" rx_packets)" "$arx0" "hostA: B's datagrams arrived"

step "the last configuration applied shows back; the pods still talk"
check_ok "setconf conf1" nsx hostA "$TWILL" setconf twill0 "$TOPO_TMP/conf1"
check_eq "$(flat_get "$(twill_flat hostA)" num_prefixes)" "$n1" "hostA: prefixes after the last setconf"
nsx hostA "$TWILL" showconf twill0 | grep -c '^Prefixes' >"$TOPO_TMP/count"
check_eq "$(cat "$TOPO_TMP/count")" "$n1" "showconf lists every prefix"
ping_ok podA1 "$(pod4 hostB 1)" 3
ping_ok podB1 "$(pod6 hostA 1)" 3
echo "PASS: churn-replace ($n1/$n2 prefixes, $R rounds per loop)"
