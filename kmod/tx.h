/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Transmit path (ndo_start_xmit) and what the datapath shares: header sizes
 * and the mapping of twill's drop reasons to the kernel's.
 */
#ifndef _TWILL_TX_H
#define _TWILL_TX_H

#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <uapi/linux/twill.h>

/* UDP + VXLAN header. */
#define TWILL_VXLAN_HLEN	(sizeof(struct udphdr) + 8)
/* What encapsulation adds in front of an inner IP packet. */
#define TWILL_ENCAP_HLEN4	(sizeof(struct iphdr) + TWILL_VXLAN_HLEN + ETH_HLEN)
#define TWILL_ENCAP_HLEN6	(sizeof(struct ipv6hdr) + TWILL_VXLAN_HLEN + ETH_HLEN)

netdev_tx_t twill_tx_xmit(struct sk_buff *skb, struct net_device *dev);

/*
 * Offload features and headroom; called from the device's setup function.
 * TSO/GSO super-packets are encapsulated once and segmented below us.
 */
void twill_tx_setup_features(struct net_device *dev);

/* The generic skb drop reason closest to a twill one (see compat.h). */
static inline enum skb_drop_reason twill_drop_skb_reason(enum twill_drop reason)
{
	switch (reason) {
	case TWILL_DROP_NO_PEER:
		return TWILL_COMPAT_DROP_NO_TARGET;
	case TWILL_DROP_NO_ROUTE:
		return SKB_DROP_REASON_IP_OUTNOROUTES;
	case TWILL_DROP_TOO_BIG:
		return SKB_DROP_REASON_PKT_TOO_BIG;
	case TWILL_DROP_BAD_PROTO:
		return SKB_DROP_REASON_UNHANDLED_PROTO;
	case TWILL_DROP_NOMEM:
		return SKB_DROP_REASON_NOMEM;
	case TWILL_DROP_BAD_HEADER:
		return TWILL_COMPAT_DROP_BAD_HDR;
	case TWILL_DROP_BAD_VNI:
		return TWILL_COMPAT_DROP_BAD_VNI;
	case TWILL_DROP_SPOOFED:
		return SKB_DROP_REASON_IP_RPFILTER;
	case TWILL_DROP_BAD_INNER:
		return SKB_DROP_REASON_IP_INHDR;
	default:
		return SKB_DROP_REASON_NOT_SPECIFIED;
	}
}

#endif /* _TWILL_TX_H */
