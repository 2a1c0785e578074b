#!/bin/sh
# Smoke test of the DKMS-built module (tests/vm/test boots it with --dkms):
# it is loaded, makes a device, shows it, deletes it, unloads and reloads.
. "$(dirname "$0")/../netns/lib.sh"

module_loaded || fail "the DKMS-built twill.ko is not loaded"
H=$(ns_new host)
ip -n "$H" link add twill0 type twill
assert_contains "$(ip -n "$H" -d link show twill0)" " twill "
ip -n "$H" link del twill0
! link_exists "$H" twill0 || fail "twill0 still there after delete"
rmmod twill
modprobe twill
echo "dkms smoke: ok"
