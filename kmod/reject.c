// SPDX-License-Identifier: GPL-2.0
/*
 * Refusals: a TCP segment to a service without backends is answered with
 * a reset, anything else with ICMP port unreachable, both from the address
 * the client reached (kube-proxy's REJECT; Cilium answers alike).
 *
 * A reset rather than ICMP for TCP because of when it is taken: the
 * client's SYN often reaches this hook while connect() still holds its
 * socket (a host process's LOCAL_OUT; a pod's veth, whose packet is
 * received in the same softirq run).  An ICMP error that meets a held
 * socket is only a soft error and the SYN is sent once more, a second
 * later; a reset waits in the socket's backlog and ends connect() with
 * ECONNREFUSED as soon as the socket is released.
 *
 * Both answers are routed from scratch towards the client (before routing
 * the packet has no route of its own to read).
 */

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/tcp.h>

#include "reject.h"

/*
 * The reset's sequence numbers (RFC 9293 3.10.7.1): the segment's
 * acknowledgment if it had one, else an acknowledgment of all it carried.
 * False for a reset (never answered) or a header that is not all there.
 */
static bool reset_fill(const struct sk_buff *skb, u32 l4off,
		       struct tcphdr *th)
{
	const struct tcphdr *oth;
	struct tcphdr _oth;
	u32 hlen, len;

	oth = skb_header_pointer(skb, l4off, sizeof(_oth), &_oth);
	if (!oth || oth->rst)
		return false;
	hlen = oth->doff * 4;
	if (hlen < sizeof(*oth) || skb->len < l4off + hlen)
		return false;
	len = skb->len - l4off - hlen;

	memset(th, 0, sizeof(*th));
	th->source = oth->dest;
	th->dest = oth->source;
	th->doff = sizeof(*th) / 4;
	th->rst = 1;
	if (oth->ack) {
		th->seq = oth->ack_seq;
	} else {
		th->ack = 1;
		th->ack_seq = htonl(ntohl(oth->seq) + oth->syn + oth->fin + len);
	}
	return true;
}

/* An skb for a reset over @dst (taken over: released on failure). */
static struct sk_buff *reset_alloc(struct dst_entry *dst, u32 nhlen)
{
	u32 room = LL_RESERVED_SPACE(dst->dev) + dst->header_len;
	struct sk_buff *nskb;

	nskb = alloc_skb(room + nhlen + sizeof(struct tcphdr), GFP_ATOMIC);
	if (!nskb) {
		dst_release(dst);
		return NULL;
	}
	skb_reserve(nskb, room);
	skb_dst_set(nskb, dst);
	skb_reset_network_header(nskb);
	skb_put(nskb, nhlen);
	skb_set_transport_header(nskb, nhlen);
	return nskb;
}

static void reset4(struct net *net, struct sk_buff *skb, u32 l4off)
{
	const struct iphdr *oiph = ip_hdr(skb);
	struct flowi4 fl4 = {
		.daddr = oiph->saddr,
		.flowi4_proto = IPPROTO_TCP,
	};
	struct sk_buff *nskb;
	struct iphdr *iph;
	struct tcphdr *th;
	struct rtable *rt;
	struct tcphdr rst;

	if (!reset_fill(skb, l4off, &rst))
		return;
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return;
	nskb = reset_alloc(&rt->dst, sizeof(*iph));
	if (!nskb)
		return;
	nskb->protocol = htons(ETH_P_IP);
	iph = ip_hdr(nskb);
	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->frag_off = htons(IP_DF);
	iph->ttl = ip4_dst_hoplimit(&rt->dst);
	iph->protocol = IPPROTO_TCP;
	iph->saddr = oiph->daddr;
	iph->daddr = oiph->saddr;
	th = skb_put_data(nskb, &rst, sizeof(rst));
	th->check = tcp_v4_check(sizeof(*th), iph->saddr, iph->daddr,
				 csum_partial(th, sizeof(*th), 0));
	nskb->ip_summed = CHECKSUM_NONE;
	/* ip_local_out() sets the total length and the header checksum. */
	ip_local_out(net, NULL, nskb);
}

static void reset6(struct net *net, struct sk_buff *skb, u32 l4off)
{
	const struct ipv6hdr *oip6h = ipv6_hdr(skb);
	struct flowi6 fl6 = {
		.daddr = oip6h->saddr,
		.flowi6_proto = IPPROTO_TCP,
	};
	struct dst_entry *dst;
	struct ipv6hdr *ip6h;
	struct sk_buff *nskb;
	struct tcphdr *th;
	struct tcphdr rst;

	if (!reset_fill(skb, l4off, &rst))
		return;
	dst = ip6_route_output(net, NULL, &fl6);
	if (dst->error) {
		dst_release(dst);
		return;
	}
	nskb = reset_alloc(dst, sizeof(*ip6h));
	if (!nskb)
		return;
	nskb->protocol = htons(ETH_P_IPV6);
	ip6h = ipv6_hdr(nskb);
	ip6_flow_hdr(ip6h, 0, 0);
	ip6h->nexthdr = IPPROTO_TCP;
	ip6h->hop_limit = ip6_dst_hoplimit(dst);
	ip6h->saddr = oip6h->daddr;
	ip6h->daddr = oip6h->saddr;
	th = skb_put_data(nskb, &rst, sizeof(rst));
	th->check = csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, sizeof(*th),
				    IPPROTO_TCP,
				    csum_partial(th, sizeof(*th), 0));
	nskb->ip_summed = CHECKSUM_NONE;
	/* ip6_local_out() sets the payload length. */
	ip6_local_out(net, NULL, nskb);
}

/* @local: a host process's packet, routed already (to us). */
static void unreach4(struct net *net, struct sk_buff *skb, bool local)
{
	struct flowi4 fl4 = { .daddr = ip_hdr(skb)->saddr };
	struct rtable *rt;

	if (!local) {
		rt = ip_route_output_key(net, &fl4);
		if (IS_ERR(rt))
			return;
		skb_dst_drop(skb);
		skb_dst_set(skb, &rt->dst);
	}
	icmp_send(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
}

static void unreach6(struct net *net, struct sk_buff *skb, bool local)
{
	struct flowi6 fl6 = { .daddr = ipv6_hdr(skb)->saddr };
	struct dst_entry *dst;

	if (local) {
		/* icmpv6_send() finds the namespace through the device. */
		if (!skb->dev)
			skb->dev = net->loopback_dev;
	} else {
		dst = ip6_route_output(net, NULL, &fl6);
		if (dst->error) {
			dst_release(dst);
			return;
		}
		skb_dst_drop(skb);
		skb_dst_set(skb, dst);
	}
	icmpv6_send(skb, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0);
}

/*
 * Answer @skb, a new flow's first packet that no backend takes (@l4off:
 * its transport header, from skb->data).  The caller drops @skb; it may
 * have its route replaced.  Rate limits are ICMP's own; a reset is sent
 * once for each segment, as the client's stack sends them.
 */
void twill_reject(struct net *net, struct sk_buff *skb, int family,
		  u8 proto, u32 l4off, bool local)
{
	if (family == AF_INET && proto == IPPROTO_TCP)
		reset4(net, skb, l4off);
	else if (family == AF_INET)
		unreach4(net, skb, local);
	else if (proto == IPPROTO_TCP)
		reset6(net, skb, l4off);
	else
		unreach6(net, skb, local);
}
