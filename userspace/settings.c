// SPDX-License-Identifier: GPL-2.0
#include "settings.h"
#include "parse.h"
#include "util.h"

#include <ctype.h>
#include <libmnl/libmnl.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* The kernel's bounds (kmod/netlink.c, set_policy). */
#define TW_MAX_PEERS_LIMIT (1U << 20)
#define TW_MAX_PREFIXES_LIMIT (1U << 26)

#define AT(m) .off = offsetof(struct tw_device, m), \
	      .size = sizeof(((struct tw_device *)NULL)->m)
#define AT2(m) .off2 = offsetof(struct tw_device, m), \
	       .size2 = sizeof(((struct tw_device *)NULL)->m)

static const struct tw_word off_word[] = { { "off", 0 }, { NULL, 0 } };
static const struct tw_word ttl_words[] = { { "inherit", 0 }, { NULL, 0 } };
static const struct tw_word tos_words[] = { { "inherit", 1 }, { NULL, 0 } };
static const struct tw_word df_words[] = {
	{ "unset", TWILL_DF_UNSET }, { "set", TWILL_DF_SET },
	{ "inherit", TWILL_DF_INHERIT }, { NULL, 0 }
};
static const struct tw_word direct_words[] = {
	{ "off", TWILL_DIRECT_OFF }, { "auto", TWILL_DIRECT_AUTO }, { NULL, 0 }
};
static const struct tw_word onoff_words[] = {
	{ "off", 0 }, { "on", 1 }, { NULL, 0 }
};

const struct tw_setting tw_settings[] = {
	{ "ListenPort", "listen-port", "listen port", "listen_port", NULL,
	  TW_LISTEN_PORT, TWILL_A_LISTEN_PORT, 0, TW_K_NUM, AT(listen_port),
	  .min = 1, .max = UINT16_MAX },
	{ "VNI", "vni", "vni", "vni", NULL,
	  TW_VNI, TWILL_A_VNI, 0, TW_K_NUM, AT(vni),
	  .min = 0, .max = TWILL_VNI_MAX },
	{ "FwMark", "fwmark", "fwmark", "fwmark", NULL,
	  TW_FWMARK, TWILL_A_FWMARK, 0, TW_K_NUM, AT(fwmark),
	  .min = 0, .max = UINT32_MAX, .words = off_word,
	  .flags = TW_S_HEX | TW_S_HIDE_UNSET },
	{ "Local", "local", "local", "local", NULL,
	  TW_LOCAL, TWILL_A_LOCAL, 0, TW_K_ADDR, AT(local),
	  .flags = TW_S_HIDE_UNSET },
	{ "Link", "link", "link", "link", NULL,
	  TW_LINK, TWILL_A_LINK, TWILL_A_LINK_NAME, TW_K_LINK, AT(link),
	  AT2(link_name), .min = 1, .max = INT32_MAX,
	  .flags = TW_S_HIDE_UNSET },
	{ "MAC", "mac", "mac", "mac", NULL,
	  TW_MAC, TWILL_A_MAC, 0, TW_K_MAC, AT(mac) },
	{ "PortRange", "port-range", "port range", "port_min", "port_max",
	  TW_PORT_RANGE, TWILL_A_PORT_MIN, TWILL_A_PORT_MAX, TW_K_RANGE,
	  AT(port_min), AT2(port_max), .min = 1, .max = UINT16_MAX },
	{ "TTL", "ttl", "ttl", "ttl", NULL,
	  TW_TTL, TWILL_A_TTL, 0, TW_K_NUM, AT(ttl),
	  .min = 1, .max = UINT8_MAX, .words = ttl_words },
	{ "TOS", "tos", "tos", "tos", NULL,
	  TW_TOS, TWILL_A_TOS, 0, TW_K_NUM, AT(tos),
	  .min = 0, .max = UINT8_MAX, .words = tos_words },
	{ "DF", "df", "df", "df", NULL,
	  TW_DF, TWILL_A_DF, 0, TW_K_NUM, AT(df),
	  .words = df_words, .flags = TW_S_WORDS_ONLY | TW_S_JSON_TEXT },
	{ "UDPChecksum", "udp-csum", "udp checksum", "udp_csum", NULL,
	  TW_UDP_CSUM, TWILL_A_UDP_CSUM, 0, TW_K_NUM, AT(udp_csum),
	  .words = onoff_words, .flags = TW_S_WORDS_ONLY | TW_S_JSON_BOOL },
	{ "MaxPeers", "max-peers", "max peers", "max_peers", NULL,
	  TW_MAX_PEERS, TWILL_A_MAX_PEERS, 0, TW_K_NUM, AT(max_peers),
	  .min = 1, .max = TW_MAX_PEERS_LIMIT },
	{ "MaxPrefixes", "max-prefixes", "max prefixes", "max_prefixes", NULL,
	  TW_MAX_PREFIXES, TWILL_A_MAX_PREFIXES, 0, TW_K_NUM, AT(max_prefixes),
	  .min = 1, .max = TW_MAX_PREFIXES_LIMIT },
	/* (`show DEV dump` prints it last, after the counts: see show_dump()) */
	{ "Direct", "direct", "direct", "direct", NULL,
	  TW_DIRECT, TWILL_A_DIRECT, 0, TW_K_NUM, AT(direct),
	  .words = direct_words, .flags = TW_S_WORDS_ONLY | TW_S_JSON_TEXT },
};

