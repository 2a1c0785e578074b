// SPDX-License-Identifier: GPL-2.0
#include "setargs.h"
#include "parse.h"
#include "settings.h"
#include "util.h"

#include <string.h>

static int need_value(int i, int argc, char *const argv[])
{
	if (i + 1 >= argc)
		return tw_err("'%s' needs a value", argv[i]);
	return 0;
}

static int device_word(int *i, int argc, char *const argv[],
		       struct tw_device *dev)
{
	const struct tw_setting *s = setting_by_arg(argv[*i]);

	if (!s)
		return tw_err("unknown argument '%s'", argv[*i]);
	if (need_value(*i, argc, argv))
		return -1;
	if (dev->mask & TW_BIT(s->field))
		return tw_err("'%s' given twice", argv[*i]);
	(*i)++;
	return setting_parse(s, dev, argv[*i], s->arg);
}

static int peer_check(const struct tw_peer *p, const char *ep)
{
	if ((p->flags & TWILL_PEER_F_REMOVE) &&
	    (p->has_mac || p->has_direct || p->mode != TW_PFX_NONE ||
	     (p->flags & TWILL_PEER_F_UPDATE_ONLY)))
		return tw_err("peer %s: 'remove' cannot be combined with other peer options",
			      ep);
	return 0;
}

static int peer_word(int *i, int argc, char *const argv[],
		     struct tw_device *dev, struct tw_peer *peer)
{
	const char *w = argv[*i];

	if (!strcmp(w, "remove")) {
		peer->flags |= TWILL_PEER_F_REMOVE;
		return 0;
	}
	if (!strcmp(w, "update-only")) {
		peer->flags |= TWILL_PEER_F_UPDATE_ONLY;
		return 0;
	}
	if (strcmp(w, "mac") != 0 && strcmp(w, "prefixes") != 0 &&
	    strcmp(w, "direct") != 0)
		return tw_err("unknown peer argument '%s'", w);
	if (need_value(*i, argc, argv))
		return -1;
	(*i)++;
	if (!strcmp(w, "direct"))
		return peer_direct(peer, argv[*i], "direct");
	if (!strcmp(w, "prefixes")) {
		if (peer->mode != TW_PFX_NONE)
			return tw_err("'prefixes' given twice");
		return parse_prefix_list(dev, peer, argv[*i], 0, true);
	}
	if (peer->has_mac)
		return tw_err("'mac' given twice");
	peer->has_mac = true;
	return parse_mac(argv[*i], peer->mac);
}

static int peer_args(int *i, int argc, char *const argv[],
		     struct tw_device *dev)
{
	union tw_sockaddr ep;
	const char *eps;
	struct tw_peer *peer;

	if (need_value(*i, argc, argv))
		return -1;
	eps = argv[++*i];
	if (parse_endpoint(eps, &ep))
		return -1;
	peer = dev_add_peer(dev, &ep);
	if (!peer)
		return -1;
	for ((*i)++; *i < argc && strcmp(argv[*i], "peer") != 0; (*i)++) {
		/* dev->peers may move, so look the peer up by index */
		if (peer_word(i, argc, argv, dev, &dev->peers[dev->npeers - 1]))
			return tw_err_ctx("peer %s", eps);
	}
	peer = &dev->peers[dev->npeers - 1];
	if (peer_check(peer, eps))
		return -1;
	/* a peer may be removed and another added at its address */
	if (!(peer->flags & TWILL_PEER_F_REMOVE))
		return dev_claim_address(dev, peer, eps);
	return 0;
}

int parse_set_args(int argc, char *const argv[], struct tw_device *dev)
{
	int i = 0;

	while (i < argc && strcmp(argv[i], "peer") != 0) {
		if (device_word(&i, argc, argv, dev))
			return -1;
		i++;
	}
	while (i < argc) {
		if (peer_args(&i, argc, argv, dev))
			return -1;
	}
	return 0;
}
