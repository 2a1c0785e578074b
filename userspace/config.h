/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The configuration file: one [Device] section and any number of [Peer]
 * sections of "Key = Value" lines; '#' starts a comment; keys and section
 * names are case-insensitive.  [Device] holds the settings (settings.c)
 * and the NAT keys (nat.c): Masquerade gives the whole NAT configuration,
 * the other NAT keys need it; without any, NAT is left as it is.
 */
#ifndef TWILL_CONFIG_H
#define TWILL_CONFIG_H

#include <stdio.h>

#include "model.h"

/*
 * Parses `len` bytes named `name` (for messages) into dev, which must be
 * freshly initialised.  On error tw_errmsg is "NAME:LINE: ...".
 */
int config_parse(const char *name, const char *buf, size_t len,
		 struct tw_device *dev);
/* Reads a file ("-" = stdin) and parses it. */
int config_read(const char *path, struct tw_device *dev);
/* Writes dev in the format config_parse() takes back. */
void config_write(FILE *f, const struct tw_device *dev);

enum tw_conf_mode { TW_CONF_SET, TW_CONF_ADD, TW_CONF_SYNC };

/*
 * What a parsed file asks of the kernel.  setconf and syncconf: the file
 * is the whole configuration, so a [Peer] without MAC has none (setconf
 * sends the all-zero MAC that clears it; syncconf's diff does the same
 * for a peer whose MAC is set), and setconf removes the peers not in it.
 * addconf adds peers and prefixes and leaves MACs the file does not give.
 */
void config_prepare(struct tw_device *dev, enum tw_conf_mode mode);

#endif
