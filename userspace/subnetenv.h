/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flannel's subnet file (/run/twill/subnet.env, /run/flannel/subnet.env):
 * KEY=VALUE lines that twilld writes and the CNI plugin reads.
 *
 *   FLANNEL_NETWORK=10.244.0.0/16          the cluster's network
 *   FLANNEL_SUBNET=10.244.3.1/24           this host's subnet, first address
 *   FLANNEL_IPV6_NETWORK, FLANNEL_IPV6_SUBNET   the same for IPv6
 *   FLANNEL_MTU=1450
 *   FLANNEL_IPMASQ=false
 */
#ifndef TWILL_SUBNETENV_H
#define TWILL_SUBNETENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* Prefixes with host bits cleared; family 0 where a key is absent. */
struct tw_subnetenv {
	struct tw_prefix network, subnet;
	struct tw_prefix network6, subnet6;
	uint32_t mtu;		/* 0: absent */
	bool ipmasq;
};

/*
 * Parses the file's text.  Blank lines and '#' comments are skipped,
 * unknown keys ignored (flannel may add some); a known key with a bad
 * value, a line without '=', or neither FLANNEL_SUBNET nor
 * FLANNEL_IPV6_SUBNET is -1 with tw_errmsg naming the line.
 */
int subnetenv_parse(const char *text, struct tw_subnetenv *e);
/*
 * The file's text as flannel writes it (the subnets as their first
 * address, "10.244.3.1/24"); keys of absent values are left out.
 */
void subnetenv_format(const struct tw_subnetenv *e, char *buf, size_t len);

#endif
