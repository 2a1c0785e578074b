#!/bin/sh
# ip link add ... type twill loads the module when it is not loaded
# (MODULE_ALIAS_RTNL_LINK("twill") + depmod'ed /lib/modules/REL/extra).
. "$(dirname "$0")/lib.sh"

H=$(ns_new host)
module_unload
! module_loaded || fail "could not unload twill"

step "ip link add autoloads twill"
ip -n "$H" link add twill0 type twill
module_loaded || fail "twill not loaded by ip link add"
assert_eq "$(link_kind "$H" twill0)" twill "kind of twill0"
ip -n "$H" link del twill0
