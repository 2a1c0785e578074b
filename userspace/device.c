// SPDX-License-Identifier: GPL-2.0
#include "cmd.h"
#include "parse.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void take_out_opts(int *argc, char **argv, struct out_opts *o)
{
	int i, n = 0;

	o->json |= main_opts.json;
	o->pretty |= main_opts.pretty;
	for (i = 0; i < *argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			o->json = true;
		else if (!strcmp(argv[i], "-p") || !strcmp(argv[i], "--pretty"))
			o->pretty = true;
		else if (!strcmp(argv[i], "-jp") || !strcmp(argv[i], "-pj"))
			o->json = o->pretty = true;
		else
			argv[n++] = argv[i];
	}
	*argc = n;
}

bool is_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") ||
		    (i == 0 && !strcmp(argv[i], "help")))
			return true;
	return false;
}

int fail(void)
{
	fprintf(stderr, "twill: %s\n", tw_errmsg);
	return EXIT_USER;
}

int device_open(const char *name, struct tw_nl *nl, struct tw_device *dev)
{
	char kind[32];
	uint32_t ifindex;

	if (parse_ifname(name, dev->ifname))
		return -1;
	if (link_kind(name, &ifindex, kind, sizeof(kind)))
		return -1;
	if (strcmp(kind, "twill") != 0)
		return tw_err("%s is not a twill device", name);
	dev->ifindex = ifindex;
	return nl_open(nl);
}

int device_fetch(struct tw_nl *nl, struct tw_device *dev)
{
	/* the link's name comes from the kernel, which knows the namespace
	 * it lives in; without one, showconf prints the ifindex */
	return nl_get_device(nl, dev);
}

int device_load(const char *name, struct tw_nl *nl, struct tw_device *dev,
		const char *cmd)
{
	if (device_open(name, nl, dev))
		return -1;
	if (device_fetch(nl, dev))
		return tw_err_ctx("%s %s", cmd, name);
	return 0;
}

int for_each_device(int (*fn)(void *arg, const char *name), void *arg)
{
	char (*names)[IFNAMSIZ];
	size_t n, i;
	int ret = 0;

	if (list_twill_links(&names, &n))
		return fail();
	for (i = 0; i < n; i++) {
		if (fn(arg, names[i]))
			ret = fail();
	}
	free(names);
	return ret;
}
