// SPDX-License-Identifier: GPL-2.0
/* twill service set | show */
#include "cmd.h"
#include "json.h"
#include "msg.h"
#include "service.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One request, a transaction of its own. */
static int send_one(struct tw_nl *nl, void *buf, size_t len)
{
	struct tw_msg msg = { buf, len };
	struct tw_batch batch = { &msg, 1, 1 };

	return nl_send_batch(nl, &batch);
}

/* One SET_SERVICES with the whole service (or its removal). */
static int send_service(struct tw_nl *nl, const struct tw_device *dev,
			const struct tw_service *svc)
{
	char *buf = tw_calloc(1, build_set_service_size(svc));
	int ret;

	ret = send_one(nl, buf, build_set_service(buf, nl->family, 0, dev,
						   svc));
	free(buf);
	return ret;
}

static int service_set(int argc, char **argv)
{
	struct tw_service args, want, *cur = NULL;
	struct tw_services all = { 0 };
	struct tw_device dev;
	struct tw_nl nl = { 0 };
	char key[96];
	int ret;

	if (argc < 2) {
		usage("service", true);
		return EXIT_USER;
	}
	dev_init(&dev);
	service_init(&args);
	service_init(&want);
	/* validate everything before touching the kernel */
	ret = service_parse_key(argv[1], &args);
	if (!ret)
		ret = service_parse_args(argc - 2, argv + 2, &args);
	if (ret)
		tw_err_ctx("service set %s", argv[0]);
	if (!ret)
		ret = device_open(argv[0], &nl, &dev);
	/*
	 * What is not given is kept: the current service is the base.  Only
	 * it is read, so a change costs the same however many services the
	 * device has.
	 */
	if (!ret && !args.remove && nl_get_service(&nl, &dev, &args, &all))
		ret = tw_err_ctx("service set %s", argv[0]);
	if (!ret) {
		cur = service_find(&all, &args);
		service_merge(cur, &args, &want);
		ret = send_service(&nl, &dev, &want);
		if (ret)
			tw_err_ctx("service set %s %s", argv[0],
				   service_fmt_key(&args, key, sizeof(key)));
	}
	nl_close(&nl);
	services_free(&all);
	service_free(&args);
	service_free(&want);
	dev_free(&dev);
	return ret ? fail() : 0;
}

static int service_config(int argc, char **argv)
{
	struct tw_service_config c;
	struct tw_device dev;
	struct tw_nl nl = { 0 };
	char buf[512];
	int ret;

	if (argc < 1) {
		usage("service", true);
		return EXIT_USER;
	}
	dev_init(&dev);
	ret = service_parse_config(argc - 1, argv + 1, &c);
	if (ret)
		tw_err_ctx("service config %s", argv[0]);
	if (!ret)
		ret = device_open(argv[0], &nl, &dev);
	if (!ret) {
		ret = send_one(&nl, buf, build_service_config(buf, nl.family, 0,
							      &dev, &c));
		if (ret)
			tw_err_ctx("service config %s", argv[0]);
	}
	nl_close(&nl);
	dev_free(&dev);
	return ret ? fail() : 0;
}

static int service_show(int argc, char **argv, const struct out_opts *o)
{
	struct tw_services all = { 0 };
	struct tw_device dev;
	struct tw_nl nl = { 0 };
	struct json j;
	int ret;

	if (argc != 1) {
		usage("service", true);
		return EXIT_USER;
	}
	dev_init(&dev);
	ret = device_open(argv[0], &nl, &dev);
	if (!ret && nl_dump_services(&nl, &dev, &all))
		ret = tw_err_ctx("service show %s", argv[0]);
	if (!ret && o->json) {
		json_init(&j, stdout, o->pretty);
		service_show_json(&j, dev.ifname[0] ? dev.ifname : argv[0],
				  &all);
		json_end(&j);
	} else if (!ret) {
		service_show_human(stdout, dev.ifname[0] ? dev.ifname : argv[0],
				   &all);
	}
	nl_close(&nl);
	services_free(&all);
	dev_free(&dev);
	return ret ? fail() : 0;
}

int cmd_service(int argc, char **argv)
{
	struct out_opts o = { 0 };

	if (is_help(argc, argv)) {
		usage("service", false);
		return 0;
	}
	take_out_opts(&argc, argv, &o);
	if (argc >= 1 && !strcmp(argv[0], "set"))
		return service_set(argc - 1, argv + 1);
	if (argc >= 1 && !strcmp(argv[0], "show"))
		return service_show(argc - 1, argv + 1, &o);
	if (argc >= 1 && !strcmp(argv[0], "config"))
		return service_config(argc - 1, argv + 1);
	if (argc >= 1) {
		tw_err("unknown service command '%s' (see twill service --help)",
		       argv[0]);
		return fail();
	}
	usage("service", true);
	return EXIT_USER;
}
