#!/bin/sh
# shellcheck shell=dash
# Flow expiry (issue 10).  Layout: tests/netns/natlib.sh; the server drops
# UDP to ports 30000-39999 (nft), so those flows stay unreplied.
#   - two TCP connections, one closed with FINs both ways, one reset:
#     their flows are closing / closed with at most 10 s left, and are
#     gone 20 s later;
#   - TWILL_NAT_EXPIRY_FLOWS (1,000; 200 on a debug kernel) unreplied UDP flows
#     from two pods (IPv4 and IPv6), and one answered echo: all listed as
#     unreplied with at most 30 s left; all still there 25 s after they
#     began (none goes early); then, within a minute, num_flows is back to
#     0, and flows_expired counts every flow flows_created counted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/natlib.sh"

N=${TWILL_NAT_EXPIRY_FLOWS:-$(scaled 1000 200)}
echo "   TWILL_NAT_EXPIRY_FLOWS=${TWILL_NAT_EXPIRY_FLOWS:-} (kernel ${TWILL_KERNEL:-?}): $N UDP flows"
HALF=$((N / 2))
N=$((HALF * 2))

step "topology; the server drops UDP to ports 30000-39999"
nat_topo 2 1
srv_start outside 8080
nsx outside nft -f - <<'NFT' || t_fail "nft in outside"
table inet sink {
	chain in {
		type filter hook input priority filter;
		udp dport 30000-39999 counter drop
	}
}
NFT
nat_on hostA
nat_mark hostA
t_tcp=$(date +%s)

step "TCP: one connection closed (FIN both ways), one reset"
out=$(nsx podA1 "$FLOWTOOL" connect "$SRV4" 8080) || t_fail "flowtool connect"
check_eq "$out" "ok=1 fail=0" "connection 1 (closed)"
out=$(nsx podA1 "$FLOWTOOL" connect -R "$SRV4" 8080) || t_fail "flowtool connect -R"
check_eq "$out" "ok=1 fail=0" "connection 2 (reset)"
sleep 1
text=$(nat_flows_text hostA)
printf '%s\n' "$text" | sed 's/^/   | /'
check_eq "$(printf '%s\n' "$text" | grep -c '^tcp ')" 2 "two TCP flows"
check_eq "$(printf '%s\n' "$text" | awk '$1 == "tcp" { t = $NF; sub(/s$/, "", t); if (t + 0 <= 10) n++ } END { print n + 0 }')" 2 \
	"both with at most 10 s left (FIN both ways / RST)"
check_contains "$text" "closed" "the reset one is closed"

step "$N unreplied UDP flows ($HALF IPv4 from podA1, $HALF IPv6 from podA2), one echo"
t_udp=$(date +%s)
check_ok "podA1: $HALF flows" nsx podA1 "$FLOWTOOL" udpflows -n "$HALF" "$SRV4" 30000
check_ok "podA2: $HALF flows" nsx podA2 "$FLOWTOOL" udpflows -n "$HALF" "$SRV6" 30000
ping_ok podA1 "$SRV4" 1
t_end=$(date +%s)
info "made in $((t_end - t_udp)) s"
text=$(nat_flows_text hostA)
check_eq "$(printf '%s\n' "$text" | grep -c '^udp .* unreplied ')" "$N" "$N unreplied UDP flows listed"
check_eq "$(printf '%s\n' "$text" | awk '$1 == "udp" { t = $NF; sub(/s$/, "", t); if (t + 0 <= 30 && t + 0 > 0) n++ } END { print n + 0 }')" "$N" \
	"each with at most 30 s left"
nat_expect hostA "flows made" tx_packets=+ rx_packets=+ flows_created=$((N + 3)) flows_expired='*'

step "20 s after the TCP flows: they are gone, every UDP flow is still there"
while [ "$(date +%s)" -lt $((t_tcp + 21)) ]; do sleep 1; done
[ "$(date +%s)" -lt $((t_udp + 25)) ] || t_fail "too slow: the UDP flows are $(($(date +%s) - t_udp)) s old already"
text=$(nat_flows_text hostA)
check_eq "$(printf '%s\n' "$text" | grep -c '^tcp ')" 0 "no TCP flow left"
check_eq "$(printf '%s\n' "$text" | grep -c '^udp ')" "$N" "all $N UDP flows left"
check_eq "$(nat_stat hostA flows_expired)" $((NAT_MARK_flows_expired + 2)) "flows_expired counted the 2 TCP flows"

step "the UDP and echo flows expire after 30 s: num_flows back to 0 within 60 s"
nf_zero() { [ "$(nat_get hostA num_flows)" = 0 ]; }
topo_wait 60 nf_zero || t_fail "num_flows is still $(nat_get hostA num_flows) $(($(date +%s) - t_end)) s after the last flow began"
gone=$(($(date +%s) - t_end))
info "ok: num_flows 0, $gone s after the last flow began"
check_ge "$gone" 25 "no flow went before its time"
check_eq "$(nat_flows_text hostA | grep -c .)" 0 "nat flows lists nothing"
nat_expect hostA "expiry" tx_packets=+ rx_packets=+ flows_created=$((N + 3)) flows_expired=$((N + 3))
klog_clean
echo "PASS: nat-expiry"
