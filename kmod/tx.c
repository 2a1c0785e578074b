// SPDX-License-Identifier: GPL-2.0
/*
 * Transmit: inner IP packet -> longest-prefix match on its destination ->
 * peer -> inner Ethernet + VXLAN + UDP + outer IP, routed in the sockets'
 * namespace; or, for a direct peer on the underlay link, the inner packet
 * itself with the peer as next hop (xmit_direct()).  The wire format is
 * the kernel vxlan device's as flannel sets it up, so either end can be a
 * plain vxlan device.
 *
 * Everything here runs in ndo_start_xmit with BH disabled (RCU-bh reader).
 * The only per-packet work besides the lookup is header building; routes
 * come from the peer's dst_cache and GSO super-packets are encapsulated
 * once and segmented later, by the underlay device or the GSO layer.
 */

#include <linux/etherdevice.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/if_vlan.h>
#include <linux/jhash.h>
#include <linux/percpu.h>
#include <net/dst_cache.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ip_tunnels.h>
#include <net/neighbour.h>
#include <net/route.h>
#include <net/udp_tunnel.h>
#include <net/vxlan.h>

#include "device.h"
#include "peer.h"
#include "socket.h"
#include "table.h"
#include "tx.h"

/*
 * Nested transmits on one CPU (twill over twill, or a route that leads
 * back in).  The core stops queueless devices at 8 levels and
 * iptunnel_xmit() at its own limit; this keeps our own stack use bounded
 * and the drop visible as TWILL_DROP_LOOP.
 */
#define TWILL_XMIT_NEST_MAX	4
static DEFINE_PER_CPU(u8, twill_xmit_nest);

static void tx_drop(struct twill_device *tdev, struct twill_peer *peer,
		    struct sk_buff *skb, enum twill_drop reason)
{
	twill_device_count_drop(tdev, peer, reason);
	dev_core_stats_tx_dropped_inc(tdev->dev);
	kfree_skb_reason(skb, twill_drop_skb_reason(reason));
}

/*
 * Inner destination MAC for a peer without a configured VTEP MAC: locally
 * administered, unicast, 02:74 ("t") followed by the IPv4 endpoint address
 * (192.0.2.2 -> 02:74:c0:00:02:02) or by jhash(IPv6 address, seed
 * 0x7477696c), big endian.  Only twill receivers accept it: a kernel vxlan
 * peer needs its real MAC configured.
 */
static void peer_default_mac(const struct twill_peer *peer, u8 *mac)
{
	__be32 tail;

	if (peer->endpoint.addr.sa_family == AF_INET6)
		tail = cpu_to_be32(jhash(&peer->endpoint.addr6.sin6_addr,
					 sizeof(struct in6_addr), 0x7477696c));
	else
		tail = peer->endpoint.addr4.sin_addr.s_addr;
	mac[0] = 0x02;
	mac[1] = 0x74;
	memcpy(mac + 2, &tail, sizeof(tail));
}

/*
 * The outer TOS is part of the route key, as in vxlan.  A fixed TOS is
 * the device's, so the peer's cached route holds (a TOS change resets the
 * caches); a TOS inherited from each inner packet bypasses the cache.
 */
static bool cache_usable(const struct twill_config *cfg)
{
	return cfg->tos != 1;
}

static struct rtable *route4(struct twill_device *tdev,
			     struct twill_peer *peer, struct sock *sk,
			     const struct twill_config *cfg, u8 tos,
			     __be16 dport, __be32 *saddr)
{
	bool cache = cache_usable(cfg);
	struct flowi4 fl4;
	struct rtable *rt;

	rt = cache ? dst_cache_get_ip4(&peer->dst_cache, saddr) : NULL;
	if (likely(rt))
		return rt;

	memset(&fl4, 0, sizeof(fl4));
	twill_compat_flowi4_set_tos(&fl4, tos);
	fl4.daddr = peer->endpoint.addr4.sin_addr.s_addr;
	fl4.saddr = inet_sk(sk)->inet_saddr;	/* the bound local address */
	fl4.flowi4_oif = sk->sk_bound_dev_if;	/* the bound link */
	fl4.flowi4_mark = cfg->fwmark;
	fl4.flowi4_proto = IPPROTO_UDP;
	fl4.fl4_sport = inet_sk(sk)->inet_sport;
	fl4.fl4_dport = dport;
	rt = ip_route_output_flow(sock_net(sk), &fl4, sk);
	if (IS_ERR(rt))
		return rt;
	if (unlikely(rt->dst.dev == tdev->dev)) {
		ip_rt_put(rt);
		return ERR_PTR(-ELOOP);
	}
	if (cache)
		dst_cache_set_ip4(&peer->dst_cache, &rt->dst, fl4.saddr);
	*saddr = fl4.saddr;
	return rt;
}

