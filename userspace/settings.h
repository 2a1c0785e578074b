/* SPDX-License-Identifier: GPL-2.0 */
/* The device settings, shared by `twill set` and the [Device] section. */
#ifndef TWILL_SETTINGS_H
#define TWILL_SETTINGS_H

#include "model.h"

struct tw_setting {
	const char *key;	/* config file key */
	const char *arg;	/* command line keyword */
	enum tw_field field;
	int (*parse)(struct tw_device *dev, const char *value);
};

const struct tw_setting *setting_by_key(const char *key);
const struct tw_setting *setting_by_arg(const char *arg);
/* Parses a value into dev and marks the field present. */
int setting_apply(const struct tw_setting *s, struct tw_device *dev,
		  const char *value);
/* Parses "P,P,..." (or "+P,-P" when allow_delta) into a peer. */
int parse_prefix_list(struct tw_device *dev, struct tw_peer *peer,
		      const char *list, uint32_t line, bool allow_delta);

#endif