const size_t tw_nsettings = TW_ARRAY_SIZE(tw_settings);

const struct tw_setting *setting_by_key(const char *key)
{
	const struct tw_setting *s;

	tw_for_each_setting(s)
		if (!strcasecmp(s->key, key))
			return s;
	return NULL;
}

const struct tw_setting *setting_by_arg(const char *arg)
{
	const struct tw_setting *s;

	tw_for_each_setting(s)
		if (!strcmp(s->arg, arg))
			return s;
	return NULL;
}

const struct tw_setting *setting_by_attr(uint16_t attr)
{
	const struct tw_setting *s;

	tw_for_each_setting(s)
		if (s->attr == attr || (s->attr2 && s->attr2 == attr))
			return s;
	return NULL;
}

/* ---- values ---- */

static const void *at(const struct tw_device *d, size_t off)
{
	return (const char *)d + off;
}

static void *at_mut(struct tw_device *d, size_t off)
{
	return (char *)d + off;
}

static uint32_t load(const void *p, size_t size)
{
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;

	switch (size) {
	case 1:
		memcpy(&v8, p, 1);
		return v8;
	case 2:
		memcpy(&v16, p, 2);
		return v16;
	default:
		memcpy(&v32, p, 4);
		return v32;
	}
}

static void store(void *p, size_t size, uint32_t v)
{
	uint8_t v8 = (uint8_t)v;
	uint16_t v16 = (uint16_t)v;

	if (size == 1)
		memcpy(p, &v8, 1);
	else if (size == 2)
		memcpy(p, &v16, 2);
	else
		memcpy(p, &v, 4);
}

static uint32_t num(const struct tw_setting *s, const struct tw_device *d)
{
	return load(at(d, s->off), s->size);
}

static uint32_t num2(const struct tw_setting *s, const struct tw_device *d)
{
	return load(at(d, s->off2), s->size2);
}

static const char *link_name(const struct tw_setting *s,
			     const struct tw_device *d)
{
	return at(d, s->off2);
}

/* ---- parsing ---- */

/* "1-255 or inherit", "set, unset or inherit" */
static const char *expected(const struct tw_setting *s, char *buf, size_t len)
{
	const struct tw_word *w = s->words;
	size_t off = 0, n = 0, i;
	int r;

	if (!(s->flags & TW_S_WORDS_ONLY)) {
		r = snprintf(buf, len, (s->flags & TW_S_HEX) ? "0x%x-0x%x" :
			     "%u-%u", s->min, s->max);
		off = r > 0 ? (size_t)r : 0;
		n = 1;
	}
	for (i = 0; w && w[i].name && off < len; i++, n++) {
		r = snprintf(buf + off, len - off, "%s%s",
			     !n ? "" : w[i + 1].name ? ", " : " or ",
			     w[i].name);
		off += r > 0 ? (size_t)r : 0;
	}
	return buf;
}

