#!/bin/sh
# shellcheck shell=dash
# Two hosts joined by twill over an IPv6 underlay, two pods each: ping, TCP
# and UDP between pods (IPv4 and IPv6 inside); counters move, nothing dropped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

scenario_basic 6
echo "PASS: dp-basic-ul6"
