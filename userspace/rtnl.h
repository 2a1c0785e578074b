/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtnetlink: links, addresses and routes of the current network namespace
 * (the CLI's device lookups, the node agent's device, the CNI plugin's
 * veths).  The requests return 0, or -1 with tw_errmsg saying what failed
 * and errno set to the kernel's error.
 */
#ifndef TWILL_RTNL_H
#define TWILL_RTNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "model.h"

/* In netlink.c, beside the generic netlink I/O they share: */

/* What the helpers below know of a link. */
struct tw_link {
	uint32_t ifindex;
	uint32_t mtu;
	unsigned int flags;	/* IFF_* */
	char name[IFNAMSIZ];
	char kind[32];		/* "twill", "veth", "" if none */
	uint8_t mac[TW_MAC_LEN];
};

/* 0: found, 1: no such link (tw_errmsg says so), -1: error. */
int link_get(const char *ifname, struct tw_link *l);
/*
 * rtnetlink: the ifindex and link kind ("twill", "veth", "" if none) of an
 * interface; -1 with a message if it does not exist.
 */
int link_kind(const char *ifname, uint32_t *ifindex, char *kind, size_t len);
/* The names of all twill interfaces, sorted by ifindex. */
int list_twill_links(char (**names)[IFNAMSIZ], size_t *count);
/*
 * Sends one rtnetlink request (RTM_NEWLINK, RTM_NEWADDR, ...) and waits
 * for its ack; -1 with the kernel's message, errno set to its error.
 */
int rtnl_request(struct nlmsghdr *nlh);
/*
 * Sends a request (a dump if it is an RTM_GET* with NLM_F_DUMP; anything
 * else waits for its ack) and calls cb for every message of the answer;
 * -1 with the kernel's message, errno set.
 */
int rtnl_dump(struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/* In rtnl.c: */

/* Sets the link up (or down) and, if mtu is not 0, its MTU. */
int rtnl_link_set(uint32_t ifindex, bool up, uint32_t mtu);
int rtnl_link_del(uint32_t ifindex);
/*
 * A veth pair: `name` here, `peer` in the namespace netns_fd (-1: here),
 * both with this MTU (0: the default).  Refused if either name exists.
 */
int rtnl_veth_add(const char *name, const char *peer, int netns_fd,
		  uint32_t mtu);
/* Adds (or replaces) a/plen on the link; IFA_F_* flags (IFA_F_NODAD). */
int rtnl_addr_add(uint32_t ifindex, const struct tw_addr *a, uint8_t plen,
		  uint32_t flags);
/* Removes a/plen from the link. */
int rtnl_addr_del(uint32_t ifindex, const struct tw_addr *a, uint8_t plen);
/*
 * Adds (or replaces) a route to dst/plen in the main table, through gw if
 * it is not NULL (or family 0), out of the link; scope RT_SCOPE_*.
 */
int rtnl_route_add(uint32_t ifindex, const struct tw_addr *dst, uint8_t plen,
		   const struct tw_addr *gw, uint8_t scope);

/* An address or a route as a dump shows it. */
struct tw_rtnl_entry {
	uint32_t ifindex;
	struct tw_addr addr;	/* address, or route destination */
	uint8_t plen;
	struct tw_addr gw;	/* routes: family 0 if none */
};

/* The addresses (RTM_GETADDR) of a family (AF_UNSPEC: all) on a link. */
int rtnl_addrs(uint32_t ifindex, int family, struct tw_rtnl_entry **v,
	       size_t *n);
/* The main table's unicast routes of a family out of a link. */
int rtnl_routes(uint32_t ifindex, int family, struct tw_rtnl_entry **v,
		size_t *n);

#endif