static int parse_num(const struct tw_setting *s, struct tw_device *d,
		     const char *v, const char *name)
{
	const struct tw_word *w;
	char exp[TW_VALUE_STRLEN];
	uint32_t n = 0;

	for (w = s->words; w && w->name; w++) {
		if (!strcasecmp(v, w->name)) {
			store(at_mut(d, s->off), s->size, w->value);
			return 0;
		}
	}
	if ((s->flags & TW_S_WORDS_ONLY) || parse_u32(v, s->min, s->max, &n))
		return tw_err("invalid %s '%s' (expected %s)", name, v,
			      expected(s, exp, sizeof(exp)));
	store(at_mut(d, s->off), s->size, n);
	return 0;
}

static int parse_setting_range(const struct tw_setting *s,
			       struct tw_device *d, const char *v,
			       const char *name)
{
	uint32_t lo = 0, hi = 0;

	if (parse_range(v, name, s->min, s->max, &lo, &hi))
		return -1;
	store(at_mut(d, s->off), s->size, lo);
	store(at_mut(d, s->off2), s->size2, hi);
	return 0;
}

static int parse_local(const struct tw_setting *s, struct tw_device *d,
		       const char *v, const char *name)
{
	struct tw_addr a = { 0 };

	if (strcasecmp(v, "none") != 0 && parse_addr(v, &a))
		return tw_err("invalid %s '%s' (expected an address or none)",
			      name, v);
	memcpy(at_mut(d, s->off), &a, sizeof(a));
	return 0;
}

static int parse_device_mac(const struct tw_setting *s, struct tw_device *d,
			    const char *v, const char *name)
{
	uint8_t mac[TW_MAC_LEN];

	if (parse_mac(v, mac))
		return -1;
	if (mac_is_zero(mac))
		return tw_err("invalid %s '%s' (the device's MAC must not be zero)",
			      name, v);
	memcpy(at_mut(d, s->off), mac, TW_MAC_LEN);
	return 0;
}

/*
 * The kernel resolves a name in the namespace that created the device, so
 * the name is sent as it is; digits are an ifindex there.
 */
static int parse_link(const struct tw_setting *s, struct tw_device *d,
		      const char *v, const char *name)
{
	char *ln = at_mut(d, s->off2);
	uint32_t ifindex = 0;

	memset(ln, 0, s->size2);
	if (isdigit((unsigned char)v[0])) {
		if (parse_u32(v, s->min, s->max, &ifindex))
			return tw_err("invalid %s '%s' (expected an interface name, an ifindex %u-%u or none)",
				      name, v, s->min, s->max);
	} else if (strcasecmp(v, "none") != 0 && parse_ifname(v, ln)) {
		return -1;
	}
	store(at_mut(d, s->off), s->size, ifindex);
	return 0;
}

int setting_parse(const struct tw_setting *s, struct tw_device *dev,
		  const char *value, const char *name)
{
	int ret;

	switch (s->kind) {
	case TW_K_RANGE:
		ret = parse_setting_range(s, dev, value, name);
		break;
	case TW_K_ADDR:
		ret = parse_local(s, dev, value, name);
		break;
	case TW_K_MAC:
		ret = parse_device_mac(s, dev, value, name);
		break;
	case TW_K_LINK:
		ret = parse_link(s, dev, value, name);
		break;
	default:
		ret = parse_num(s, dev, value, name);
		break;
	}
	if (!ret)
		dev->mask |= TW_BIT(s->field);
	return ret;
}

/* ---- printing ---- */

