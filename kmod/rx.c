// SPDX-License-Identifier: GPL-2.0
/*
 * Receive: UDP tunnel socket -> validate VXLAN header, peer (by outer
 * source address only: a kernel vxlan sender uses a hashed source port),
 * VNI, inner Ethernet type and IP header, inner source within that peer's
 * prefixes -> strip outer headers and the inner Ethernet header -> the
 * device's gro_cells.  The device is L3: no link-layer header is delivered.
 *
 * Every packet that reaches encap_rcv is consumed (delivered or dropped);
 * nothing is passed on to the UDP socket itself.
 */

#include <linux/etherdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/gro.h>
#include <net/gro_cells.h>
#include <net/inet_ecn.h>
#include <net/ip_tunnels.h>
#include <net/sock.h>
#include <net/udp_tunnel.h>
#include <net/vxlan.h>

#include "device.h"
#include "peer.h"
#include "rx.h"
#include "table.h"
#include "tx.h"

/* UDP + VXLAN + inner Ethernet, everything before the inner IP header. */
#define TWILL_RX_HLEN	(TWILL_VXLAN_HLEN + ETH_HLEN)

/* RFC 7348: the I flag and nothing else; reserved bits zero (no GBP/GPE). */
static bool vxlan_header_ok(const struct vxlanhdr *vxh)
{
	return vxh->vx_flags == VXLAN_HF_VNI &&
	       !(vxh->vx_vni & cpu_to_be32(0xff));
}

static u32 vxlan_header_vni(const struct vxlanhdr *vxh)
{
	return be32_to_cpu(vxh->vx_vni) >> 8;
}

static void rx_drop(struct twill_device *tdev, struct twill_peer *peer,
		    struct sk_buff *skb, enum twill_drop reason,
		    enum skb_drop_reason skb_reason)
{
	twill_device_count_drop(tdev, peer, reason);
	dev_core_stats_rx_dropped_inc(tdev->dev);
	kfree_skb_reason(skb, skb_reason);
}

/* The inner IPv4 header at skb->data; its first 20 bytes are linear. */
static bool inner4_ok(const struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	unsigned int len = ntohs(iph->tot_len);

	if (iph->version != 4 || iph->ihl < 5)
		return false;
	/* A GRO super-packet beyond 64 KiB (BIG TCP) has tot_len 0. */
	if (!len && skb_is_gso(skb))
		return true;
	return len >= iph->ihl * 4 && len <= skb->len;
}

/* The inner IPv6 header at skb->data, linear. */
static bool inner6_ok(const struct sk_buff *skb)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);

	return ip6h->version == 6 &&
	       sizeof(*ip6h) + ntohs(ip6h->payload_len) <= skb->len;
}

static void count_rx(struct twill_device *tdev, struct twill_peer *peer,
		     unsigned int len)
{
	struct twill_peer_stats *stats = this_cpu_ptr(peer->stats);
	u64 now;

	u64_stats_update_begin(&stats->syncp);
	u64_stats_inc(&stats->rx_packets);
	u64_stats_add(&stats->rx_bytes, len);
	u64_stats_update_end(&stats->syncp);
	dev_sw_netstats_rx_add(tdev->dev, len);

	/* Tick resolution is plenty; write the shared line once per tick. */
	now = ktime_get_coarse_real_ns();
	if (READ_ONCE(peer->last_rx_ns) != now)
		WRITE_ONCE(peer->last_rx_ns, now);
}

