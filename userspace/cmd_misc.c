// SPDX-License-Identifier: GPL-2.0
#include "cmd.h"
#include "events.h"
#include "json.h"
#include "parse.h"
#include "util.h"

#include <libmnl/libmnl.h>

#include <stdio.h>
#include <string.h>

static void print_route(const struct tw_device *dev, const char *addr,
			const struct out_opts *o)
{
	char e[TW_EP_STRLEN], m[TW_MAC_STRLEN], x[TW_PREFIX_STRLEN];
	const struct tw_peer *p = &dev->peers[0];
	bool mac = p->has_mac && !mac_is_zero(p->mac);
	struct json j;

	fmt_prefix(p->npfx ? &p->pfx[0] : &(struct tw_prefix){ 0 }, x);
	fmt_endpoint(&p->ep, e);
	if (!o->json) {
		printf("%s peer %s", x, e);
		if (mac)
			printf(" mac %s", fmt_mac(p->mac, m));
		putchar('\n');
		return;
	}
	json_init(&j, stdout, o->pretty);
	json_obj_open(&j, NULL);
	json_str(&j, "address", addr);
	json_str(&j, "prefix", x);
	json_str(&j, "endpoint", e);
	if (mac)
		json_str(&j, "mac", fmt_mac(p->mac, m));
	else
		json_null(&j, "mac");
	json_obj_close(&j);
	json_end(&j);
}

static int route_lookup(const char *name, const char *addrs,
			const struct out_opts *o)
{
	struct tw_device dev;
	struct tw_nl nl = { 0 };
	struct tw_addr addr;
	int ret;

	dev_init(&dev);
	ret = parse_addr(addrs, &addr);
	if (!ret)
		ret = device_open(name, &nl, &dev);
	if (!ret) {
		ret = nl_lookup(&nl, &dev, &addr);
		if (ret == 0 && !dev.npeers)
			ret = 1;
		if (ret == 1)
			tw_err("route get %s: no peer for %s", name, addrs);
		else if (ret < 0)
			tw_err_ctx("route get %s", name);
	}
	if (!ret)
		print_route(&dev, addrs, o);
	nl_close(&nl);
	dev_free(&dev);
	if (ret == 1) {
		fail();
		return EXIT_NO_PEER;
	}
	return ret ? fail() : 0;
}

int cmd_route(int argc, char **argv)
{
	struct out_opts o = { 0 };

	if (is_help(argc, argv)) {
		usage("route", false);
		return 0;
	}
	take_out_opts(&argc, argv, &o);
	if (argc != 3 || strcmp(argv[0], "get") != 0) {
		usage("route", true);
		return EXIT_USER;
	}
	return route_lookup(argv[1], argv[2], &o);
}

static int monitor_cb(const struct nlmsghdr *nlh, void *data)
{
	if (event_print(stdout, nlh, data) < 0)
		return MNL_CB_ERROR;
	if (ferror(stdout)) {
		tw_err("error writing standard output");
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int cmd_monitor(int argc, char **argv)
{
	struct out_opts o = { 0 };
	struct monitor_opts mo = { 0 };
	struct tw_device dev;
	struct tw_nl nl = { 0 };
	int ret;

	if (is_help(argc, argv)) {
		usage("monitor", false);
		return 0;
	}
	take_out_opts(&argc, argv, &o);
	if (argc > 1) {
		usage("monitor", true);
		return EXIT_USER;
	}
	mo.json = o.json;
	dev_init(&dev);
	if (argc == 1) {
		mo.ifname = argv[0];
		ret = device_open(argv[0], &nl, &dev);
	} else {
		ret = nl_open(&nl);
	}
	if (!ret)
		ret = nl_monitor(&nl, monitor_cb, &mo);
	nl_close(&nl);
	dev_free(&dev);
	return ret ? fail() : 0;
}
