// SPDX-License-Identifier: GPL-2.0
#include "settings.h"
#include "parse.h"
#include "util.h"

#include <string.h>
#include <strings.h>

static int set_listen_port(struct tw_device *d, const char *v)
{
	return parse_listen_port(v, &d->listen_port);
}

static int set_vni(struct tw_device *d, const char *v)
{
	return parse_vni(v, &d->vni);
}

static int set_fwmark(struct tw_device *d, const char *v)
{
	return parse_fwmark(v, &d->fwmark);
}

static int set_local(struct tw_device *d, const char *v)
{
	if (!strcasecmp(v, "none")) {
		memset(&d->local, 0, sizeof(d->local));
		return 0;
	}
	if (parse_addr(v, &d->local))
		return tw_err("invalid local address '%s'", v);
	return 0;
}

static int set_link(struct tw_device *d, const char *v)
{
	if (!strcasecmp(v, "none")) {
		d->link_name[0] = '\0';
		d->link = 0;
		return 0;
	}
	return parse_ifname(v, d->link_name);
}

static int set_mac(struct tw_device *d, const char *v)
{
	return parse_mac(v, d->mac);
}

static int set_port_range(struct tw_device *d, const char *v)
{
	return parse_port_range(v, &d->port_min, &d->port_max);
}

static int set_ttl(struct tw_device *d, const char *v)
{
	return parse_ttl(v, &d->ttl);
}

static int set_tos(struct tw_device *d, const char *v)
{
	return parse_tos(v, &d->tos);
}

static int set_df(struct tw_device *d, const char *v)
{
	return parse_df(v, &d->df);
}

static int set_udp_csum(struct tw_device *d, const char *v)
{
	return parse_onoff(v, &d->udp_csum);
}

static int set_max_peers(struct tw_device *d, const char *v)
{
	return parse_limit("max-peers", v, &d->max_peers);
}

static int set_max_prefixes(struct tw_device *d, const char *v)
{
	return parse_limit("max-prefixes", v, &d->max_prefixes);
}

static const struct tw_setting settings[] = {
	{ "ListenPort", "listen-port", TW_LISTEN_PORT, set_listen_port },
	{ "VNI", "vni", TW_VNI, set_vni },
	{ "FwMark", "fwmark", TW_FWMARK, set_fwmark },
	{ "Local", "local", TW_LOCAL, set_local },
	{ "Link", "link", TW_LINK, set_link },
	{ "MAC", "mac", TW_MAC, set_mac },
	{ "PortRange", "port-range", TW_PORT_RANGE, set_port_range },
	{ "TTL", "ttl", TW_TTL, set_ttl },
	{ "TOS", "tos", TW_TOS, set_tos },
	{ "DF", "df", TW_DF, set_df },
	{ "UDPChecksum", "udp-csum", TW_UDP_CSUM, set_udp_csum },
	{ "MaxPeers", "max-peers", TW_MAX_PEERS, set_max_peers },
	{ "MaxPrefixes", "max-prefixes", TW_MAX_PREFIXES, set_max_prefixes },
};

const struct tw_setting *setting_by_key(const char *key)
{
	size_t i;

	for (i = 0; i < TW_ARRAY_SIZE(settings); i++)
		if (!strcasecmp(settings[i].key, key))
			return &settings[i];
	return NULL;
}

const struct tw_setting *setting_by_arg(const char *arg)
{
	size_t i;

	for (i = 0; i < TW_ARRAY_SIZE(settings); i++)
		if (!strcmp(settings[i].arg, arg))
			return &settings[i];
	return NULL;
}

int setting_apply(const struct tw_setting *s, struct tw_device *dev,
		  const char *value)
{
	if (s->parse(dev, value))
		return -1;
	dev->mask |= TW_BIT(s->field);
	return 0;
}

static enum tw_prefix_mode item_mode(const char *item)
{
	return (item[0] == '+' || item[0] == '-') ? TW_PFX_DELTA :
						    TW_PFX_REPLACE;
}

static int add_item(struct tw_device *dev, struct tw_peer *peer,
		    const char *item, uint32_t line, bool allow_delta)
{
	enum tw_prefix_mode mode = item_mode(item);
	struct tw_prefix p;

	if (mode == TW_PFX_DELTA && !allow_delta)
		return tw_err("invalid prefix '%s' (+/- not allowed here)",
			      item);
	if (peer->mode != TW_PFX_NONE && peer->mode != mode)
		return tw_err("prefix '%s': cannot mix a plain list with +/- changes",
			      item);
	peer->mode = mode;
	if (parse_prefix(mode == TW_PFX_DELTA ? item + 1 : item, &p))
		return -1;
	p.remove = item[0] == '-';
	p.line = line;
	return dev_add_prefix(dev, peer, &p);
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

int parse_prefix_list(struct tw_device *dev, struct tw_peer *peer,
		      const char *list, uint32_t line, bool allow_delta)
{
	char item[TW_PREFIX_STRLEN + 2];
	const char *p = list, *comma;
	size_t len;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p) {
		/* an empty list: the peer has no prefixes */
		if (peer->mode == TW_PFX_DELTA)
			return tw_err("empty prefix list mixed with +/- changes");
		peer->mode = TW_PFX_REPLACE;
		return 0;
	}
	while (*p) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len >= sizeof(item))
			return tw_err("invalid prefix '%.*s...'", 40, p);
		memcpy(item, p, len);
		item[len] = '\0';
		if (!*trim(item))
			return tw_err("empty prefix in list '%s'", list);
		if (add_item(dev, peer, trim(item), line, allow_delta))
			return -1;
		if (!comma)
			break;
		p = comma + 1;
		if (!*p)
			return tw_err("empty prefix in list '%s'", list);
	}
	return 0;
}