int twill_rx_encap_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct twill_device *tdev = rcu_dereference_sk_user_data(sk);
	const struct twill_config *cfg;
	struct twill_peer *peer = NULL;
	union twill_endpoint src;
	enum twill_drop reason;
	struct vxlanhdr *vxh;
	unsigned int ihlen;
	const void *saddr;
	bool outer_v4;
	void *oiph;
	__be16 proto;
	int family;
	int ecn;

	if (unlikely(!tdev)) {
		/* The socket is being released. */
		kfree_skb(skb);
		return 0;
	}

	if (unlikely(!pskb_may_pull(skb, TWILL_RX_HLEN))) {
		reason = TWILL_DROP_BAD_HEADER;
		goto drop;
	}
	vxh = (struct vxlanhdr *)(udp_hdr(skb) + 1);
	if (unlikely(!vxlan_header_ok(vxh))) {
		reason = TWILL_DROP_BAD_HEADER;
		goto drop;
	}

	memset(&src, 0, sizeof(src));
	outer_v4 = ip_hdr(skb)->version == 4;
	if (outer_v4) {
		src.addr4.sin_family = AF_INET;
		src.addr4.sin_addr.s_addr = ip_hdr(skb)->saddr;
	} else {
		src.addr6.sin6_family = AF_INET6;
		src.addr6.sin6_addr = ipv6_hdr(skb)->saddr;
	}
	peer = twill_peer_lookup_rcu(tdev, &src);
	if (unlikely(!peer)) {
		reason = TWILL_DROP_UNKNOWN_PEER;
		goto drop;
	}

	cfg = rcu_dereference(tdev->config);
	if (unlikely(vxlan_header_vni(vxh) != cfg->vni)) {
		reason = TWILL_DROP_BAD_VNI;
		goto drop;
	}

	proto = ((struct ethhdr *)(vxh + 1))->h_proto;
	if (proto == htons(ETH_P_IP)) {
		ihlen = sizeof(struct iphdr);
	} else if (proto == htons(ETH_P_IPV6)) {
		ihlen = sizeof(struct ipv6hdr);
	} else {
		reason = TWILL_DROP_BAD_PROTO;
		goto drop;
	}
	if (unlikely(!pskb_may_pull(skb, TWILL_RX_HLEN + ihlen))) {
		reason = TWILL_DROP_BAD_INNER;
		goto drop;
	}

	/*
	 * Pulls UDP, VXLAN and Ethernet, sets skb->protocol, drops the outer
	 * route and conntrack, and everything else that must not cross into
	 * another namespace if the device was moved away from the sockets.
	 */
	if (unlikely(__iptunnel_pull_header(skb, TWILL_RX_HLEN, proto, false,
					    !net_eq(sock_net(sk),
						    dev_net(tdev->dev))))) {
		reason = TWILL_DROP_NOMEM;
		goto drop;
	}
	oiph = skb_network_header(skb);
	skb_reset_network_header(skb);
	skb_reset_mac_header(skb);
	skb_reset_mac_len(skb);

	if (proto == htons(ETH_P_IP)) {
		if (unlikely(!inner4_ok(skb)))
			goto bad_inner;
		family = AF_INET;
		saddr = &ip_hdr(skb)->saddr;
	} else {
		if (unlikely(!inner6_ok(skb)))
			goto bad_inner;
		family = AF_INET6;
		saddr = &ipv6_hdr(skb)->saddr;
	}
	if (unlikely(twill_table_lookup(&tdev->table, family, saddr, NULL,
					NULL) != peer)) {
		reason = TWILL_DROP_SPOOFED;
		goto drop;
	}

	/* RFC 6040: copy CE inward; drop CE on a not-ECT inner packet. */
	if (outer_v4)
		ecn = IP_ECN_decapsulate(oiph, skb);
	else
		ecn = IP6_ECN_decapsulate(oiph, skb);
	if (unlikely(ecn > 1)) {
		rx_drop(tdev, peer, skb, TWILL_DROP_BAD_INNER,
			TWILL_COMPAT_DROP_ECN);
		return 0;
	}

	skb->dev = tdev->dev;
	skb->pkt_type = PACKET_HOST;
	count_rx(tdev, peer, skb->len);
	gro_cells_receive(&tdev->gro_cells, skb);
	return 0;

bad_inner:
	reason = TWILL_DROP_BAD_INNER;
drop:
	rx_drop(tdev, peer, skb, reason, twill_drop_skb_reason(reason));
	return 0;
}

/*
 * An ICMP error quoting one of our packets: claim it when it quotes a VXLAN
 * header with our VNI, so that the stack updates the underlay path MTU.
 */
int twill_rx_encap_err_lookup(struct sock *sk, struct sk_buff *skb)
{
	struct twill_device *tdev = rcu_dereference_sk_user_data(sk);
	const struct twill_config *cfg;
	const struct vxlanhdr *vxh;

	if (!tdev)
		return -ENOENT;
	if (!pskb_may_pull(skb, skb_transport_offset(skb) + TWILL_VXLAN_HLEN))
		return -EINVAL;
	vxh = (const struct vxlanhdr *)(udp_hdr(skb) + 1);
	if (!vxlan_header_ok(vxh))
		return -EINVAL;
	cfg = rcu_dereference(tdev->config);
	return vxlan_header_vni(vxh) == cfg->vni ? 0 : -ENOENT;
}

/*
 * GRO: like the vxlan device's, minus remote checksum offload and GPE.
 * Packets with other flags are flushed and meet their fate in encap_rcv.
 */
struct sk_buff *twill_rx_gro_receive(struct sock *sk, struct list_head *head,
				     struct sk_buff *skb)
{
	unsigned int off = skb_gro_offset(skb);
	const struct vxlanhdr *vxh, *vxh2;
	struct sk_buff *pp = NULL, *p;
	int flush = 1;

	vxh = skb_gro_header(skb, off + sizeof(*vxh), off);
	if (unlikely(!vxh) || !vxlan_header_ok(vxh))
		goto out;
	skb_gro_postpull_rcsum(skb, vxh, sizeof(*vxh));
	skb_gro_pull(skb, sizeof(*vxh));

	list_for_each_entry(p, head, list) {
		if (!NAPI_GRO_CB(p)->same_flow)
			continue;
		vxh2 = (const struct vxlanhdr *)(p->data + off);
		if (vxh->vx_flags != vxh2->vx_flags ||
		    vxh->vx_vni != vxh2->vx_vni)
			NAPI_GRO_CB(p)->same_flow = 0;
	}
	pp = call_gro_receive(eth_gro_receive, head, skb);
	flush = 0;
out:
	skb_gro_flush_final(skb, pp, flush);
	return pp;
}

int twill_rx_gro_complete(struct sock *sk, struct sk_buff *skb, int nhoff)
{
	/* skb->encapsulation is set: this sets the inner MAC header. */
	return eth_gro_complete(skb, nhoff + sizeof(struct vxlanhdr));
}
