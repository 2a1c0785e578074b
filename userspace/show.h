/* SPDX-License-Identifier: GPL-2.0 */
/* Output of `twill show`: human, JSON and dump formats. */
#ifndef TWILL_SHOW_H
#define TWILL_SHOW_H

#include <stdio.h>
#include <time.h>

#include "json.h"
#include "model.h"

/* Short name of a drop reason ("no_peer"), NULL for unknown. */
const char *drop_name(unsigned int reason);
void show_human(FILE *f, const struct tw_device *dev, time_t now);
void show_json(struct json *j, const struct tw_device *dev);
/* `show DEV dump`; with_ifname prefixes every line (show all dump). */
void show_dump(FILE *f, const struct tw_device *dev, bool with_ifname);
/* "5 seconds ago", "2 minutes, 3 seconds ago", "never" */
void fmt_ago(char *buf, size_t len, uint64_t then_ns, time_t now);
/* "1.50 KiB" */
void fmt_bytes(char *buf, size_t len, uint64_t bytes);

#endif
