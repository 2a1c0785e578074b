#!/bin/sh
# Deleting a namespace removes its twill devices: no leak, no stuck
# unregister, and the module can still be removed afterwards.
. "$(dirname "$0")/lib.sh"

module_load
A=$(ns_new a)
B=$(ns_new b)
K=$(ns_new keep)

step "devices in three namespaces"
for ns in "$A" "$B" "$K"; do
	ip -n "$ns" link add twill0 type twill
	ip -n "$ns" link add twill1 type twill
	ip -n "$ns" link set twill0 up
done

step "delete two namespaces"
ip netns del "$A"
ip netns del "$B"
link_exists "$K" twill0 || fail "twill0 gone from the namespace that was kept"
link_exists "$K" twill1 || fail "twill1 gone from the namespace that was kept"

step "namespaces made and deleted in a loop"
for i in 1 2 3 4 5; do
	T=$(ns_new "loop$i")
	ip -n "$T" link add twill0 type twill
	ip -n "$T" link set twill0 up
	ip netns del "$T"
done

# Namespace cleanup runs in a workqueue: unloading waits for it, and must
# neither hang nor complain (the kernel log check catches "waiting for
# twill0 to become free" and leaks).
step "module unloads after the namespaces are gone"
rmmod twill
! link_exists "$K" twill0 || fail "twill0 survived rmmod"
modprobe twill
