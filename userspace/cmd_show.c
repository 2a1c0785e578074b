// SPDX-License-Identifier: GPL-2.0
#include "cmd.h"
#include "config.h"
#include "json.h"
#include "service.h"
#include "show.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum show_mode { SHOW_HUMAN, SHOW_JSON, SHOW_DUMP };

struct show_ctx {
	enum show_mode mode;
	bool all;
	struct json j;
	size_t shown;
};

static int show_one(void *arg, const char *name)
{
	struct show_ctx *s = arg;
	struct tw_device dev;
	struct tw_nl nl = { 0 };
	int ret;

	dev_init(&dev);
	ret = device_load(name, &nl, &dev, "show");
	if (!ret && s->mode == SHOW_JSON) {
		show_json(&s->j, &dev);
	} else if (!ret && s->mode == SHOW_DUMP) {
		show_dump(stdout, &dev, s->all);
	} else if (!ret) {
		if (s->shown)
			putchar('\n');
		show_human(stdout, &dev, time(NULL));
	}
	s->shown++;
	nl_close(&nl);
	dev_free(&dev);
	return ret;
}

static int show_interfaces(const struct out_opts *o)
{
	char (*names)[IFNAMSIZ];
	size_t n, i;
	struct json j;

	if (list_twill_links(&names, &n))
		return fail();
	json_init(&j, stdout, o->pretty);
	if (o->json)
		json_arr_open(&j, NULL);
	for (i = 0; i < n; i++) {
		if (o->json)
			json_str(&j, NULL, names[i]);
		else
			printf("%s\n", names[i]);
	}
	if (o->json) {
		json_arr_close(&j);
		json_end(&j);
	}
	free(names);
	return 0;
}

int cmd_show(int argc, char **argv)
{
	struct out_opts o = { 0 };
	struct show_ctx s = { 0 };
	const char *what;
	int ret;

	if (is_help(argc, argv)) {
		usage("show", false);
		return 0;
	}
	take_out_opts(&argc, argv, &o);
	what = argc > 0 ? argv[0] : "all";
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "dump") != 0)) {
		usage("show", true);
		return EXIT_USER;
	}
	if (!strcmp(what, "interfaces"))
		return show_interfaces(&o);
	s.mode = argc == 2 ? SHOW_DUMP : o.json ? SHOW_JSON : SHOW_HUMAN;
	s.all = !strcmp(what, "all");
	json_init(&s.j, stdout, o.pretty);
	if (s.mode == SHOW_JSON)
		json_arr_open(&s.j, NULL);
	ret = s.all ? for_each_device(show_one, &s) :
		show_one(&s, what) ? fail() : 0;
	if (s.mode == SHOW_JSON) {
		json_arr_close(&s.j);
		json_end(&s.j);
	}
	return ret;
}

/* The device's services as [Service] sections; none from a module that
 * has no services (EOPNOTSUPP: an older one). */
static int load_services(struct tw_nl *nl, struct tw_device *dev)
{
	struct tw_services all = { 0 };

	if (nl_dump_services(nl, dev, &all)) {
		services_free(&all);
		if (nl->error == EOPNOTSUPP)
			return 0;
		return tw_err_ctx("showconf %s", dev->ifname);
	}
	services_sort(all.svcs, all.n);
	dev->svcs = all.svcs;
	dev->nsvcs = all.n;
	dev->svcs_cap = all.cap;
	return 0;
}

int cmd_showconf(int argc, char **argv)
{
	struct tw_device dev;
	struct tw_nl nl = { 0 };
	int ret;

	if (is_help(argc, argv)) {
		usage("showconf", false);
		return 0;
	}
	if (argc != 1) {
		usage("showconf", true);
		return EXIT_USER;
	}
	dev_init(&dev);
	ret = device_load(argv[0], &nl, &dev, "showconf");
	if (!ret)
		ret = load_services(&nl, &dev);
	if (!ret)
		config_write(stdout, &dev);
	nl_close(&nl);
	dev_free(&dev);
	return ret ? fail() : 0;
}
