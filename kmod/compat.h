/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels twill supports, in one place, so that the
 * .c files read like in-tree code.  Force-included by Kbuild.
 *
 * No kernel version decides anything here (only the floor below): stable
 * and distribution kernels take interface changes at releases of their own
 * (the UDP tunnel socket helpers changed between 7.1.4 and 7.1.5).  Each
 * difference is told apart by a macro the kernel defines, by the type of
 * the kernel's own declaration (_Generic, __builtin_types_compatible_p), or
 * by a TWILL_HAVE_* probe that Kbuild greps from the kernel's headers.  A
 * probe's choice is checked against the declaration's type where C can, so
 * a probe that misreads a header fails the build instead of miscompiling.
 */
#ifndef _TWILL_COMPAT_H
#define _TWILL_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "twill supports Linux 6.1 and newer; this kernel is too old"
#endif

#ifdef __KERNEL__
#include <linux/build_bug.h>
#include <linux/netdevice.h>

/*
 * The core allocates and counts the device's tstats (pcpu_stat_type):
 * upstream since 6.7, in 6.1 stable since 6.1.120 (Debian's bookworm
 * kernels have it).  Earlier 6.1 releases are not supported.
 */
#ifndef TWILL_HAVE_PCPU_STAT_TYPE
#error "twill needs net_device::pcpu_stat_type (Linux 6.7, 6.1.120 or later)"
#endif

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
 * 6.15 packed rtnl_link_ops::newlink()'s arguments into a struct
 * (TWILL_HAVE_RTNL_NEWLINK_PARAMS).  The macro defines @name with the
 * kernel's signature, calling @fn(link_net, dev, data, extack), where
 * link_net is the namespace the device's sockets belong to, as WireGuard
 * takes its creating_net: IFLA_LINK_NETNSID's namespace if given, else the
 * requester's.  Before 6.15 rtnetlink passes exactly that as src_net
 * ("link_net ? : net" in rtnl_newlink_create(), 6.1 to 6.14); since, it is
 * rtnl_newlink_link_net(params).  The static_assert checks the probe's
 * choice against rtnl_link_ops::newlink.
 */
#ifdef TWILL_HAVE_RTNL_NEWLINK_PARAMS
#include <net/rtnetlink.h>
static inline struct net *
twill_compat_newlink_link_net(struct rtnl_newlink_params *params)
{
#ifdef TWILL_HAVE_RTNL_NEWLINK_LINK_NET
	return rtnl_newlink_link_net(params);
#else
	return params->link_net ? : params->src_net;
#endif
}

#define TWILL_COMPAT_NEWLINK(name, fn)					\
static int name(struct net_device *dev,					\
		struct rtnl_newlink_params *params,			\
		struct netlink_ext_ack *extack)				\
{									\
	return fn(twill_compat_newlink_link_net(params), dev,		\
		  params->data, extack);				\
}									\
static_assert(__builtin_types_compatible_p(				\
	typeof(((struct rtnl_link_ops *)NULL)->newlink),		\
	int (*)(struct net_device *, struct rtnl_newlink_params *,	\
		struct netlink_ext_ack *)))
#else
#define TWILL_COMPAT_NEWLINK(name, fn)					\
static int name(struct net *link_net, struct net_device *dev,		\
		struct nlattr *tb[], struct nlattr *data[],		\
		struct netlink_ext_ack *extack)				\
{									\
	return fn(link_net, dev, data, extack);				\
}									\
static_assert(__builtin_types_compatible_p(				\
	typeof(((struct rtnl_link_ops *)NULL)->newlink),		\
	int (*)(struct net *, struct net_device *, struct nlattr *[],	\
		struct nlattr *[], struct netlink_ext_ack *)))
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

/*
 * 6.6 moved a dump's parsed attributes into a struct genl_info
 * (TWILL_HAVE_GENL_INFO_DUMP).
 */
#ifdef TWILL_HAVE_GENL_INFO_DUMP
#define twill_compat_dump_attrs(cb) (genl_info_dump(cb)->attrs)
#else
#define twill_compat_dump_attrs(cb) (genl_dumpit_info(cb)->attrs)
#endif

/*
 * Joining twill's events group needs CAP_NET_ADMIN: the group's
 * GENL_MCAST_CAP_NET_ADMIN flag (upstream 6.7, in stable 6.1.68 and 6.6.5;
 * every kernel twill builds on has it).  Without the flag no kernel offers
 * a hook to refuse the join: genl_family::mcast_bind was removed before
 * 6.1, and the bind(int mcgrp) callback of 6.7 and later cannot refuse
 * (genl_bind() ignores its return value).  So such kernels are refused
 * here rather than leak events to unprivileged readers.  (Its header is
 * included here: this file comes first, and an #ifdef on a macro of a
 * header not yet included is always false.)
 */
#include <net/genetlink.h>
#ifndef GENL_MCAST_CAP_NET_ADMIN
#error "twill needs GENL_MCAST_CAP_NET_ADMIN (Linux 6.7, 6.1.68, 6.6.5 or later)"
#endif
#define TWILL_COMPAT_MCGRP_FLAGS .flags = GENL_MCAST_CAP_NET_ADMIN,

