/* SPDX-License-Identifier: GPL-2.0 */
/* The arguments of `twill set DEV ...`. */
#ifndef TWILL_SETARGS_H
#define TWILL_SETARGS_H

#include "model.h"

/*
 * Parses the words after DEV into dev (initialised): device settings, then
 * any number of "peer ENDPOINT [mac M] [prefixes LIST] [remove]
 * [update-only]".  Everything is validated; nothing is sent.
 */
int parse_set_args(int argc, char *const argv[], struct tw_device *dev);

#endif
