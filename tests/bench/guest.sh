#!/bin/sh
# shellcheck shell=dash
# In the VM: the datapath benchmark, the control-plane one, the NAT one.
# Arguments: "dataplane", "controlplane", "nat" (default all three; each
# boot of tests/bench/run names one); the environment (BENCH_*) is passed
# through by tests/bench/run.
d=$(dirname "$0")
parts=${*:-dataplane controlplane nat}
for p in $parts; do
	case $p in
	dataplane) sh "$d/dataplane.sh" ;;
	nat) sh "$d/nat.sh" ;;
	controlplane)
		# shellcheck disable=SC2086 # one argument per size
		sh "$d/controlplane.sh" ${BENCH_CP_SIZES:-}
		;;
	*) echo "guest.sh: unknown part $p" ;;
	esac
done
exit 0
