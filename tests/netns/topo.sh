# shellcheck shell=dash
# Topologies and helpers for the datapath scenarios (tests/netns/dp-*.sh),
# the benchmark and the demo.  Source after lib.sh; plain POSIX sh + local
# (the guest shell is dash).
#
# Layout (host letter L, index N: A=1 B=2 C=3, S=99 is a "stranger"):
#   namespace hostL, underlay interface ul0: 192.0.2.N/24, 2001:db8::N/64
#     two hosts: ul0 <-> ul0 direct veth; more: every ul0 is a veth whose
#     other end is on bridge br0 in namespace "sw"
#   pods: namespace podL1, podL2..., eth0 on bridge cni0 of hostL
#     cni0: 10.244.N.1/24, fd00:244:0:N::1/64
#     podLi: 10.244.N.(10+i)/24, fd00:244:0:N::(10+i)/64, default via cni0
#   twill0 in hostL: MAC 02:74:77:00:00:NN, 10.244.N.0/32 (as flannel does)
#     routes 10.244.0.0/16 and fd00:244::/48 dev twill0
#   flannel.1 (kernel vxlan, VNI 1, port 8472, nolearning, MTU 1450) in
#     hostL: MAC 02:66:6c:00:00:NN, 10.244.N.0/32
#
# Every helper that fails prints why and exits the scenario (status 1).

# lib.sh finds iproute2 (busybox sh would run its own ip applet)
IP=${IP:-${TW_IP:-ip}}
BRIDGE=${BRIDGE:-bridge}
PING=${PING:-ping}
IPERF=${IPERF:-iperf3}
TCPDUMP=${TCPDUMP:-tcpdump}
TWILL=${TWILL:-twill}
TOPO_DIR=${TOPO_DIR:-$(cd "$(dirname "$0")" 2>/dev/null && pwd)}
# static helpers (tests/tools); on PATH in the guest, else next to the tree
UDPSEND=${UDPSEND:-udpsend}
NSTIME=${NSTIME:-nstime}
if ! command -v "$UDPSEND" >/dev/null 2>&1 && [ -x "$TOPO_DIR/../tools/udpsend" ]; then
	UDPSEND=$TOPO_DIR/../tools/udpsend
fi
if ! command -v "$NSTIME" >/dev/null 2>&1 && [ -x "$TOPO_DIR/../tools/nstime" ]; then
	NSTIME=$TOPO_DIR/../tools/nstime
fi

TOPO_NAMESPACES=""
TOPO_PIDS=""
TOPO_TMP=${TOPO_TMP:-$(mktemp -d /tmp/topo.XXXXXX)}
TOPO_HOSTS=""
TOPO_T0=$(date +%s)

# ---------------------------------------------------------------- reporting

# A step says when it began (seconds into the scenario): where a slow
# scenario spends its time shows in every log.
step() {
	echo "== $* [$(($(date +%s) - TOPO_T0))s]"
}

info() {
	echo "   $*"
}

# T_DIAG: a function a scenario names to print what explains a failure
# (its lines are kept in the lane's digest when they start "FAIL: ").
t_fail() {
	local diag=${T_DIAG:-}
	echo "FAIL: $*" >&2
	T_DIAG=
	[ -z "$diag" ] || "$diag" >&2
	exit 1
}

check_eq() { # ACTUAL EXPECTED MSG
	[ "$1" = "$2" ] || t_fail "$3: got '$1', expected '$2'"
	info "ok: $3 ($1)"
}

check_gt() { # A B MSG: integer A > B
	[ "${1:-x}" -eq "${1:-x}" ] 2>/dev/null || t_fail "$3: '$1' is not a number"
	[ "$1" -gt "$2" ] || t_fail "$3: $1 is not > $2"
	info "ok: $3 ($1 > $2)"
}

check_ge() {
	[ "${1:-x}" -eq "${1:-x}" ] 2>/dev/null || t_fail "$3: '$1' is not a number"
	[ "$1" -ge "$2" ] || t_fail "$3: $1 is not >= $2"
	info "ok: $3 ($1 >= $2)"
}

