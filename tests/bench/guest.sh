#!/bin/sh
# shellcheck shell=dash
# In the VM: the datapath benchmark, then the control-plane one (one boot).
# Arguments: "dataplane", "controlplane" or both (default both); the
# environment (BENCH_*) is passed through by tests/bench/run.
d=$(dirname "$0")
parts=${*:-dataplane controlplane}
for p in $parts; do
	case $p in
	dataplane) sh "$d/dataplane.sh" ;;
	controlplane)
		# shellcheck disable=SC2086 # one argument per size
		sh "$d/controlplane.sh" ${BENCH_CP_SIZES:-}
		;;
	*) echo "guest.sh: unknown part $p" ;;
	esac
done
exit 0