static struct dst_entry *route6(struct twill_device *tdev,
				struct twill_peer *peer, struct sock *sk,
				const struct twill_config *cfg, u8 tos,
				__be16 dport, struct in6_addr *saddr)
{
	bool cache = cache_usable(cfg);
	struct dst_entry *dst;
	struct flowi6 fl6;

	dst = cache ? dst_cache_get_ip6(&peer->dst_cache, saddr) : NULL;
	if (likely(dst))
		return dst;

	memset(&fl6, 0, sizeof(fl6));
	fl6.daddr = peer->endpoint.addr6.sin6_addr;
	fl6.saddr = sk->sk_v6_rcv_saddr;
	fl6.flowlabel = ip6_make_flowinfo(tos & ~INET_ECN_MASK, 0);
	fl6.flowi6_oif = sk->sk_bound_dev_if;
	fl6.flowi6_mark = cfg->fwmark;
	fl6.flowi6_proto = IPPROTO_UDP;
	fl6.fl6_sport = inet_sk(sk)->inet_sport;
	fl6.fl6_dport = dport;
	/* IPv6 is built in on every supported kernel: no ipv6_stub. */
	dst = ip6_dst_lookup_flow(sock_net(sk), sk, &fl6, NULL);
	if (IS_ERR(dst))
		return dst;
	if (unlikely(dst->dev == tdev->dev)) {
		dst_release(dst);
		return ERR_PTR(-ELOOP);
	}
	if (cache)
		dst_cache_set_ip6(&peer->dst_cache, dst, &fl6.saddr);
	*saddr = fl6.saddr;
	return dst;
}

static bool fits_mtu(const struct sk_buff *skb, unsigned int mtu)
{
	if (skb_is_gso(skb))
		return skb_gso_validate_network_len(skb, mtu);
	return skb->len <= mtu;
}

/*
 * The packet does not fit the underlay path.  A DF IPv4 packet or an IPv6
 * packet gets ICMP "fragmentation needed" / "packet too big" so that path
 * MTU discovery works for local and forwarded senders alike (icmp_ndo_send()
 * is rate limited and made for this context), and is dropped.  Returns
 * false when the packet may go out anyway, fragmented by the outer IP.
 */
static bool too_big(struct sk_buff *skb, unsigned int mtu)
{
	if (skb->protocol == htons(ETH_P_IP)) {
		if (!(ip_hdr(skb)->frag_off & htons(IP_DF)) || mtu < 68)
			return false;
		skb_dst_update_pmtu_no_confirm(skb, mtu);
		icmp_ndo_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
			      htonl(mtu));
		return true;
	}
	if (mtu < IPV6_MIN_MTU)
		return false;
	skb_dst_update_pmtu_no_confirm(skb, mtu);
	icmpv6_ndo_send(skb, ICMPV6_PKT_TOOBIG, 0, mtu);
	return true;
}

static __be16 outer_df(const struct sk_buff *skb, const struct twill_config *cfg)
{
	switch (cfg->df) {
	case TWILL_DF_SET:
		return htons(IP_DF);
	case TWILL_DF_INHERIT:
		if (skb->protocol == htons(ETH_P_IPV6) ||
		    (ip_hdr(skb)->frag_off & htons(IP_DF)))
			return htons(IP_DF);
		return 0;
	default:
		return 0;
	}
}

/* The first four bytes of a TCP, UDP, UDP-Lite or SCTP header. */
static u32 l4_ports(const struct sk_buff *skb, unsigned int off, u8 proto)
{
	__be32 buf;
	const __be32 *ports;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP &&
	    proto != IPPROTO_UDPLITE && proto != IPPROTO_SCTP)
		return 0;
	ports = skb_header_pointer(skb, off, sizeof(buf), &buf);
	return ports ? (__force u32)*ports : 0;
}

/*
 * The flow hash behind the outer source port.  A packet forwarded from a
 * pod usually arrives without one, and rather than run the flow dissector
 * (as udp_flow_src_port() would) it is computed from the inner header at
 * hand: addresses, protocol and the ports of unfragmented packets, so that
 * all fragments of a datagram take one path.  make bench: 2% more small
 * packets per second.
 */
