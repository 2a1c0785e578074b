// SPDX-License-Identifier: GPL-2.0
#include "apply.h"
#include "cmd.h"
#include "config.h"
#include "setargs.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static const char *const conf_names[] = { "setconf", "addconf", "syncconf" };

int cmd_set(int argc, char **argv)
{
	struct tw_device dev;
	struct tw_nl nl = { 0 };
	int ret;

	if (is_help(argc, argv)) {
		usage("set", false);
		return 0;
	}
	if (argc < 1) {
		usage("set", true);
		return EXIT_USER;
	}
	dev_init(&dev);
	/* validate everything before touching the kernel */
	ret = parse_set_args(argc - 1, argv + 1, &dev);
	if (ret)
		tw_err_ctx("set %s", argv[0]);
	if (!ret)
		ret = device_open(argv[0], &nl, &dev);
	if (!ret)
		ret = apply_set(&nl, &dev, "set");
	nl_close(&nl);
	dev_free(&dev);
	return ret ? fail() : 0;
}

static int do_conf(int argc, char **argv, enum tw_conf_mode mode)
{
	const char *cmd = conf_names[mode];
	struct tw_device dev;
	struct tw_nl nl = { 0 };
	int ret;

	if (is_help(argc, argv)) {
		usage(cmd, false);
		return 0;
	}
	if (argc != 2) {
		usage(cmd, true);
		return EXIT_USER;
	}
	dev_init(&dev);
	ret = config_read(argv[1], &dev);
	if (!ret) {
		config_prepare(&dev, mode);
		ret = device_open(argv[0], &nl, &dev);
	}
	if (!ret && mode == TW_CONF_SYNC)
		ret = apply_sync(&nl, &dev, "syncconf", NULL);
	else if (!ret)
		ret = apply_set(&nl, &dev, cmd);
	nl_close(&nl);
	dev_free(&dev);
	return ret ? fail() : 0;
}

int cmd_setconf(int argc, char **argv)
{
	return do_conf(argc, argv, TW_CONF_SET);
}

int cmd_addconf(int argc, char **argv)
{
	return do_conf(argc, argv, TW_CONF_ADD);
}

int cmd_syncconf(int argc, char **argv)
{
	return do_conf(argc, argv, TW_CONF_SYNC);
}