const char *setting_format(const struct tw_setting *s,
			   const struct tw_device *dev,
			   char buf[TW_VALUE_STRLEN])
{
	const struct tw_word *w;
	uint32_t v = num(s, dev);

	switch (s->kind) {
	case TW_K_RANGE:
		snprintf(buf, TW_VALUE_STRLEN, "%u-%u", v, num2(s, dev));
		return buf;
	case TW_K_ADDR:
		return fmt_addr(at(dev, s->off), buf);
	case TW_K_MAC:
		return fmt_mac(at(dev, s->off), buf);
	case TW_K_LINK:
		if (link_name(s, dev)[0])
			snprintf(buf, TW_VALUE_STRLEN, "%s", link_name(s, dev));
		else if (v)
			snprintf(buf, TW_VALUE_STRLEN, "%u", v);
		else
			snprintf(buf, TW_VALUE_STRLEN, "none");
		return buf;
	default:
		break;
	}
	for (w = s->words; !(s->flags & TW_S_HEX) && w && w->name; w++)
		if (w->value == v)
			return w->name;
	snprintf(buf, TW_VALUE_STRLEN, (s->flags & TW_S_HEX) ? "0x%x" : "%u",
		 v);
	return buf;
}

bool setting_is_unset(const struct tw_setting *s, const struct tw_device *dev)
{
	const struct tw_addr *a = at(dev, s->off);

	switch (s->kind) {
	case TW_K_ADDR:
		return !a->family;
	case TW_K_MAC:
		return mac_is_zero(at(dev, s->off));
	case TW_K_LINK:
		return !num(s, dev) && !link_name(s, dev)[0];
	case TW_K_RANGE:
		return !num(s, dev) && !num2(s, dev);
	default:
		return !num(s, dev);
	}
}

void setting_json(const struct tw_setting *s, struct json *j,
		  const struct tw_device *dev)
{
	char buf[TW_VALUE_STRLEN];

	switch (s->kind) {
	case TW_K_RANGE:
		json_u64(j, s->json, num(s, dev));
		json_u64(j, s->json2, num2(s, dev));
		return;
	case TW_K_ADDR:
	case TW_K_LINK:
		if (setting_is_unset(s, dev))
			json_null(j, s->json);
		else
			json_str(j, s->json, setting_format(s, dev, buf));
		return;
	case TW_K_MAC:
		json_str(j, s->json, setting_format(s, dev, buf));
		return;
	default:
		break;
	}
	if (s->flags & TW_S_JSON_BOOL)
		json_bool(j, s->json, num(s, dev) != 0);
	else if (s->flags & TW_S_JSON_TEXT)
		json_str(j, s->json, setting_format(s, dev, buf));
	else
		json_u64(j, s->json, num(s, dev));
}

/* ---- netlink ---- */

static void put_num(struct nlmsghdr *nlh, uint16_t attr, size_t size,
		    uint32_t v)
{
	if (size == 1)
		mnl_attr_put_u8(nlh, attr, (uint8_t)v);
	else if (size == 2)
		mnl_attr_put_u16(nlh, attr, (uint16_t)v);
	else
		mnl_attr_put_u32(nlh, attr, v);
}

void setting_put(const struct tw_setting *s, struct nlmsghdr *nlh,
		 const struct tw_device *dev)
{
	const struct tw_addr *a = at(dev, s->off);

	switch (s->kind) {
	case TW_K_RANGE:
		put_num(nlh, s->attr, s->size, num(s, dev));
		put_num(nlh, s->attr2, s->size2, num2(s, dev));
		break;
	case TW_K_ADDR:
		mnl_attr_put(nlh, s->attr, a->family == AF_INET ? 4 :
			     a->family == AF_INET6 ? 16 : 0, a->addr);
		break;
	case TW_K_MAC:
		mnl_attr_put(nlh, s->attr, TW_MAC_LEN, at(dev, s->off));
		break;
	case TW_K_LINK:
		if (link_name(s, dev)[0])
			mnl_attr_put_strz(nlh, s->attr2, link_name(s, dev));
		else
			put_num(nlh, s->attr, s->size, num(s, dev));
		break;
	default:
		put_num(nlh, s->attr, s->size, num(s, dev));
		break;
	}
}

