/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Applying a wanted state to a device: one transaction (set), or only the
 * difference to what the kernel has (sync).  Shared by the CLI (set,
 * setconf, addconf, syncconf) and twilld.
 */
#ifndef TWILL_APPLY_H
#define TWILL_APPLY_H

#include "netlink.h"

/* Sends dev as one transaction (build_set); errors name `cmd` and dev. */
int apply_set(struct tw_nl *nl, const struct tw_device *dev, const char *cmd);
/*
 * Dumps want's device, sends the difference (sync_diff) as one
 * transaction; *changes (if not NULL) gets its size, 0 if nothing was
 * sent.
 */
int apply_sync(struct tw_nl *nl, const struct tw_device *want,
	       const char *cmd, size_t *changes);

#endif