static u32 flow_hash(const struct sk_buff *skb)
{
	static u32 seed __read_mostly;
	u32 hash = skb_get_hash_raw(skb), ports = 0;

	if (hash)
		return hash;
	net_get_random_once(&seed, sizeof(seed));
	if (skb->protocol == htons(ETH_P_IP)) {
		const struct iphdr *iph = ip_hdr(skb);

		if (!(iph->frag_off & htons(IP_MF | IP_OFFSET)))
			ports = l4_ports(skb, iph->ihl * 4, iph->protocol);
		return jhash_3words((__force u32)iph->saddr,
				    (__force u32)iph->daddr ^ iph->protocol,
				    ports, seed);
	} else {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);

		ports = l4_ports(skb, sizeof(*ip6h), ip6h->nexthdr);
		return jhash_3words(ipv6_addr_hash(&ip6h->saddr),
				    ipv6_addr_hash(&ip6h->daddr) ^ ip6h->nexthdr,
				    ports ^ (__force u32)ip6_flowlabel(ip6h),
				    seed);
	}
}

/* As udp_flow_src_port(), but a one-port range means that port. */
static __be16 flow_src_port(const struct sk_buff *skb,
			    const struct twill_config *cfg)
{
	u32 hash = flow_hash(skb);

	/* Only the top bits pick the port: fold the low ones in. */
	hash ^= hash << 16;
	return htons((((u64)hash * (cfg->port_max - cfg->port_min + 1)) >> 32) +
		     cfg->port_min);
}

static void count_tx(struct twill_peer *peer, unsigned int len)
{
	struct twill_peer_stats *stats = this_cpu_ptr(peer->stats);

	u64_stats_update_begin(&stats->syncp);
	u64_stats_inc(&stats->tx_packets);
	u64_stats_add(&stats->tx_bytes, len);
	u64_stats_update_end(&stats->syncp);
}

/*
 * Direct routing (TWILL_PEER_A_DIRECT, TWILL_A_DIRECT auto) applies only
 * while the underlay route to the endpoint has no gateway: the peer must
 * be on the link to take its pods' packets as next hop.  Behind a router
 * it cannot be, and VXLAN still reaches it.  A route to one of our own
 * addresses (loopback) is no link either.
 */
static bool direct_usable(const struct twill_peer *peer,
			  const struct twill_config *cfg,
			  const struct dst_entry *dst, bool v6)
{
	if (!READ_ONCE(peer->direct) && cfg->direct != TWILL_DIRECT_AUTO)
		return false;
	if (dst->dev->flags & IFF_LOOPBACK)
		return false;
	if (v6)
		return !(container_of(dst, struct rt6_info, dst)->rt6i_flags &
			 RTF_GATEWAY);
	return !container_of(dst, struct rtable, dst)->rt_gw_family;
}

/*
 * Sends the inner packet itself out of the underlay device, with the
 * peer's address as link-layer next hop, as "ip route add PODNET via PEER"
 * would (flannel's DirectRouting); the peer's kernel routes it to its pod.
 * neigh_xmit() resolves the neighbour (ARP or ND for the endpoint, also
 * for a payload of the other family) and queues the packet meanwhile.
 * Consumes @dst; returns 0 when the skb was consumed, else the drop reason.
 */
static enum twill_drop xmit_direct(struct twill_device *tdev,
				   struct twill_peer *peer,
				   const struct twill_config *cfg,
				   struct dst_entry *dst, struct sk_buff *skb)
{
	const union twill_endpoint *ep = &peer->endpoint;
	struct net_device *link = dst->dev;
	unsigned int len = skb->len;
	int table = NEIGH_ARP_TABLE;
	const void *nexthop = &ep->addr4.sin_addr;

	if (unlikely(!fits_mtu(skb, dst_mtu(dst)))) {
		/* No outer header to fragment: too big is dropped. */
		too_big(skb, dst_mtu(dst));
		dst_release(dst);
		return TWILL_DROP_TOO_BIG;
	}
	if (ep->addr.sa_family == AF_INET6) {
		table = NEIGH_ND_TABLE;
		nexthop = &ep->addr6.sin6_addr;
	}
	/* As for VXLAN: no local state of the overlay side goes along. */
	skb_scrub_packet(skb, !net_eq(dev_net(link), dev_net(tdev->dev)));
	skb->mark = cfg->fwmark;
	if (unlikely(skb_cow_head(skb, LL_RESERVED_SPACE(link)))) {
		dst_release(dst);
		return TWILL_DROP_NOMEM;
	}
	skb->dev = link;
	count_tx(peer, len);
	dev_sw_netstats_tx_add(tdev->dev, 1, len);
	/* Always consumes the skb; a failed resolution is the link's drop. */
	neigh_xmit(table, link, nexthop, skb);
	dst_release(dst);
	return 0;
}

