// SPDX-License-Identifier: GPL-2.0
#include "parse.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Decimal or 0x-hex, no sign, no spaces, no trailing junk. */
static int strict_u64(const char *s, uint64_t *out)
{
	char *end;
	int base = 10;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!isxdigit((unsigned char)s[2]))
			return -1;
		base = 16;
	}
	errno = 0;
	*out = strtoull(s, &end, base);
	return (errno || *end) ? -1 : 0;
}

int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (strict_u64(s, &v) || v < min || v > max)
		return tw_err("invalid number '%s' (expected %u-%u)", s, min,
			      max);
	*out = (uint32_t)v;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

int parse_mac(const char *s, uint8_t mac[TW_MAC_LEN])
{
	int i, hi, lo;

	if (strlen(s) != 17)
		return tw_err("invalid MAC address '%s' (expected xx:xx:xx:xx:xx:xx)",
			      s);
	for (i = 0; i < TW_MAC_LEN; i++) {
		hi = hexval(s[(size_t)i * 3]);
		lo = hexval(s[(size_t)i * 3 + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[(size_t)i * 3 + 2] != ':'))
			return tw_err("invalid MAC address '%s' (expected xx:xx:xx:xx:xx:xx)",
				      s);
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (mac[0] & 1)
		return tw_err("invalid MAC address '%s' (multicast)", s);
	return 0;
}

int peer_direct(struct tw_peer *peer, const char *s, const char *name)
{
	if (peer->has_direct)
		return tw_err("'%s' given twice", name);
	if (!strcasecmp(s, "on"))
		peer->direct = 1;
	else if (!strcasecmp(s, "off"))
		peer->direct = 0;
	else
		return tw_err("invalid %s '%s' (expected on or off)", name, s);
	peer->has_direct = true;
	return 0;
}

bool mac_is_zero(const uint8_t mac[TW_MAC_LEN])
{
	static const uint8_t zero[TW_MAC_LEN];

	return !memcmp(mac, zero, TW_MAC_LEN);
}

/* inet_pton into tw_addr; no error message. */
static int pton(const char *s, struct tw_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->addr) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->addr) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -1;
}

int parse_addr(const char *s, struct tw_addr *out)
{
	if (pton(s, out))
		return tw_err("invalid address '%s'", s);
	return 0;
}

static void mask_host_bits(uint8_t *addr, unsigned int cidr)
{
	unsigned int i;

	for (i = cidr / 8; i < 16; i++) {
		if (i == cidr / 8 && cidr % 8)
			addr[i] &= (uint8_t)(0xff << (8 - cidr % 8));
		else
			addr[i] = 0;
	}
}

static int prefix_len(const char *token, const char *s, unsigned int max,
		      unsigned int *out)
{
	uint64_t v = 0;

	if (strict_u64(s, &v) || (s[0] == '0' && s[1] == 'x') || v > max)
		return tw_err("invalid prefix '%s' (prefix length must be 0-%u)",
			      token, max);
	*out = (unsigned int)v;
	return 0;
}

int parse_cidr(const char *s, struct tw_addr *a, struct tw_prefix *out)
{
	char buf[TW_PREFIX_STRLEN];
	const char *slash = strchr(s, '/');
	unsigned int cidr, max;
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);

	if (alen >= sizeof(buf))
		return tw_err("invalid prefix '%.64s...'", s);
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (pton(buf, a))
		return tw_err("invalid prefix '%s' (bad address)", s);
	max = a->family == AF_INET ? 32 : 128;
	cidr = max;
	if (slash && prefix_len(s, slash + 1, max, &cidr))
		return -1;
	memset(out, 0, sizeof(*out));
	out->family = a->family;
	out->cidr = (uint8_t)cidr;
	memcpy(out->addr, a->addr, sizeof(a->addr));
	mask_host_bits(out->addr, cidr);
	return 0;
}

int parse_prefix(const char *s, struct tw_prefix *out)
{
	char sug[TW_PREFIX_STRLEN];
	struct tw_addr a;

	if (parse_cidr(s, &a, out))
		return -1;
	if (memcmp(out->addr, a.addr, sizeof(a.addr)) != 0)
		return tw_err("invalid prefix '%s' (host bits set; did you mean %s?)",
			      s, fmt_prefix(out, sug));
	return 0;
}

static int endpoint_port(const char *s, const char *port, uint16_t *out)
{
	uint32_t v = 0;

	if (parse_u32(port, 1, 65535, &v))
		return tw_err("invalid endpoint '%s' (port must be 1-65535)",
			      s);
	*out = (uint16_t)v;
	return 0;
}

static int split_endpoint(const char *s, char host[TW_ADDR_STRLEN],
			  const char **port)
{
	const char *colon, *end;
	size_t len;

	*port = NULL;
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end || (end[1] && end[1] != ':'))
			return tw_err("invalid endpoint '%s'", s);
		if (end[1] == ':')
			*port = end + 2;
		s++;
		len = (size_t)(end - s);
	} else {
		colon = strchr(s, ':');
		/* one colon: ADDR:PORT; more: a bare IPv6 address */
		if (colon && !strchr(colon + 1, ':')) {
			*port = colon + 1;
			len = (size_t)(colon - s);
		} else {
			len = strlen(s);
		}
	}
	if (len >= TW_ADDR_STRLEN)
		return tw_err("invalid endpoint '%.64s...'", s);
	memcpy(host, s, len);
	host[len] = '\0';
	return 0;
}

