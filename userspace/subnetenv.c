// SPDX-License-Identifier: GPL-2.0
#include "subnetenv.h"
#include "parse.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

enum { K_NET, K_SUB, K_NET6, K_SUB6, K_MTU, K_MASQ };

static const char *const keys[] = {
	[K_NET] = "FLANNEL_NETWORK",
	[K_SUB] = "FLANNEL_SUBNET",
	[K_NET6] = "FLANNEL_IPV6_NETWORK",
	[K_SUB6] = "FLANNEL_IPV6_SUBNET",
	[K_MTU] = "FLANNEL_MTU",
	[K_MASQ] = "FLANNEL_IPMASQ",
};

static int set_prefix(const char *val, int family, struct tw_prefix *p)
{
	struct tw_addr a;

	if (parse_cidr(val, &a, p))
		return -1;
	if (p->family != family)
		return tw_err("'%s' is not an IPv%d prefix", val,
			      family == AF_INET ? 4 : 6);
	return 0;
}

static int set_value(struct tw_subnetenv *e, int key, const char *val)
{
	uint32_t v;

	switch (key) {
	case K_NET: return set_prefix(val, AF_INET, &e->network);
	case K_SUB: return set_prefix(val, AF_INET, &e->subnet);
	case K_NET6: return set_prefix(val, AF_INET6, &e->network6);
	case K_SUB6: return set_prefix(val, AF_INET6, &e->subnet6);
	case K_MTU:
		if (parse_u32(val, 68, 65535, &v))
			return tw_err("MTU '%s' is not 68-65535", val);
		e->mtu = v;
		return 0;
	default:
		if (strcmp(val, "true") != 0 && strcmp(val, "false") != 0)
			return tw_err("'%s' is not true or false", val);
		e->ipmasq = !strcmp(val, "true");
		return 0;
	}
}

static int parse_line(struct tw_subnetenv *e, char *line)
{
	char *eq, *end;
	size_t k;

	end = line + strlen(line);
	while (end > line && strchr(" \t\r", end[-1]))
		*--end = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	if (!*line || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (!eq)
		return tw_err("expected KEY=VALUE");
	*eq = '\0';
	for (k = 0; k < TW_ARRAY_SIZE(keys); k++)
		if (!strcmp(line, keys[k]))
			break;
	if (k == TW_ARRAY_SIZE(keys))
		return 0;
	if (set_value(e, (int)k, eq + 1))
		return tw_err_ctx("%s", keys[k]);
	return 0;
}

int subnetenv_parse(const char *text, struct tw_subnetenv *e)
{
	char line[512];
	const char *p = text, *nl;
	unsigned int n = 0;
	size_t len;

	memset(e, 0, sizeof(*e));
	while (*p) {
		n++;
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len >= sizeof(line))
			return tw_err("line %u: too long", n);
		memcpy(line, p, len);
		line[len] = '\0';
		if (parse_line(e, line))
			return tw_err_ctx("line %u", n);
		p += len + (nl ? 1 : 0);
	}
	if (!e->subnet.family && !e->subnet6.family)
		return tw_err("no FLANNEL_SUBNET or FLANNEL_IPV6_SUBNET");
	return 0;
}

/* "10.244.3.1/24": the prefix's first address. */
static const char *first_addr(const struct tw_prefix *p,
			      char buf[TW_PREFIX_STRLEN])
{
	char s[TW_ADDR_STRLEN];
	struct tw_addr a = { .family = p->family };

	memcpy(a.addr, p->addr, sizeof(a.addr));
	a.addr[p->family == AF_INET ? 3 : 15] |= 1;
	snprintf(buf, TW_PREFIX_STRLEN, "%s/%u", fmt_addr(&a, s), p->cidr);
	return buf;
}

/* Appends to buf (size len, *n used so far), cutting what does not fit. */
static void __attribute__((format(printf, 4, 5)))
put(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*n >= len)
		return;
	va_start(ap, fmt);
	r = vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
	*n = r < 0 ? len : *n + (size_t)r;
}

void subnetenv_format(const struct tw_subnetenv *e, char *buf, size_t len)
{
	char a[TW_PREFIX_STRLEN];
	size_t n = 0;

	if (len)
		buf[0] = '\0';
	if (e->network.family)
		put(buf, len, &n, "FLANNEL_NETWORK=%s\n", fmt_prefix(&e->network, a));
	if (e->subnet.family)
		put(buf, len, &n, "FLANNEL_SUBNET=%s\n", first_addr(&e->subnet, a));
	if (e->network6.family)
		put(buf, len, &n, "FLANNEL_IPV6_NETWORK=%s\n",
		    fmt_prefix(&e->network6, a));
	if (e->subnet6.family)
		put(buf, len, &n, "FLANNEL_IPV6_SUBNET=%s\n",
		    first_addr(&e->subnet6, a));
	if (e->mtu)
		put(buf, len, &n, "FLANNEL_MTU=%u\n", e->mtu);
	put(buf, len, &n, "FLANNEL_IPMASQ=%s\n", e->ipmasq ? "true" : "false");
}