/*
 * Encapsulates @skb for @peer and sends it.  Returns 0 when the skb was
 * consumed, else the drop reason (the caller frees the skb).
 */
static enum twill_drop xmit_peer(struct twill_device *tdev,
				 struct twill_peer *peer,
				 const struct twill_config *cfg,
				 struct sk_buff *skb)
{
	bool v6 = peer->endpoint.addr.sa_family == AF_INET6;
	bool csum = v6 || cfg->udp_csum;
	unsigned int hlen, mtu, len = skb->len;
	struct in6_addr saddr6;
	struct twill_socket *ts;
	struct rtable *rt = NULL;
	struct dst_entry *dst;
	struct vxlanhdr *vxh;
	__be16 sport, dport;
	bool frag_ok = false;
	struct ethhdr *eth;
	struct sock *sk;
	__be32 saddr4;
	__be16 df;
	u8 tos, ttl;

	ts = v6 ? rcu_dereference_bh(tdev->sock6) : rcu_dereference_bh(tdev->sock4);
	if (unlikely(!ts))
		return TWILL_DROP_NO_ROUTE;
	sk = ts->sk;
	dport = v6 ? peer->endpoint.addr6.sin6_port :
		     peer->endpoint.addr4.sin_port;
	if (!dport)
		dport = htons(cfg->listen_port);

	tos = cfg->tos == 1 ? ip_tunnel_get_dsfield(ip_hdr(skb), skb) : cfg->tos;
	if (v6) {
		dst = route6(tdev, peer, sk, cfg, tos, dport, &saddr6);
		hlen = TWILL_ENCAP_HLEN6;
	} else {
		rt = route4(tdev, peer, sk, cfg, tos, dport, &saddr4);
		dst = IS_ERR(rt) ? ERR_CAST(rt) : &rt->dst;
		hlen = TWILL_ENCAP_HLEN4;
	}
	if (IS_ERR(dst)) {
		if (PTR_ERR(dst) == -ELOOP) {
			net_dbg_ratelimited("%s: route to %pISpc leads back into the device\n",
					    tdev->dev->name, &peer->endpoint.addr);
			return TWILL_DROP_LOOP;
		}
		return TWILL_DROP_NO_ROUTE;
	}
	if (direct_usable(peer, cfg, dst, v6))
		return xmit_direct(tdev, peer, cfg, dst, skb);

	mtu = dst_mtu(dst);
	mtu = mtu > hlen ? mtu - hlen : 0;
	if (unlikely(!fits_mtu(skb, mtu))) {
		if (too_big(skb, mtu)) {
			dst_release(dst);
			return TWILL_DROP_TOO_BIG;
		}
		frag_ok = true;
	}

	tos = ip_tunnel_ecn_encap(tos, ip_hdr(skb), skb);
	ttl = cfg->ttl;
	if (!ttl)
		ttl = v6 ? ip6_dst_hoplimit(dst) : ip4_dst_hoplimit(dst);
	df = frag_ok ? 0 : outer_df(skb, cfg);
	sport = flow_src_port(skb, cfg);

	/*
	 * Nothing of the inner packet's local state may leak into the outer
	 * one: route, conntrack and, in particular, the mark, which
	 * kube-proxy uses to select packets for masquerading.  The outer mark
	 * is the device's fwmark.
	 */
	skb_scrub_packet(skb, !net_eq(sock_net(sk), dev_net(tdev->dev)));
	skb->mark = cfg->fwmark;

	if (unlikely(skb_cow_head(skb, LL_RESERVED_SPACE(dst->dev) +
				  dst->header_len + hlen))) {
		dst_release(dst);
		return TWILL_DROP_NOMEM;
	}

	eth = skb_push(skb, ETH_HLEN);
	skb_reset_mac_header(skb);
	twill_peer_mac(peer, eth->h_dest);
	if (unlikely(is_zero_ether_addr(eth->h_dest)))
		peer_default_mac(peer, eth->h_dest);
	memcpy(eth->h_source, cfg->mac, ETH_ALEN);
	eth->h_proto = skb->protocol;

