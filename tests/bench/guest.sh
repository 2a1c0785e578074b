#!/bin/sh
# shellcheck shell=dash
# In the VM: the datapath benchmark, the control-plane one, the NAT one, the
# service one, the cluster agent's one.  Arguments: "dataplane",
# "controlplane", "nat", "svc", "agent" (default all five; each boot of
# tests/bench/run names one); the environment (BENCH_*) is passed through
# by tests/bench/run.  Exits 1 when a part failed (not on a missed target:
# a part fails only when something other than a measurement went wrong,
# and says what).
d=$(dirname "$0")
parts=${*:-dataplane controlplane nat svc agent}
rc=0
for p in $parts; do
	case $p in
	dataplane) sh "$d/dataplane.sh" || rc=1 ;;
	nat) sh "$d/nat.sh" || rc=1 ;;
	svc) sh "$d/svc.sh" || rc=1 ;;
	agent) sh "$d/agent.sh" || rc=1 ;;
	controlplane)
		# shellcheck disable=SC2086 # one argument per size
		sh "$d/controlplane.sh" ${BENCH_CP_SIZES:-} || rc=1
		;;
	*)
		echo "guest.sh: unknown part $p"
		rc=1
		;;
	esac
done
exit $rc
