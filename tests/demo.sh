#!/bin/sh
# shellcheck shell=dash
# twill demo (make demo, in the VM): two hosts joined by twill, one pod on
# each; shows the configuration, pings across and runs a short iperf3.
. "$(dirname "$0")/netns/lib.sh"
. "$(dirname "$0")/netns/topo.sh"

banner() {
	echo
	echo "################################################################"
	echo "# $*"
	echo "################################################################"
}

run() { # HOST CMD...: show and run a command "on" a host
	local h=$1 shown rc=0
	shift
	shown=$*
	[ "$1" = "$IP" ] && shown="ip ${shown#"$IP" }"
	echo "[$h]# $shown"
	nsx "$h" "$@" >"$TOPO_TMP/out" 2>&1 || rc=$?
	sed 's/^/    /' "$TOPO_TMP/out"
	[ "$rc" = 0 ] || t_fail "the command above failed (exit $rc)"
}

banner "Two hosts on an underlay: hostA 192.0.2.1, hostB 192.0.2.2"
topo_hosts hostA hostB
topo_pods hostA 1
topo_pods hostB 1
echo "podA1 = 10.244.1.11 behind hostA, podB1 = 10.244.2.11 behind hostB"

banner "Create twill0 on each host"
for h in hostA hostB; do
	n=$(host_idx "$h")
	run "$h" "$IP" link add twill0 type twill
	run "$h" "$TWILL" set twill0 mac "$(twill_mac "$h")"
	run "$h" "$IP" addr add "10.244.$n.0/32" dev twill0
	run "$h" "$IP" link set twill0 up
	run "$h" "$IP" route add 10.244.0.0/16 dev twill0
done

banner "Tell each host about the other (one 'twill set' per peer)"
run hostA "$TWILL" set twill0 peer 192.0.2.2 mac "$(twill_mac hostB)" prefixes 10.244.2.0/24
run hostB "$TWILL" set twill0 peer 192.0.2.1 mac "$(twill_mac hostA)" prefixes 10.244.1.0/24
run hostA "$TWILL" route get twill0 10.244.2.11

banner "Ping podA1 -> podB1 across the overlay"
run podA1 "$PING" -c 4 -i 0.2 10.244.2.11

banner "iperf3 (3 seconds) podA1 -> podB1"
bg_in podB1 "$IPERF" -s -1 -p 5201 >/dev/null 2>&1
topo_wait 20 iperf_listening podB1 5201 || t_fail "iperf3 server did not start"
run podA1 "$IPERF" -c 10.244.2.11 -p 5201 -t 3 -f m

banner "twill show on hostA"
run hostA "$TWILL" show twill0
banner "twill show on hostB"
run hostB "$TWILL" show twill0
banner "Done"