/* ---- datapath (socket.c, tx.c, rx.c) -------------------------------- */

/*
 * 6.16 added IPCB/IP6CB flags to the UDP tunnel transmit helpers (for
 * multicast routing in vxlan's underlay): TWILL_HAVE_UDP_TUNNEL_IPCB_FLAGS.
 * A wrong probe cannot go unnoticed: a call with one argument too many or
 * too few does not compile.
 */
#ifdef TWILL_HAVE_UDP_TUNNEL_IPCB_FLAGS
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
 * The UDP tunnel socket helpers take struct sock instead of struct socket
 * in 7.x (and in stable releases of their own, e.g. 7.1.5 but not 7.1.4).
 * The argument is chosen by the type of the helper itself; a kernel with a
 * third signature matches neither association and fails to build.
 */
static inline struct socket *twill_compat_socket(struct socket *sock)
{
	return sock;
}

static inline struct sock *twill_compat_socket_sk(struct socket *sock)
{
	return sock->sk;
}

#define twill_compat_udp_tunnel_sk(helper, usock, sock_fn_t, sk_fn_t)	\
	_Generic(&(helper),						\
		 sock_fn_t : twill_compat_socket,			\
		 sk_fn_t : twill_compat_socket_sk)(usock)

#define twill_compat_setup_udp_tunnel_sock(netns, usock, cfg)		\
	setup_udp_tunnel_sock(netns, twill_compat_udp_tunnel_sk(	\
		setup_udp_tunnel_sock, usock,				\
		void (*)(struct net *, struct socket *,			\
			 struct udp_tunnel_sock_cfg *),			\
		void (*)(struct net *, struct sock *,			\
			 struct udp_tunnel_sock_cfg *)), cfg)
#define twill_compat_udp_tunnel_sock_release(usock)			\
	udp_tunnel_sock_release(twill_compat_udp_tunnel_sk(		\
		udp_tunnel_sock_release, usock,				\
		void (*)(struct socket *), void (*)(struct sock *)))
#define twill_compat_udp_tunnel_notify_add_rx_port(usock, type)		\
	udp_tunnel_notify_add_rx_port(twill_compat_udp_tunnel_sk(	\
		udp_tunnel_notify_add_rx_port, usock,			\
		void (*)(struct socket *, unsigned short),		\
		void (*)(struct sock *, unsigned short)), type)
#define twill_compat_udp_tunnel_notify_del_rx_port(usock, type)		\
	udp_tunnel_notify_del_rx_port(twill_compat_udp_tunnel_sk(	\
		udp_tunnel_notify_del_rx_port, usock,			\
		void (*)(struct socket *, unsigned short),		\
		void (*)(struct sock *, unsigned short)), type)

/*
 * Generic skb drop reasons closest to twill's own (enum twill_drop), the
 * tunnel-specific ones where the kernel has them (6.10 and later).  Drop
 * reasons are enum values, not macros: Kbuild probes for each
 * (TWILL_HAVE_DROP_*).
 */
#ifdef TWILL_HAVE_DROP_NO_TX_TARGET
#define TWILL_COMPAT_DROP_NO_TARGET	SKB_DROP_REASON_NO_TX_TARGET
#else
#define TWILL_COMPAT_DROP_NO_TARGET	SKB_DROP_REASON_IP_OUTNOROUTES
#endif
#ifdef TWILL_HAVE_DROP_VXLAN_INVALID_HDR
#define TWILL_COMPAT_DROP_BAD_HDR	SKB_DROP_REASON_VXLAN_INVALID_HDR
#else
#define TWILL_COMPAT_DROP_BAD_HDR	SKB_DROP_REASON_UNHANDLED_PROTO
#endif
#ifdef TWILL_HAVE_DROP_VXLAN_VNI_NOT_FOUND
#define TWILL_COMPAT_DROP_BAD_VNI	SKB_DROP_REASON_VXLAN_VNI_NOT_FOUND
#else
#define TWILL_COMPAT_DROP_BAD_VNI	SKB_DROP_REASON_NOT_SPECIFIED
#endif
#ifdef TWILL_HAVE_DROP_IP_TUNNEL_ECN
#define TWILL_COMPAT_DROP_ECN		SKB_DROP_REASON_IP_TUNNEL_ECN
#else
#define TWILL_COMPAT_DROP_ECN		SKB_DROP_REASON_IP_INHDR
#endif

/*
 * 7.x keys IPv4 routes on a dscp_t (flowi4_dscp) instead of a TOS byte;
 * both are macros naming the field.
 */
#include <net/flow.h>
#ifdef flowi4_dscp
#include <net/inet_dscp.h>
#define twill_compat_flowi4_set_tos(fl4, tos)				\
	((fl4)->flowi4_dscp = inet_dsfield_to_dscp(tos))
#else
#define twill_compat_flowi4_set_tos(fl4, tos)				\
	((fl4)->flowi4_tos = RT_TOS(tos))
#endif

/* ---- end of datapath block ------------------------------------------- */

#endif /* __KERNEL__ */
#endif /* _TWILL_COMPAT_H */