check_contains() { # TEXT NEEDLE MSG
	case $1 in
	*"$2"*) info "ok: $3" ;;
	*)
		printf '%s\n' "$1" | sed 's/^/   | /' >&2
		t_fail "$3: output lacks '$2'"
		;;
	esac
}

check_lacks() {
	case $1 in
	*"$2"*)
		printf '%s\n' "$1" | sed 's/^/   | /' >&2
		t_fail "$3: output has '$2'"
		;;
	*) info "ok: $3" ;;
	esac
}

# check_ok MSG CMD...: CMD must succeed; its output is shown when it fails.
check_ok() {
	local msg=$1 out
	shift
	if ! out=$("$@" 2>&1); then
		printf '%s\n' "$out" | sed 's/^/   | /' >&2
		t_fail "$msg: '$*' failed"
	fi
	info "ok: $msg"
	CHECK_OUT=$out
}

# check_fails MSG CMD...: CMD must fail (exit non-zero, no crash of ours).
check_fails() {
	local msg=$1 out
	shift
	if out=$("$@" 2>&1); then
		printf '%s\n' "$out" | sed 's/^/   | /' >&2
		t_fail "$msg: '$*' succeeded"
	fi
	info "ok: $msg"
	CHECK_OUT=$out
}

# topo_wait SECONDS CMD...: retry CMD every 0.2 s until it succeeds.
topo_wait() {
	local n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

# ------------------------------------------------------------- namespaces

# nsx NS CMD...: CMD in NS's network (see in_ns in lib.sh: nsenter is
# cheaper); nsx_sys when CMD reads /sys/class/net.
nsx() {
	local ns=$1
	shift
	"${TW_NSENTER:?util-linux nsenter not found}" --net="/run/netns/$ns" "$@"
}

nsx_sys() {
	local ns=$1
	shift
	"$IP" netns exec "$ns" "$@"
}

topo_cleanup() {
	local p ns
	for p in $TOPO_PIDS; do
		kill "$p" 2>/dev/null || :
	done
	for p in $TOPO_PIDS; do
		wait "$p" 2>/dev/null || :
	done
	TOPO_PIDS=""
	for ns in $TOPO_NAMESPACES; do
		"$IP" netns del "$ns" 2>/dev/null || :
	done
	TOPO_NAMESPACES=""
	rm -rf "$TOPO_TMP"
}

# Clean up on exit: through lib.sh's hook when there is one.
if command -v on_cleanup >/dev/null 2>&1; then
	on_cleanup topo_cleanup
else
	# shellcheck disable=SC2154 # st is set in the trap
	trap 'st=$?; topo_cleanup; exit $st' EXIT
	trap 'exit 130' INT TERM
fi

# Run CMD in NS in the background; remember it for cleanup.  Sets BG_PID.
bg_in() { # NS CMD...
	local ns=$1
	shift
	"$IP" netns exec "$ns" "$@" &
	BG_PID=$!
	TOPO_PIDS="$TOPO_PIDS $BG_PID"
}

topo_ns_add() {
	local ns=$1
	"$IP" netns add "$ns" || t_fail "ip netns add $ns"
	TOPO_NAMESPACES="$ns $TOPO_NAMESPACES"
	nsx "$ns" "$IP" link set lo up
	# no DAD delays, forwarding on, no reverse path filter
	nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null ||
		t_fail "sysctl in $ns"
}

# Forget a namespace deleted by the scenario itself.
topo_ns_forget() {
	local ns out=""
	for ns in $TOPO_NAMESPACES; do
		[ "$ns" = "$1" ] || out="$out $ns"
	done
	TOPO_NAMESPACES=$out
}

# host index: A=1 B=2 C=3 ... S=99
host_idx() {
	case $1 in
	hostA) echo 1 ;; hostB) echo 2 ;; hostC) echo 3 ;; hostD) echo 4 ;;
	hostS) echo 99 ;;
	*) t_fail "unknown host $1" ;;
	esac
}

host_letter() {
	echo "${1#host}"
}

