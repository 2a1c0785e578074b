#!/bin/sh
# shellcheck shell=dash
# make bench, control plane: the table's in-kernel lookup cost and memory,
# beside the kernel's own FIB on the same prefixes.
# Reloads the debug module with bench_table=1, which times 1M lookups of
# random addresses inside random prefixes (40% /24, 30% /32, 20% /25-/31,
# 10% /16-/23) at 1, 1k, 100k and 1M prefixes, and on a cluster's table
# (5,000 /24 pod subnets inside one /11 and 16 /32s), each time with
# twill's table and with fib_table_lookup() on a FIB table holding the
# same prefixes (routes via lo, added by the module through rtnetlink).
# Targets: twill's ns/lookup grows by less than 2x from 1k to 1M
# prefixes, and is at most the FIB's at every size.  Baselines: the same
# table at 1k prefixes, and the FIB, in the same boot.  The module's
# B/prefix column is its own count of nodes x object size plus the
# directory (no slab overhead), for reference: the measured memory per
# prefix, and its target, come from controlplane.sh.
# The module unloads only without twill devices (the control-plane part
# deleted its namespaces; this catches any left in the initial one).
# TW_IP: iproute2's ip as lib.sh found it (exported by controlplane.sh);
# busybox sh would run its own ip applet.
for dev in $("${TW_IP:?iproute2 ip not found}" -d -o link show | awk -F': ' '/ twill / { print $2 }'); do
	"$TW_IP" link del "${dev%@*}"
done
if ! rmmod twill || ! modprobe twill selftest=0 bench_table=1; then
	echo "table: could not reload twill with bench_table=1 (needs the debug build)"
	exit 0
fi
dmesg | grep 'table-bench set=' | tail -n 5 >/tmp/table-bench
# The FIB tables the module filled (0x74770000 + i) stay: this is the
# last part of the VM, and flushing a million routes with iproute2 takes
# longer than its flush gives itself (60 s: "Flush not completed").
echo
echo "== peer table (in-kernel, 1M lookups per size, inside random prefixes)"
printf '%-8s %-10s %10s %10s %12s %9s %9s\n' set prefixes "twill ns" "FIB ns" "twill/FIB" "met?" "B/prefix"
awk '{
	for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	# (no comparison inside the arguments of printf: awk reads ">" there as a
	# redirection)
	fib = "n/a"; r = "n/a"; ok = "n/a"
	if (v["fib_ns_per_lookup"] + 0 > 0) {
		fib = v["fib_ns_per_lookup"]
		r = sprintf("%.2f", v["ns_per_lookup"] / fib)
		ok = v["ns_per_lookup"] + 0 <= fib + 0 ? "yes" : "NO"
	}
	printf "%-8s %-10s %10s %10s %12s %9s %9s\n", v["set"], v["prefixes"], v["ns_per_lookup"], fib, r, ok, v["bytes_per_prefix"]
	if (ok == "yes") fib_met++
	if (ok == "NO") fib_missed++
	if (v["fib_misses"] > 0)
		printf "   (the FIB missed %s of the lookups: its figure is not comparable)\n", v["fib_misses"]
	if (v["set"] == "random" && v["prefixes"] >= 900 && v["prefixes"] <= 1100) k1 = v["ns_per_lookup"]
	if (v["set"] == "random" && v["prefixes"] >= 900000) m1 = v["ns_per_lookup"]
}
END {
	if (fib_met + fib_missed > 0)
		printf "twill at most the cost of the FIB at every size: %s (%d of %d)\n", fib_missed ? "MISSED" : "met", fib_met, fib_met + fib_missed
	if (k1 > 0 && m1 > 0)
		printf "lookup growth 1k -> 1M: %.1fx (target < 2.0x; baseline: 1k prefixes) %s\n", m1 / k1, m1 / k1 < 2 ? "met" : "MISSED"
}' /tmp/table-bench
# For tests/bench/run's results file (benchlib.sh: result): each size's
# lookup ns, twill's and (when the module measured it) the kernel FIB's;
# a realistic-cluster row (set=cluster) as lookup_cluster.
awk '{
	split("", v)
	for (i = 1; i <= NF; i++) { e = index($i, "="); if (e > 1) v[substr($i, 1, e - 1)] = substr($i, e + 1) }
	if (v["prefixes"] == "") next
	m = v["set"] != "" && v["set"] != "random" ? "lookup_" v["set"] : "lookup"
	if (v["ns_per_lookup"] != "")
		printf "RESULT part=controlplane config=twill metric=%s unit=ns size=%s values=%s\n", m, v["prefixes"], v["ns_per_lookup"]
	if (v["fib_ns_per_lookup"] + 0 > 0)
		printf "RESULT part=controlplane config=fib metric=%s unit=ns size=%s values=%s\n", m, v["prefixes"], v["fib_ns_per_lookup"]
	if (v["slab_bytes_per_prefix"] != "")
		printf "RESULT part=controlplane config=twill metric=%s unit=B size=%s values=%s\n", (m == "lookup" ? "objects_bytes_per_prefix" : "objects_bytes_per_prefix_" v["set"]), v["prefixes"], v["slab_bytes_per_prefix"]
}' /tmp/table-bench