/* Zero and multicast addresses, refused naming `what` and the token. */
static int check_unicast(const char *what, const char *s,
			 const struct tw_addr *a)
{
	static const uint8_t zero[16];

	if (a->family == AF_INET) {
		if (a->addr[0] == 0)
			return tw_err("invalid %s '%s' (zero address)", what, s);
		if ((a->addr[0] & 0xf0) == 0xe0)
			return tw_err("invalid %s '%s' (multicast)", what, s);
		return 0;
	}
	if (!memcmp(a->addr, zero, sizeof(zero)))
		return tw_err("invalid %s '%s' (zero address)", what, s);
	if (a->addr[0] == 0xff)
		return tw_err("invalid %s '%s' (multicast)", what, s);
	return 0;
}

int parse_unicast(const char *s, const char *what, struct tw_addr *out)
{
	if (pton(s, out))
		return tw_err("invalid %s '%s'", what, s);
	return check_unicast(what, s, out);
}

/* What the kernel refuses as an endpoint, refused here with the token. */
static int check_endpoint(const char *s, const struct tw_addr *a)
{
	if (check_unicast("endpoint", s, a))
		return -1;
	if (a->family == AF_INET6 && a->addr[0] == 0xfe &&
	    (a->addr[1] & 0xc0) == 0x80)
		return tw_err("invalid endpoint '%s' (link-local endpoints are not supported)",
			      s);
	return 0;
}

int parse_endpoint(const char *s, union tw_sockaddr *out)
{
	char host[TW_ADDR_STRLEN];
	const char *port;
	struct tw_addr a;
	uint16_t p = 0;

	if (split_endpoint(s, host, &port))
		return -1;
	if (strchr(host, '%'))
		return tw_err("invalid endpoint '%s' (link-local endpoints are not supported)",
			      s);
	if (pton(host, &a) || (s[0] == '[' && a.family != AF_INET6))
		return tw_err("invalid endpoint '%s' (bad address)", s);
	if (port && endpoint_port(s, port, &p))
		return -1;
	if (check_endpoint(s, &a))
		return -1;
	memset(out, 0, sizeof(*out));
	if (a.family == AF_INET) {
		out->in.sin_family = AF_INET;
		out->in.sin_port = htons(p);
		memcpy(&out->in.sin_addr, a.addr, 4);
	} else {
		out->in6.sin6_family = AF_INET6;
		out->in6.sin6_port = htons(p);
		memcpy(&out->in6.sin6_addr, a.addr, 16);
	}
	return 0;
}

int parse_range(const char *s, const char *name, uint32_t min, uint32_t max,
		uint32_t *lo, uint32_t *hi)
{
	char lo_s[16];
	const char *dash = strchr(s, '-');
	size_t len = dash ? (size_t)(dash - s) : 0;

	if (!dash || len >= sizeof(lo_s))
		return tw_err("invalid %s '%s' (expected MIN-MAX)", name, s);
	memcpy(lo_s, s, len);
	lo_s[len] = '\0';
	if (parse_u32(lo_s, min, max, lo) || parse_u32(dash + 1, min, max, hi))
		return tw_err("invalid %s '%s' (ports must be %u-%u)", name, s,
			      min, max);
	if (*lo > *hi)
		return tw_err("invalid %s '%s' (MIN > MAX)", name, s);
	return 0;
}

static char *trim_blanks(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

int parse_list(const char *list, const char *what,
	       int (*item)(void *arg, const char *item), void *arg)
{
	char buf[TW_PREFIX_STRLEN + 2];
	const char *p = list, *comma;
	size_t len;

	while (*p == ' ' || *p == '\t')
		p++;
	while (*p) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len >= sizeof(buf))
			return tw_err("invalid %s '%.*s...'", what, 40, p);
		memcpy(buf, p, len);
		buf[len] = '\0';
		if (!*trim_blanks(buf))
			return tw_err("empty %s in list '%s'", what, list);
		if (item(arg, trim_blanks(buf)))
			return -1;
		if (!comma)
			break;
		p = comma + 1;
		if (!*p)
			return tw_err("empty %s in list '%s'", what, list);
	}
	return 0;
}

int parse_ifname(const char *s, char out[IFNAMSIZ])
{
	size_t len = strlen(s);

	if (!len || len >= IFNAMSIZ || strchr(s, '/') || strchr(s, ' '))
		return tw_err("invalid interface name '%s'", s);
	memcpy(out, s, len + 1);
	return 0;
}

const char *fmt_addr(const struct tw_addr *a, char buf[TW_ADDR_STRLEN])
{
	if (!a->family || !inet_ntop(a->family, a->addr, buf, TW_ADDR_STRLEN))
		snprintf(buf, TW_ADDR_STRLEN, "none");
	return buf;
}

const char *fmt_prefix(const struct tw_prefix *p, char buf[TW_PREFIX_STRLEN])
{
	char a[TW_ADDR_STRLEN];

	if (!inet_ntop(p->family, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, TW_PREFIX_STRLEN, "%s/%u", a, p->cidr);
	return buf;
}

const char *fmt_endpoint(const union tw_sockaddr *ep, char buf[TW_EP_STRLEN])
{
	char a[TW_ADDR_STRLEN];
	uint16_t port = ep_port(ep);
	bool v6 = ep->sa.sa_family == AF_INET6;
	const void *src = v6 ? (const void *)&ep->in6.sin6_addr :
			  (const void *)&ep->in.sin_addr;

	if (!inet_ntop(ep->sa.sa_family, src, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	if (!port)
		snprintf(buf, TW_EP_STRLEN, "%s", a);
	else
		snprintf(buf, TW_EP_STRLEN, v6 ? "[%s]:%u" : "%s:%u", a, port);
	return buf;
}

const char *fmt_mac(const uint8_t mac[TW_MAC_LEN], char buf[TW_MAC_STRLEN])
{
	snprintf(buf, TW_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}