ul4() { echo "192.0.2.$(host_idx "$1")"; }
ul6() { echo "2001:db8::$(host_idx "$1")"; }
# underlay address of HOST in family 4|6
ul_addr() {
	if [ "$2" = 6 ]; then ul6 "$1"; else ul4 "$1"; fi
}
pod4() { echo "10.244.$(host_idx "$1").$((10 + $2))"; } # HOST I
pod6() { echo "fd00:244:0:$(host_idx "$1")::$((10 + $2))"; }
pod_addr() { # HOST I FAMILY
	if [ "$3" = 6 ]; then pod6 "$1" "$2"; else pod4 "$1" "$2"; fi
}
subnet4() { echo "10.244.$(host_idx "$1").0/24"; }
subnet6() { echo "fd00:244:0:$(host_idx "$1")::/64"; }
twill_mac() { printf '02:74:77:00:00:%02x\n' "$(host_idx "$1")"; }
vxlan_mac() { printf '02:66:6c:00:00:%02x\n' "$(host_idx "$1")"; }

# ---------------------------------------------------------------- topology

# topo_hosts HOST...: the host namespaces and their underlay.
topo_hosts() {
	local h n
	for h in "$@"; do
		topo_ns_add "$h"
	done
	if [ $# -eq 2 ]; then
		"$IP" link add ul0 netns "$1" type veth peer name ul0 netns "$2" ||
			t_fail "veth $1 <-> $2"
	else
		topo_ns_add sw
		nsx sw "$IP" link add br0 type bridge
		nsx sw "$IP" link set br0 up
		for h in "$@"; do
			n=$(host_idx "$h")
			nsx sw "$IP" link add "p$n" type veth peer name ul0 netns "$h" ||
				t_fail "veth sw <-> $h"
			nsx sw "$IP" link set "p$n" master br0 up
		done
	fi
	for h in "$@"; do
		nsx "$h" "$IP" addr add "$(ul4 "$h")/24" dev ul0
		nsx "$h" "$IP" addr add "$(ul6 "$h")/64" dev ul0 nodad
		nsx "$h" "$IP" link set ul0 up
		TOPO_HOSTS="$TOPO_HOSTS $h"
	done
}

# topo_pods HOST COUNT: cni0 bridge and COUNT pods behind HOST.
topo_pods() {
	local h=$1 count=$2 n l i pod
	n=$(host_idx "$h")
	l=$(host_letter "$h")
	nsx "$h" "$IP" link add cni0 type bridge
	nsx "$h" "$IP" addr add "10.244.$n.1/24" dev cni0
	nsx "$h" "$IP" addr add "fd00:244:0:$n::1/64" dev cni0 nodad
	nsx "$h" "$IP" link set cni0 up
	i=1
	while [ "$i" -le "$count" ]; do
		pod=pod$l$i
		topo_ns_add "$pod"
		"$IP" link add "veth$l$i" netns "$h" type veth peer name eth0 netns "$pod" ||
			t_fail "veth $h <-> $pod"
		nsx "$h" "$IP" link set "veth$l$i" master cni0 up
		nsx "$pod" "$IP" addr add "$(pod4 "$h" "$i")/24" dev eth0
		nsx "$pod" "$IP" addr add "$(pod6 "$h" "$i")/64" dev eth0 nodad
		nsx "$pod" "$IP" link set eth0 up
		nsx "$pod" "$IP" route add default via "10.244.$n.1"
		nsx "$pod" "$IP" -6 route add default via "fd00:244:0:$n::1"
		i=$((i + 1))
	done
}

# topo_twill HOST [ARGS for twill set]: twill0 with its MAC, addresses and
# the cluster routes.
topo_twill() {
	local h=$1 n
	shift
	n=$(host_idx "$h")
	check_ok "$h: ip link add twill0 type twill" nsx "$h" "$IP" link add twill0 type twill
	check_ok "$h: twill set twill0 mac" nsx "$h" "$TWILL" set twill0 mac "$(twill_mac "$h")" "$@"
	nsx "$h" "$IP" link set twill0 up || t_fail "$h: twill0 up"
	nsx "$h" "$IP" addr add "10.244.$n.0/32" dev twill0
	nsx "$h" "$IP" route add 10.244.0.0/16 dev twill0 || t_fail "$h: route via twill0"
	nsx "$h" "$IP" -6 route add fd00:244::/48 dev twill0 || t_fail "$h: v6 route via twill0"
}

# topo_twill_peer HOST PEERHOST FAMILY [PREFIXES]: HOST's twill0 learns
# PEERHOST (underlay family 4|6) owning PREFIXES (default its pod subnets).
topo_twill_peer() {
	local h=$1 p=$2 fam=$3 prefixes=${4:-}
	[ -n "$prefixes" ] || prefixes="$(subnet4 "$p"),$(subnet6 "$p")"
	check_ok "$h: twill set peer $p" nsx "$h" "$TWILL" set twill0 \
		peer "$(ul_addr "$p" "$fam")" mac "$(twill_mac "$p")" prefixes "$prefixes"
}

# topo_twill_mesh FAMILY HOST...: twill0 on every host, each a peer of all.
topo_twill_mesh() {
	local fam=$1 h p
	shift
	for h in "$@"; do
		topo_twill "$h"
	done
	for h in "$@"; do
		for p in "$@"; do
			[ "$h" = "$p" ] || topo_twill_peer "$h" "$p" "$fam"
		done
	done
}

# topo_vxlan HOST FAMILY: flannel.1 the way flannel sets it up.
topo_vxlan() {
	local h=$1 fam=$2 n
	n=$(host_idx "$h")
	check_ok "$h: flannel.1" nsx "$h" "$IP" link add flannel.1 type vxlan id 1 \
		dstport 8472 local "$(ul_addr "$h" "$fam")" dev ul0 nolearning
	nsx "$h" "$IP" link set flannel.1 address "$(vxlan_mac "$h")" mtu 1450
	nsx "$h" "$IP" addr add "10.244.$n.0/32" dev flannel.1
	nsx "$h" "$IP" link set flannel.1 up
}

# topo_vxlan_peer HOST PEERHOST FAMILY [MAC]: route + neigh + fdb for one
# remote node (its /24), as flannel does.  MAC defaults to the peer's
# flannel.1 MAC (pass its twill MAC for a twill peer).
topo_vxlan_peer() {
	local h=$1 p=$2 fam=$3 mac=${4:-} m
	[ -n "$mac" ] || mac=$(vxlan_mac "$p")
	m=$(host_idx "$p")
	nsx "$h" "$IP" neigh replace "10.244.$m.0" lladdr "$mac" dev flannel.1 nud permanent ||
		t_fail "$h: neigh for $p"
	nsx "$h" "$BRIDGE" fdb append "$mac" dev flannel.1 dst "$(ul_addr "$p" "$fam")" ||
		t_fail "$h: fdb for $p"
	nsx "$h" "$IP" route replace "10.244.$m.0/24" via "10.244.$m.0" dev flannel.1 onlink ||
		t_fail "$h: route for $p"
}

topo_vxlan_unpeer() {
	local h=$1 p=$2 fam=$3 mac=${4:-} m
	[ -n "$mac" ] || mac=$(vxlan_mac "$p")
	m=$(host_idx "$p")
	nsx "$h" "$IP" route del "10.244.$m.0/24" 2>/dev/null || :
	nsx "$h" "$IP" neigh del "10.244.$m.0" dev flannel.1 2>/dev/null || :
	nsx "$h" "$BRIDGE" fdb del "$mac" dev flannel.1 dst "$(ul_addr "$p" "$fam")" 2>/dev/null || :
	return 0
}

# topo_bare HOST PEERHOST: plain routing of the peer's pod subnet over the
# underlay (no overlay).
topo_bare() {
	local h=$1 p=$2
	nsx "$h" "$IP" route replace "$(subnet4 "$p")" via "$(ul4 "$p")" dev ul0 ||
		t_fail "$h: bare route"
	nsx "$h" "$IP" -6 route replace "$(subnet6 "$p")" via "$(ul6 "$p")" dev ul0 ||
		t_fail "$h: bare v6 route"
}

topo_unbare() {
	local h=$1 p=$2
	nsx "$h" "$IP" route del "$(subnet4 "$p")" 2>/dev/null || :
	nsx "$h" "$IP" -6 route del "$(subnet6 "$p")" 2>/dev/null || :
	return 0
}

# ------------------------------------------------------------------- JSON

# json_flat: JSON on stdin -> one "path=value" line per scalar, path parts
# joined with "|" (object keys, array indexes); strings unquoted.
#   {"peers":[{"endpoint":"192.0.2.2:8472","rx_packets":3}]}
#   -> peers|0|endpoint=192.0.2.2:8472 and peers|0|rx_packets=3
json_flat() {
	awk '
	function ws() { while (pos <= n && index(" \t\r\n", substr(s, pos, 1)) > 0) pos++ }
	function str(   out, c, e) {
		pos++
		out = ""
		while (pos <= n) {
			c = substr(s, pos, 1)
			if (c == "\\") {
				e = substr(s, pos + 1, 1)
				if (e == "n") out = out "\n"
				else if (e == "t") out = out "\t"
				else if (e == "u") { out = out "?"; pos += 4 }
				else out = out e
				pos += 2
				continue
			}
			if (c == "\"") { pos++; return out }
			out = out c
			pos++
		}
		return out
	}
	function join(p, k) { return p == "" ? k : p "|" k }
	function val(path,   c, k, i, v) {
		ws()
		if (pos > n) return
		c = substr(s, pos, 1)
		if (c == "{") {
			pos++; ws()
			if (substr(s, pos, 1) == "}") { pos++; return }
			while (pos <= n) {
				ws(); k = str(); ws(); pos++	# the colon
				val(join(path, k)); ws()
				c = substr(s, pos, 1); pos++
				if (c != ",") return
			}
			return
		}
		if (c == "[") {
			pos++; ws()
			if (substr(s, pos, 1) == "]") { pos++; return }
			i = 0
			while (pos <= n) {
				val(join(path, i)); i++; ws()
				c = substr(s, pos, 1); pos++
				if (c != ",") return
			}
			return
		}
		if (c == "\"") { v = str(); print path "=" v; return }
		v = ""
		while (pos <= n && index(",}] \t\r\n", substr(s, pos, 1)) == 0) {
			v = v substr(s, pos, 1); pos++
		}
		print path "=" v
	}
	{ s = s $0 "\n" }
	END { n = length(s); pos = 1; while (pos <= n) { ws(); if (pos > n) break; p0 = pos; val(""); if (pos == p0) pos++ } }'
}

# twill_flat HOST [DEV]: `twill show DEV -j` flattened.
twill_flat() {
	local out
	out=$(nsx "$1" "$TWILL" show "${2:-twill0}" -j) || t_fail "$1: twill show ${2:-twill0} -j failed"
	printf '%s\n' "$out" | json_flat
}

# Key names used by `twill show -j` (see userspace/; one place to adapt).
J_PEERS=peers
J_ENDPOINT=endpoint
J_DROPS=drops

# ep_match ENDPOINT_STRING ADDR: does a shown endpoint name ADDR?
ep_match() {
	case $1 in
	"$2" | "$2":* | "[$2]" | "[$2]":*) return 0 ;;
	esac
	return 1
}

