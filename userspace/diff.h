/* SPDX-License-Identifier: GPL-2.0 */
/* syncconf: the difference between the kernel's state and a file. */
#ifndef TWILL_DIFF_H
#define TWILL_DIFF_H

#include "model.h"

/*
 * Fills `out` (initialised, ifindex/ifname set) with the changes turning
 * `cur` (a dump) into `want` (a config file): changed settings, peers to
 * remove, new peers with their prefixes, and per existing peer the
 * prefixes to add and remove and a changed MAC.  `cur` gets a prefix index.
 * Returns the number of changes; 0 means nothing to send.
 */
size_t sync_diff(struct tw_device *cur, const struct tw_device *want,
		 struct tw_device *out);

#endif
