/* SPDX-License-Identifier: GPL-2.0 */
/* Formatting of twill multicast events (twill monitor). */
#ifndef TWILL_EVENTS_H
#define TWILL_EVENTS_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stdio.h>

struct monitor_opts {
	const char *ifname;	/* NULL = all devices */
	bool json;
};

/*
 * Prints one line for an event message; returns 1 if printed, 0 if
 * filtered out or not an event, -1 on a malformed message.
 */
int event_print(FILE *f, const struct nlmsghdr *nlh,
		const struct monitor_opts *o);

#endif