static int get_num(const struct nlattr *a, void *p, size_t size)
{
	static const enum mnl_attr_data_type types[] = {
		[1] = MNL_TYPE_U8, [2] = MNL_TYPE_U16, [4] = MNL_TYPE_U32,
	};

	if (size >= TW_ARRAY_SIZE(types) ||
	    mnl_attr_validate(a, types[size]) < 0)
		return -1;
	store(p, size, size == 1 ? mnl_attr_get_u8(a) :
	      size == 2 ? mnl_attr_get_u16(a) : mnl_attr_get_u32(a));
	return 0;
}

static int get_addr(const struct nlattr *a, struct tw_addr *l)
{
	size_t len = mnl_attr_get_payload_len(a);

	if (len != 0 && len != 4 && len != 16)
		return -1;
	memset(l, 0, sizeof(*l));
	l->family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
	memcpy(l->addr, mnl_attr_get_payload(a), len);
	return 0;
}

static int get_str(const struct nlattr *a, char *dst, size_t size)
{
	const char *str = mnl_attr_get_payload(a);
	size_t len = strnlen(str, mnl_attr_get_payload_len(a));

	if (len >= size)
		return -1;
	memcpy(dst, str, len);
	dst[len] = '\0';
	return 0;
}

int setting_get(const struct tw_setting *s, const struct nlattr *a,
		struct tw_device *dev)
{
	bool second = s->attr2 && mnl_attr_get_type(a) == s->attr2;

	switch (s->kind) {
	case TW_K_ADDR:
		return get_addr(a, at_mut(dev, s->off));
	case TW_K_MAC:
		if (mnl_attr_get_payload_len(a) != TW_MAC_LEN)
			return -1;
		memcpy(at_mut(dev, s->off), mnl_attr_get_payload(a),
		       TW_MAC_LEN);
		return 0;
	case TW_K_LINK:
		if (second)
			return get_str(a, at_mut(dev, s->off2), s->size2);
		return get_num(a, at_mut(dev, s->off), s->size);
	default:
		if (second)
			return get_num(a, at_mut(dev, s->off2), s->size2);
		return get_num(a, at_mut(dev, s->off), s->size);
	}
}

/* ---- syncconf ---- */

bool setting_same(const struct tw_setting *s, const struct tw_device *cur,
		  const struct tw_device *want)
{
	/* a link by name is what the kernel calls it (it resolves names) */
	if (s->kind == TW_K_LINK && link_name(s, want)[0])
		return !strcmp(link_name(s, cur), link_name(s, want));
	if (s->kind == TW_K_LINK)
		return num(s, cur) == num(s, want);
	return !memcmp(at(cur, s->off), at(want, s->off), s->size) &&
	       !memcmp(at(cur, s->off2), at(want, s->off2), s->size2);
}

void setting_copy(const struct tw_setting *s, struct tw_device *dst,
		  const struct tw_device *src)
{
	memcpy(at_mut(dst, s->off), at(src, s->off), s->size);
	memcpy(at_mut(dst, s->off2), at(src, s->off2), s->size2);
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

struct list_ctx {
	struct tw_device *dev;
	struct tw_peer *peer;
	uint32_t line;
	bool allow_delta;
};

static int list_item(void *arg, const char *item)
{
	struct list_ctx *l = arg;

	return add_item(l->dev, l->peer, item, l->line, l->allow_delta);
}

int parse_prefix_list(struct tw_device *dev, struct tw_peer *peer,
		      const char *list, uint32_t line, bool allow_delta)
{
	struct list_ctx l = { dev, peer, line, allow_delta };

	if (!list[strspn(list, " \t")]) {
		/* an empty list: the peer has no prefixes */
		if (peer->mode == TW_PFX_DELTA)
			return tw_err("empty prefix list mixed with +/- changes");
		peer->mode = TW_PFX_REPLACE;
		return 0;
	}
	return parse_list(list, "prefix", list_item, &l);
}
