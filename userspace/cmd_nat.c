// SPDX-License-Identifier: GPL-2.0
/* twill nat set | show | flows */
#include "apply.h"
#include "cmd.h"
#include "flow.h"
#include "json.h"
#include "nat.h"
#include "service.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* The device's NAT configuration, NULL when NAT is off. */
static const struct tw_nat *current_nat(const struct tw_device *dev)
{
	return TW_HAS(dev, TW_NAT) && dev->nat.on ? &dev->nat : NULL;
}

/* One SET_DEVICE with nothing but the whole TWILL_A_NAT nest. */
static int send_nat(struct tw_nl *nl, const struct tw_device *dev,
		    const struct tw_nat *nat)
{
	struct tw_device out;
	int ret;

	dev_init(&out);
	out.ifindex = dev->ifindex;
	memcpy(out.ifname, dev->ifname, IFNAMSIZ);
	out.nat = *nat;
	out.mask = TW_BIT(TW_NAT);
	ret = apply_set(nl, &out, "nat set");
	dev_free(&out);
	return ret;
}

static int nat_set(int argc, char **argv)
{
	struct tw_device dev;
	struct tw_nat args, want;
	struct tw_nl nl = { 0 };
	int ret;

	if (argc < 1) {
		usage("nat", true);
		return EXIT_USER;
	}
	dev_init(&dev);
	/* validate everything before touching the kernel */
	ret = nat_parse_args(argc - 1, argv + 1, &args);
	if (ret)
		tw_err_ctx("nat set %s", argv[0]);
	if (!ret)
		ret = device_load(argv[0], &nl, &dev, "nat set");
	if (!ret && nat_merge(current_nat(&dev), &args, &want))
		ret = tw_err_ctx("nat set %s", argv[0]);
	if (!ret)
		ret = send_nat(&nl, &dev, &want);
	nl_close(&nl);
	dev_free(&dev);
	return ret ? fail() : 0;
}

struct nat_show {
	bool json;
	struct json j;
	size_t shown;
};

static int nat_show_one(void *arg, const char *name)
{
	struct nat_show *s = arg;
	struct tw_device dev;
	struct tw_nl nl = { 0 };
	int ret;

	dev_init(&dev);
	ret = device_load(name, &nl, &dev, "nat show");
	if (!ret && s->json) {
		nat_show_json(&s->j, dev.ifname, &dev.nat);
	} else if (!ret) {
		if (s->shown)
			putchar('\n');
		nat_show_human(stdout, dev.ifname, &dev.nat);
	}
	s->shown++;
	nl_close(&nl);
	dev_free(&dev);
	return ret;
}

static int nat_show(int argc, char **argv, const struct out_opts *o)
{
	struct nat_show s = { .json = o->json };
	const char *what = argc > 0 ? argv[0] : "all";
	int ret;

	if (argc > 1) {
		usage("nat", true);
		return EXIT_USER;
	}
	json_init(&s.j, stdout, o->pretty);
	if (s.json)
		json_arr_open(&s.j, NULL);
	if (!strcmp(what, "all"))
		ret = for_each_device(nat_show_one, &s);
	else
		ret = nat_show_one(&s, what) ? fail() : 0;
	if (s.json) {
		json_arr_close(&s.j);
		json_end(&s.j);
	}
	return ret;
}

struct flows_out {
	bool json, open;
	struct json j;
};

/* The JSON array opens with the first flow: an error prints nothing. */
static void flows_open(struct flows_out *o)
{
	if (o->json && !o->open) {
		json_arr_open(&o->j, NULL);
		o->open = true;
	}
}

static int print_flow(const struct tw_flow *fl, void *arg)
{
	struct flows_out *o = arg;

	flows_open(o);
	if (o->json)
		flow_json(&o->j, fl);
	else
		flow_print(stdout, fl);
	if (ferror(stdout))
		return tw_err("error writing standard output");
	return 0;
}

/* Services have flows too, with NAT off; a failed look counts as none. */
static bool has_services(struct tw_nl *nl, const struct tw_device *dev)
{
	struct tw_services all = { 0 };
	bool any;

	any = !nl_dump_services(nl, dev, &all) && all.num_services;
	services_free(&all);
	return any;
}

static int nat_flows(int argc, char **argv, const struct out_opts *oo)
{
	struct flows_out o = { .json = oo->json };
	struct tw_device dev;
	struct tw_nl nl = { 0 };
	int ret;

	if (argc != 1) {
		usage("nat", true);
		return EXIT_USER;
	}
	dev_init(&dev);
	json_init(&o.j, stdout, oo->pretty);
	ret = device_open(argv[0], &nl, &dev);
	/* said here: kernels before 6.2 drop a dump's start error message */
	if (!ret)
		ret = device_fetch(&nl, &dev);
	if (!ret && !dev.nat.on && !has_services(&nl, &dev))
		ret = tw_err("nat flows %s: no NAT or services on this device",
			     argv[0]);
	if (!ret && nl_dump_flows(&nl, &dev, print_flow, &o))
		ret = tw_err_ctx("nat flows %s", argv[0]);
	/* an empty table is an empty array; a failed dump ends its array */
	if (!ret)
		flows_open(&o);
	if (o.open) {
		json_arr_close(&o.j);
		json_end(&o.j);
	}
	nl_close(&nl);
	dev_free(&dev);
	return ret ? fail() : 0;
}

int cmd_nat(int argc, char **argv)
{
	struct out_opts o = { 0 };

	if (is_help(argc, argv)) {
		usage("nat", false);
		return 0;
	}
	take_out_opts(&argc, argv, &o);
	if (argc >= 1 && !strcmp(argv[0], "set"))
		return nat_set(argc - 1, argv + 1);
	if (argc >= 1 && !strcmp(argv[0], "show"))
		return nat_show(argc - 1, argv + 1, &o);
	if (argc >= 1 && !strcmp(argv[0], "flows"))
		return nat_flows(argc - 1, argv + 1, &o);
	if (argc >= 1) {
		tw_err("unknown nat command '%s' (see twill nat --help)",
		       argv[0]);
		return fail();
	}
	usage("nat", true);
	return EXIT_USER;
}
