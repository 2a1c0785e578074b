// SPDX-License-Identifier: GPL-2.0
#include "cmd.h"
#include "parse.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

void take_out_opts(int *argc, char **argv, struct out_opts *o)
{
	int i, n = 0;

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
	if (nl_get_device(nl, dev))
		return -1;
	if (dev->link && !if_indextoname(dev->link, dev->link_name))
		snprintf(dev->link_name, sizeof(dev->link_name), "%u",
			 dev->link);
	return 0;
}

int resolve_link(struct tw_device *dev)
{
	uint32_t v = 0;

	if (!TW_HAS(dev, TW_LINK) || !dev->link_name[0])
		return 0;
	dev->link = if_nametoindex(dev->link_name);
	if (dev->link)
		return 0;
	/* showconf prints an index it cannot name (other namespace) */
	if (!parse_u32(dev->link_name, 1, UINT32_MAX, &v)) {
		dev->link = v;
		return 0;
	}
	return tw_err("link '%s': no such device", dev->link_name);
}