# peer_index FLAT ADDR: index of the peer whose endpoint is ADDR (any port).
peer_index() {
	local line path v i
	printf '%s\n' "$1" | grep "^\(0|\)\?$J_PEERS|[0-9]*|$J_ENDPOINT=" | while IFS= read -r line; do
		path=${line%%=*}
		v=${line#*=}
		if ep_match "$v" "$2"; then
			i=${path%|"$J_ENDPOINT"}
			echo "${i##*|}"
			break
		fi
	done
}

# flat_get FLAT PATH_SUFFIX_REGEX: the value of the first matching key.
flat_get() {
	printf '%s\n' "$1" | grep "^\(0|\)\?$2=" | head -n 1 | sed 's/^[^=]*=//'
}

# json_get KEY: the value of KEY (a flattened path) in JSON on stdin.
json_get() {
	json_flat | grep "^\(0|\)\?$1=" | head -n 1 | sed 's/^[^=]*=//'
}

# num_prefixes HOST [DEV]: the device's prefix count, without json_flat
# (busybox awk is quadratic on multi-megabyte dumps).
num_prefixes() {
	nsx "$1" "$TWILL" show "${2:-twill0}" -j | grep -o '"num_prefixes": *[0-9]*' | head -n 1 | sed 's/.*: *//'
}

# peer_get HOST PEERADDR KEY [DEV]: a peer's value.  A key that `twill
# show -j` lacks is an error (the CLI prints every counter, zero or not):
# a renamed key must not read as 0 and pass a "no drops" check.
peer_get() {
	local flat i v
	flat=$(twill_flat "$1" "${4:-twill0}")
	i=$(peer_index "$flat" "$2")
	[ -n "$i" ] || t_fail "$1: no peer $2 in twill show -j"
	v=$(flat_get "$flat" "$J_PEERS|$i|$3")
	[ -n "$v" ] || t_fail "$1: peer $2 has no '$3' in twill show -j"
	echo "$v"
}

# drop name as shown by the CLI for a TWILL_DROP_* suffix (lower case)
drop_key() {
	echo "$1" | tr '[:upper:]' '[:lower:]'
}

# dev_drop HOST REASON [DEV]: device-wide drop counter (a missing key is
# an error, as in peer_get).
dev_drop() {
	local flat v
	flat=$(twill_flat "$1" "${3:-twill0}")
	v=$(flat_get "$flat" "$J_DROPS|$(drop_key "$2")")
	[ -n "$v" ] || t_fail "$1: no drops '$(drop_key "$2")' in twill show -j"
	echo "$v"
}

# peer_drop HOST PEERADDR REASON [DEV]
peer_drop() {
	peer_get "$1" "$2" "$J_DROPS|$(drop_key "$3")" "${4:-twill0}"
}

# link_stat HOST DEV rx|tx packets|bytes|dropped: `ip -s link` counters.
link_stat() {
	local v
	v=$(nsx "$1" "$IP" -s -j link show dev "$2" | json_flat | grep "^0|stats64|$3|$4=" | sed 's/^[^=]*=//')
	[ -n "$v" ] || t_fail "$1: no $3 $4 in ip -s -j link show $2"
	echo "$v"
}

# ---------------------------------------------------------------- traffic

# ping_sent OUTPUT: the "N packets transmitted" of ping's statistics.  With
# -w, ping sends until COUNT replies or the deadline: the requests that
# crossed the overlay are this count, not COUNT.
ping_sent() {
	local n
	n=$(printf '%s\n' "$1" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
	[ -n "$n" ] || t_fail "no 'packets transmitted' in ping's output: $1"
	echo "$n"
}

# ping_ok NS DST [COUNT]: at least one reply (the first may wait for ARP).
# PING_SENT, PING_RCVD: the requests sent, the replies received.
ping_ok() {
	local out
	if ! out=$(nsx "$1" "$PING" -c "${3:-3}" -i 0.2 -W 2 -w 10 "$2" 2>&1); then
		printf '%s\n' "$out" | sed 's/^/   | /' >&2
		t_fail "ping $1 -> $2"
	fi
	PING_SENT=$(ping_sent "$out") || exit 1
	PING_RCVD=$(printf '%s\n' "$out" | sed -n 's/.* packets transmitted, \([0-9]*\) \(packets \)\{0,1\}received.*/\1/p')
	info "ok: ping $1 -> $2: $(printf '%s\n' "$out" | grep 'packets transmitted')"
}

# ping_fails NS DST [COUNT]: no reply; PING_SENT: the requests sent.
ping_fails() {
	local out
	if out=$(nsx "$1" "$PING" -c "${3:-3}" -i 0.2 -W 1 -w 5 "$2" 2>&1); then
		printf '%s\n' "$out" | sed 's/^/   | /' >&2
		t_fail "ping $1 -> $2 should fail"
	fi
	PING_SENT=$(ping_sent "$out") || exit 1
	info "ok: ping $1 -> $2 gets no reply ($PING_SENT requests)"
	CHECK_OUT=$out
}

IPERF_PORT=5201

# iperf_server NS: one-shot iperf3 server in NS on a fresh port (IPERF_PORT).
iperf_server() {
	IPERF_PORT=$((IPERF_PORT + 1))
	bg_in "$1" "$IPERF" -s -1 -p "$IPERF_PORT" >/dev/null 2>&1
	topo_wait 20 iperf_listening "$1" "$IPERF_PORT" || t_fail "iperf3 server in $1 did not start"
}

iperf_listening() {
	nsx "$1" ss -Hltn "sport = :$2" | grep -q LISTEN
}

# iperf_run NS DST ARGS...: client; prints flattened JSON; fails on error.
iperf_run() {
	local ns=$1 dst=$2 out
	shift 2
	if ! out=$(nsx "$ns" "$IPERF" -c "$dst" -p "$IPERF_PORT" -J "$@" 2>&1); then
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/   | /' >&2
		t_fail "iperf3 $ns -> $dst $*"
	fi
	printf '%s\n' "$out" | json_flat
}

# iperf_tcp CLIENTNS SERVERNS DST [ARGS]: IPERF_RESULT = bytes received by
# the server (not in $(...): the server is a background job to clean up).
iperf_tcp() {
	local c=$1 s=$2 dst=$3 flat
	shift 3
	iperf_server "$s"
	flat=$(iperf_run "$c" "$dst" -t 2 "$@") || exit 1
	IPERF_RESULT=$(flat_get "$flat" 'end|sum_received|bytes' | cut -d. -f1)
}

# iperf_udp CLIENTNS SERVERNS DST [ARGS]: IPERF_RESULT = packets received.
iperf_udp() {
	local c=$1 s=$2 dst=$3 flat p l
	shift 3
	iperf_server "$s"
	# -l 1200: under the overlay MTU (iperf3 sends with DF: EMSGSIZE otherwise)
	flat=$(iperf_run "$c" "$dst" -u -b 20M -l 1200 -t 2 "$@") || exit 1
	p=$(flat_get "$flat" 'end|sum_received|packets')
	l=$(flat_get "$flat" 'end|sum_received|lost_packets')
	if [ -z "$p" ]; then # older iperf3: end.sum
		p=$(flat_get "$flat" 'end|sum|packets')
		l=$(flat_get "$flat" 'end|sum|lost_packets')
	fi
	IPERF_RESULT=$((${p:-0} - ${l:-0}))
}

# capture_start NS IFACE FILTER...: tcpdump to a file; CAPTURE_FILE.
capture_start() {
	local ns=$1 ifc=$2
	shift 2
	CAPTURE_FILE=$TOPO_TMP/cap.$$.$ns.$ifc.pcap
	rm -f "$CAPTURE_FILE"
	# --immediate-mode: without it libpcap's TPACKET_V3 ring hands
	# packets over only when a block fills or its 1 s timer fires, and
	# packets still in the ring when capture_stop interrupts tcpdump are
	# never written.
	bg_in "$ns" "$TCPDUMP" -n -U --immediate-mode -i "$ifc" -w "$CAPTURE_FILE" "$@" 2>"$CAPTURE_FILE.log"
	CAPTURE_PID=$BG_PID
	topo_wait 20 grep -q "listening on" "$CAPTURE_FILE.log" || t_fail "tcpdump in $ns did not start"
}

capture_stop() {
	sleep 0.5
	kill -INT "$CAPTURE_PID" 2>/dev/null || :
	wait "$CAPTURE_PID" 2>/dev/null || :
}

# capture_read [TCPDUMP ARGS]: decoded capture (VXLAN on 8472 decoded).
capture_read() {
	"$TCPDUMP" -nn -r "$CAPTURE_FILE" "$@" 2>/dev/null
}

# dev_drop_total HOST [DEV]: sum of all device-wide drop counters.
dev_drop_total() {
	local v
	v=$(twill_flat "$1" "${2:-twill0}" | grep "^\(0|\)\?$J_DROPS|" | sed 's/^[^=]*=//' |
		awk '{ t += $1; n++ } END { if (n) printf "%d\n", t }')
	[ -n "$v" ] || t_fail "$1: no drop counters in twill show -j"
	echo "$v"
}

# show_twill HOST: `twill show` for the log.
show_twill() {
	echo "--- $1: twill show twill0"
	nsx "$1" "$TWILL" show twill0 | sed 's/^/   /'
}

# ------------------------------------------------------------- scenarios

# scenario_basic UFAM: two hosts, two pods each, twill mesh over the IPv4
# (UFAM=4) or IPv6 (6) underlay; ping, TCP and UDP between pods with IPv4
# and IPv6 inside; per-peer and link counters move, no drops.
scenario_basic() {
	local ufam=$1 fam a b before after rx_before rx_after r d sent
	a=$(ul_addr hostA "$ufam")
	b=$(ul_addr hostB "$ufam")

	step "topology: hostA, hostB (underlay IPv$ufam), 2 pods each, twill0 mesh"
	topo_hosts hostA hostB
	topo_pods hostA 2
	topo_pods hostB 2
	topo_twill_mesh "$ufam" hostA hostB
	show_twill hostA

	step "twill route get resolves the remote pods"
	check_ok "route get on A" nsx hostA "$TWILL" route get twill0 "$(pod4 hostB 1)"
	check_contains "$CHECK_OUT" "$b" "10.244.2.11 -> hostB's endpoint"
	check_ok "route get v6 on B" nsx hostB "$TWILL" route get twill0 "$(pod6 hostA 2)"
	check_contains "$CHECK_OUT" "$a" "fd00:244:0:1::12 -> hostA's endpoint"

	for fam in 4 6; do
		step "IPv$fam inside: ping pod <-> pod across hosts"
		before=$(peer_get hostA "$b" tx_packets)
		rx_before=$(peer_get hostB "$a" rx_packets)
		ping_ok podA1 "$(pod_addr hostB 1 "$fam")"
		sent=$PING_SENT
		ping_ok podB2 "$(pod_addr hostA 1 "$fam")"
		sent=$((sent + PING_RCVD))
		ping_ok podA2 "$(pod_addr hostB 2 "$fam")"
		sent=$((sent + PING_SENT))
		after=$(peer_get hostA "$b" tx_packets)
		rx_after=$(peer_get hostB "$a" rx_packets)
		# A -> B: A1's and A2's requests, the replies to B2 (all replied).
		check_eq "$after" $((before + sent)) "A: peer B tx_packets moved by the pings"
		check_eq "$rx_after" $((rx_before + sent)) "B: peer A rx_packets moved by the pings"

		step "IPv$fam inside: TCP (iperf3) both ways"
		before=$(peer_get hostB "$a" rx_bytes)
		iperf_tcp podA1 podB1 "$(pod_addr hostB 1 "$fam")"
		check_gt "$IPERF_RESULT" 0 "TCP A1 -> B1 bytes received"
		iperf_tcp podB2 podA2 "$(pod_addr hostA 2 "$fam")"
		check_gt "$IPERF_RESULT" 0 "TCP B2 -> A2 bytes received"
		after=$(peer_get hostB "$a" rx_bytes)
		check_gt "$after" $((before + 100000)) "B: peer A rx_bytes moved by TCP"

		step "IPv$fam inside: UDP (iperf3 -u)"
		iperf_udp podA2 podB1 "$(pod_addr hostB 1 "$fam")"
		check_gt "$IPERF_RESULT" 0 "UDP A2 -> B1 packets received"
		iperf_udp podB1 podA1 "$(pod_addr hostA 1 "$fam")"
		check_gt "$IPERF_RESULT" 0 "UDP B1 -> A1 packets received"
	done

	step "link counters (ip -s link) on twill0 and ul0"
	for r in hostA hostB; do
		check_gt "$(link_stat "$r" twill0 tx packets)" 100 "$r: twill0 tx packets"
		check_gt "$(link_stat "$r" twill0 rx packets)" 100 "$r: twill0 rx packets"
		check_gt "$(link_stat "$r" twill0 rx bytes)" 100000 "$r: twill0 rx bytes"
	done
	check_gt "$(peer_get hostA "$b" tx_bytes)" 100000 "A: peer B tx_bytes"
	check_gt "$(peer_get hostA "$b" rx_packets)" 100 "A: peer B rx_packets"
	check_gt "$(peer_get hostA "$b" last_rx)" 0 "A: peer B last_rx set"

	step "no drops for good traffic"
	for r in hostA hostB; do
		for d in spoofed unknown_peer bad_header bad_vni bad_inner loop; do
			check_eq "$(dev_drop "$r" "$d")" 0 "$r: drops $d"
		done
	done
	show_twill hostA
	show_twill hostB
}
