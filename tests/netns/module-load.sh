#!/bin/sh
# Module unload and load: rmmod removes every twill device in every
# namespace; insmod/modprobe bring the kind back.
. "$(dirname "$0")/lib.sh"

KO=/lib/modules/$(uname -r)/extra/twill.ko

step "unload and load with nothing created"
module_load
rmmod twill
! module_loaded || fail "twill still loaded after rmmod"
# With autoload barred, the kind is gone: a create is refused by the core
# as of an unknown kind (a kind left registered by rmmod would take it, into
# freed module memory).
mkdir -p /etc/modprobe.d
echo "install twill /bin/false" >/etc/modprobe.d/twill-block.conf
on_cleanup "rm -f /etc/modprobe.d/twill-block.conf"
expect_fail -x 2 -m "Unknown device type" ip link add twill0 type twill
! ip link show dev twill0 >/dev/null 2>&1 || fail "twill0 made after rmmod"
rm -f /etc/modprobe.d/twill-block.conf
# insmod does not load what twill.ko needs: modprobe those first.
deps=$(modinfo -F depends "$KO" | tr , ' ')
[ -z "$deps" ] || modprobe -a $deps
insmod "$KO" selftest=0
module_loaded || fail "twill not loaded after insmod"
# (insmod exits with the errno: 17, EEXIST)
expect_fail -x 17 -m "File exists" insmod "$KO" selftest=0

step "rmmod with devices alive in several namespaces"
A=$(ns_new a)
B=$(ns_new b)
C=$(ns_new c)
for ns in "$A" "$B" "$C"; do
	ip -n "$ns" link add twill0 type twill
	ip -n "$ns" link add twill1 type twill
	ip -n "$ns" link set twill0 up
done
ip link add twill9 type twill
on_cleanup "ip link del twill9 2>/dev/null"
rmmod twill
! module_loaded || fail "twill still loaded"
for ns in "$A" "$B" "$C"; do
	! link_exists "$ns" twill0 || fail "twill0 survived rmmod in $ns"
	! link_exists "$ns" twill1 || fail "twill1 survived rmmod in $ns"
done
! ip link show dev twill9 >/dev/null 2>&1 || fail "twill9 survived rmmod"

# (Once: every load of the debug build runs the in-kernel self-tests.)
step "load again, create, unload with the device alive"
modprobe twill
ip -n "$A" link add twill0 type twill
rmmod twill
! link_exists "$A" twill0 || fail "twill0 survived the second rmmod"
modprobe twill

module_loaded || fail "twill not loaded at the end"
