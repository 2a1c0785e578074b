#!/bin/sh
# shellcheck shell=dash
# Two hosts joined by twill over an IPv4 underlay, two pods each: ping, TCP
# and UDP between pods (IPv4 and IPv6 inside); counters move, nothing dropped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

scenario_basic 4
echo "PASS: dp-basic-ul4"
