/* SPDX-License-Identifier: GPL-2.0 */
/* Subcommands and what they share. */
#ifndef TWILL_CMD_H
#define TWILL_CMD_H

#include <stdbool.h>

#include "model.h"
#include "netlink.h"

#define EXIT_USER 1
#define EXIT_NO_PEER 2

struct out_opts {
	bool json, pretty;
};

/* -j/-p given before the command (main.c). */
extern struct out_opts main_opts;

/* Removes -j/--json/-p/--pretty from argv; adds main_opts. */
void take_out_opts(int *argc, char **argv, struct out_opts *o);
/* Whether argv[0] asks for help. */
bool is_help(int argc, char **argv);
/* Prints "twill: <tw_errmsg>" and returns EXIT_USER. */
int fail(void);
void usage(const char *cmd, bool to_stderr);

/* Checks that `name` is a twill device and opens netlink for it. */
int device_open(const char *name, struct tw_nl *nl, struct tw_device *dev);
/* Dumps the device. */
int device_fetch(struct tw_nl *nl, struct tw_device *dev);
/* device_open() and device_fetch(); a failed dump gets "CMD NAME: ". */
int device_load(const char *name, struct tw_nl *nl, struct tw_device *dev,
		const char *cmd);
/*
 * Calls fn for every twill device, printing each failure (fail()); returns
 * EXIT_USER if any failed, else 0.
 */
int for_each_device(int (*fn)(void *arg, const char *name), void *arg);

int cmd_show(int argc, char **argv);
int cmd_showconf(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_setconf(int argc, char **argv);
int cmd_addconf(int argc, char **argv);
int cmd_syncconf(int argc, char **argv);
int cmd_route(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_nat(int argc, char **argv);
int cmd_service(int argc, char **argv);

#endif
