/* SPDX-License-Identifier: GPL-2.0 */
/* The host side of twilld: the device, its address and route, files. */
#ifndef TWILLD_HOST_H
#define TWILLD_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

/*
 * The host's public IPv4: `want` if given, else the first IPv4 of `iface`
 * (a name or one of its addresses), else the first global IPv4 of an up,
 * non-loopback interface.  *mtu: that interface's MTU (0 if unknown).
 */
int host_public_ip(const char *want, const char *iface, struct tw_addr *ip,
		   uint32_t *mtu);
/* Creates a twill link `name` unless it exists; its ifindex. */
int host_ensure_link(const char *name, uint32_t *ifindex);
/*
 * Brings the link up with this MTU (0: leave it), gives it addr/32 (host
 * order) and routes network/plen through it.
 */
int host_configure(uint32_t ifindex, uint32_t mtu, uint32_t addr,
		   uint32_t network, uint8_t plen);

/*
 * The IPv6 side of a dual-stack lease: the subnet's first address (its
 * network address, as the IPv4 side) as a /128 and a route for the IPv6
 * network through the link.
 */
int host_configure6(uint32_t ifindex, const struct tw_prefix *subnet6,
		    const struct tw_prefix *network6);
/* Removes that /128 (a subnet lost to another host). */
int host_unconfigure6(uint32_t ifindex, const struct tw_prefix *subnet6);

/*
 * Removes the link's IPv4 /32 addresses inside network/plen (host order)
 * but keep (0: keeps none): a subnet's address that an agent left behind
 * when it was killed or lost its lease.  How many it removed, or -1.
 */
int host_prune(uint32_t ifindex, uint32_t keep, uint32_t network, uint8_t plen);
struct tw_netconf;
/* The same for the link's IPv6 /128 addresses in c's IPv6Network. */
int host_prune6(uint32_t ifindex, const struct tw_prefix *keep,
		const struct tw_netconf *c);

#endif
