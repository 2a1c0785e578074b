/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels twill supports, in one place, so that the
 * .c files read like in-tree code.  Force-included by Kbuild.  Prefer
 * feature checks; a version check only where no macro tells the difference.
 */
#ifndef _TWILL_COMPAT_H
#define _TWILL_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "twill supports Linux 6.1 and newer; this kernel is too old"
#endif

#ifdef __KERNEL__
#include <linux/netdevice.h>

/* 6.12 turned the LLTX feature bit into a private flag. */
#ifdef NETIF_F_LLTX
static inline void twill_compat_set_lltx(struct net_device *dev)
{
	dev->features |= NETIF_F_LLTX;
}
#else
static inline void twill_compat_set_lltx(struct net_device *dev)
{
	dev->lltx = true;
}
#endif

/*
 * 6.15 packed rtnl_link_ops::newlink()'s arguments into a struct.  No macro
 * marks the change, so this is one of the few version checks.  The macro
 * defines @name with the kernel's signature, calling
 * @fn(src_net, dev, data, extack).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0)
#define TWILL_COMPAT_NEWLINK(name, fn)					\
static int name(struct net_device *dev,					\
		struct rtnl_newlink_params *params,			\
		struct netlink_ext_ack *extack)				\
{									\
	return fn(params->src_net, dev, params->data, extack);		\
}
#else
#define TWILL_COMPAT_NEWLINK(name, fn)					\
static int name(struct net *src_net, struct net_device *dev,		\
		struct nlattr *tb[], struct nlattr *data[],		\
		struct netlink_ext_ack *extack)				\
{									\
	return fn(src_net, dev, data, extack);				\
}
#endif

/*
 * Formatted extack messages arrived in 6.2, with a buffer inside the
 * extack.  Before, the message must outlive the handler: format into a
 * small ring of buffers, which are reused only after many more errors than
 * can be in flight at once.
 */
#ifndef NL_SET_ERR_MSG_FMT
#include <linux/netlink.h>
#include <linux/atomic.h>
#define TWILL_COMPAT_EXTACK_RING 32
#define TWILL_COMPAT_EXTACK_LEN 96
static inline const char *twill_compat_extack_buf(void)
{
	static char ring[TWILL_COMPAT_EXTACK_RING][TWILL_COMPAT_EXTACK_LEN];
	static atomic_t next;

	return ring[(unsigned int)atomic_inc_return(&next) %
		    TWILL_COMPAT_EXTACK_RING];
}

#define NL_SET_ERR_MSG_FMT(extack, fmt, args...)			\
	do {								\
		struct netlink_ext_ack *__e = (extack);			\
		char *__b = (char *)twill_compat_extack_buf();		\
									\
		if (__e) {						\
			snprintf(__b, TWILL_COMPAT_EXTACK_LEN, fmt, ##args); \
			__e->_msg = __b;				\
		}							\
	} while (0)
#endif

/* 6.6 moved a dump's parsed attributes into a struct genl_info. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define twill_compat_dump_attrs(cb) (genl_info_dump(cb)->attrs)
#else
#define twill_compat_dump_attrs(cb) (genl_dumpit_info(cb)->attrs)
#endif

/* Since 6.7 a multicast group can require CAP_NET_ADMIN to join. */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define TWILL_COMPAT_MCGRP_FLAGS .flags = GENL_MCAST_CAP_NET_ADMIN,
#else
#define TWILL_COMPAT_MCGRP_FLAGS
#endif

/* ---- datapath (socket.c, tx.c, rx.c) -------------------------------- */

/*
 * 6.16 added IPCB/IP6CB flags to the UDP tunnel transmit helpers (for
 * multicast routing in vxlan's underlay).  No macro marks it.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
#define twill_compat_udp_tunnel_xmit_skb(rt, sk, skb, src, dst, tos, ttl, \
					 df, sport, dport, xnet, nocheck) \
	udp_tunnel_xmit_skb(rt, sk, skb, src, dst, tos, ttl, df, sport,	\
			    dport, xnet, nocheck, 0)
#define twill_compat_udp_tunnel6_xmit_skb(dst, sk, skb, dev, saddr, daddr, \
					  prio, ttl, label, sport, dport,  \
					  nocheck)			   \
	udp_tunnel6_xmit_skb(dst, sk, skb, dev, saddr, daddr, prio, ttl,	\
			     label, sport, dport, nocheck, 0)
#else
#define twill_compat_udp_tunnel_xmit_skb udp_tunnel_xmit_skb
#define twill_compat_udp_tunnel6_xmit_skb udp_tunnel6_xmit_skb
#endif

/*
 * Later kernels (7.3 has it, 6.12 does not; the exact release is not pinned
 * down, only the supported kernels matter) pass struct sock, not struct
 * socket, to the UDP tunnel socket setup and release helpers.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 19, 0)
#define twill_compat_setup_udp_tunnel_sock(net, sock, cfg)		\
	setup_udp_tunnel_sock(net, (sock)->sk, cfg)
#define twill_compat_udp_tunnel_sock_release(sock)			\
	udp_tunnel_sock_release((sock)->sk)
#else
#define twill_compat_setup_udp_tunnel_sock setup_udp_tunnel_sock
#define twill_compat_udp_tunnel_sock_release udp_tunnel_sock_release
#endif

/*
 * Generic skb drop reasons closest to twill's own (enum twill_drop).  6.12
 * has tunnel-specific ones; drop reasons are enum values, not macros, so
 * this is a version check.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#define TWILL_COMPAT_DROP_NO_TARGET	SKB_DROP_REASON_NO_TX_TARGET
#define TWILL_COMPAT_DROP_BAD_HDR	SKB_DROP_REASON_VXLAN_INVALID_HDR
#define TWILL_COMPAT_DROP_BAD_VNI	SKB_DROP_REASON_VXLAN_VNI_NOT_FOUND
#define TWILL_COMPAT_DROP_ECN		SKB_DROP_REASON_IP_TUNNEL_ECN
#else
#define TWILL_COMPAT_DROP_NO_TARGET	SKB_DROP_REASON_IP_OUTNOROUTES
#define TWILL_COMPAT_DROP_BAD_HDR	SKB_DROP_REASON_UNHANDLED_PROTO
#define TWILL_COMPAT_DROP_BAD_VNI	SKB_DROP_REASON_NOT_SPECIFIED
#define TWILL_COMPAT_DROP_ECN		SKB_DROP_REASON_IP_INHDR
#endif

/* ---- end of datapath block ------------------------------------------- */

#endif /* __KERNEL__ */
#endif /* _TWILL_COMPAT_H */
