// SPDX-License-Identifier: GPL-2.0
#include "cmd.h"
#include "config.h"
#include "diff.h"
#include "msg.h"
#include "setargs.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static const char *const conf_names[] = { "setconf", "addconf", "syncconf" };

int send_device(struct tw_nl *nl, const struct tw_device *dev,
		const char *cmd)
{
	struct tw_build b = { .family = nl->family, .seq = nl->seq + 1 };
	struct tw_batch batch;
	int ret;

	build_set(dev, &b, &batch);
	ret = nl_send_batch(nl, &batch);
	batch_free(&batch);
	if (ret)
		tw_err_ctx("%s %s", cmd, dev->ifname);
	return ret;
}

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
		ret = send_device(&nl, &dev, "set");
	nl_close(&nl);
	dev_free(&dev);
	return ret ? fail() : 0;
}

static int sync_device(struct tw_nl *nl, struct tw_device *want)
{
	struct tw_device cur, out;
	int ret;

	dev_init(&cur);
	dev_init(&out);
	cur.ifindex = out.ifindex = want->ifindex;
	memcpy(cur.ifname, want->ifname, IFNAMSIZ);
	memcpy(out.ifname, want->ifname, IFNAMSIZ);
	ret = device_fetch(nl, &cur);
	if (ret)
		tw_err_ctx("syncconf %s", want->ifname);
	else if (sync_diff(&cur, want, &out))
		ret = send_device(nl, &out, "syncconf");
	dev_free(&cur);
	dev_free(&out);
	return ret;
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
		ret = sync_device(&nl, &dev);
	else if (!ret)
		ret = send_device(&nl, &dev, cmd);
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