	/* Sets the inner headers at the Ethernet header just pushed. */
	if (unlikely(iptunnel_handle_offloads(skb, csum ? SKB_GSO_UDP_TUNNEL_CSUM :
							  SKB_GSO_UDP_TUNNEL))) {
		dst_release(dst);
		return TWILL_DROP_NOMEM;
	}
	vxh = __skb_push(skb, sizeof(*vxh));
	vxh->vx_flags = VXLAN_HF_VNI;
	vxh->vx_vni = cpu_to_be32(cfg->vni << 8);
	skb_set_inner_protocol(skb, htons(ETH_P_TEB));

	count_tx(peer, len);
	/* skb->dev stays ours: the helpers count tx_packets/bytes in tstats. */
	if (v6) {
		if (frag_ok)
			skb->ignore_df = 1;
		memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
		twill_compat_udp_tunnel6_xmit_skb(dst, sk, skb, tdev->dev,
						  &saddr6,
						  &peer->endpoint.addr6.sin6_addr,
						  tos, ttl, 0, sport, dport,
						  false);
	} else {
		twill_compat_udp_tunnel_xmit_skb(rt, sk, skb, saddr4,
						 peer->endpoint.addr4.sin_addr.s_addr,
						 tos, ttl, df, sport, dport,
						 false, !csum);
	}
	return 0;
}

netdev_tx_t twill_tx_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct twill_device *tdev = netdev_priv(dev);
	const struct twill_config *cfg;
	struct twill_peer *peer = NULL;
	enum twill_drop reason;

	if (unlikely(__this_cpu_read(twill_xmit_nest) >= TWILL_XMIT_NEST_MAX)) {
		net_warn_ratelimited("%s: too many nested transmits, routing loop?\n",
				     dev->name);
		reason = TWILL_DROP_LOOP;
		goto drop;
	}

	/* An L3 device: the packet starts with its IP header. */
	skb_reset_network_header(skb);
	cfg = rcu_dereference_bh(tdev->config);
	switch (skb->protocol) {
	case htons(ETH_P_IP):
		if (unlikely(!pskb_network_may_pull(skb, sizeof(struct iphdr)) ||
			     ip_hdr(skb)->version != 4))
			goto bad_proto;
		peer = twill_table_lookup(&tdev->table, AF_INET,
					  &ip_hdr(skb)->daddr, NULL, NULL);
		if (unlikely(!peer)) {
			icmp_ndo_send(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH,
				      0);
			goto no_peer;
		}
		break;
	case htons(ETH_P_IPV6):
		if (unlikely(!pskb_network_may_pull(skb, sizeof(struct ipv6hdr)) ||
			     ipv6_hdr(skb)->version != 6))
			goto bad_proto;
		peer = twill_table_lookup(&tdev->table, AF_INET6,
					  &ipv6_hdr(skb)->daddr, NULL, NULL);
		if (unlikely(!peer)) {
			icmpv6_ndo_send(skb, ICMPV6_DEST_UNREACH,
					ICMPV6_ADDR_UNREACH, 0);
			goto no_peer;
		}
		break;
	default:
		goto bad_proto;
	}

	__this_cpu_inc(twill_xmit_nest);
	reason = xmit_peer(tdev, peer, cfg, skb);
	__this_cpu_dec(twill_xmit_nest);
	if (likely(!reason))
		return NETDEV_TX_OK;
	goto drop;

no_peer:
	reason = TWILL_DROP_NO_PEER;
	goto drop;
bad_proto:
	reason = TWILL_DROP_BAD_PROTO;
drop:
	tx_drop(tdev, peer, skb, reason);
	return NETDEV_TX_OK;
}

void twill_tx_setup_features(struct net_device *dev)
{
	netdev_features_t features = NETIF_F_SG | NETIF_F_HW_CSUM |
				     NETIF_F_RXCSUM | NETIF_F_HIGHDMA |
				     NETIF_F_GSO_SOFTWARE;

	dev->features |= features;
	dev->hw_features |= features;
	dev->hw_enc_features |= features;
	/* ICMP errors and PMTU updates need the inner packet's route. */
	netif_keep_dst(dev);
	/*
	 * Room for the worst case (IPv6 underlay) plus an underlay link
	 * header with a VLAN tag, so that locally built packets need no
	 * reallocation; skb_cow_head() covers anything else.
	 */
	dev->needed_headroom = TWILL_ENCAP_HLEN6 + VLAN_ETH_HLEN;
}
