// SPDX-License-Identifier: GPL-2.0
#include "cluster.h"
#include "parse.h"
#include "util.h"

#include <arpa/inet.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_VNI 1
#define DEFAULT_PORT 8472
#define VNI_MAX 0xffffff
#define DEFAULT_SUBNET_LEN6 64

/* IPv6 subnet arithmetic: 128 bits, which gcc and clang have. */
typedef unsigned __int128 u128;

static u128 u128_of(const uint8_t a[16])
{
	u128 v = 0;
	int i;

	for (i = 0; i < 16; i++)
		v = v << 8 | a[i];
	return v;
}

static void u128_put(u128 v, uint8_t a[16])
{
	int i;

	for (i = 15; i >= 0; i--, v >>= 8)
		a[i] = (uint8_t)v;
}

static u128 mask6_of(uint8_t plen)
{
	return plen ? ~(u128)0 << (128 - plen) : 0;
}

static bool has6(const struct tw_prefix *net, const uint8_t a[16])
{
	return (u128_of(a) & mask6_of(net->cidr)) == u128_of(net->addr);
}

static uint32_t mask_of(uint8_t plen)
{
	return plen ? ~(uint32_t)0 << (32 - plen) : 0;
}

bool subnet_has(uint32_t network, uint8_t plen, uint32_t a)
{
	return (a & mask_of(plen)) == network;
}

/* An IPv4 address or CIDR in host order; plen NULL: an address. */
static int parse_v4(const char *s, const char *what, uint32_t *addr,
		    uint8_t *plen)
{
	struct tw_prefix p;
	struct tw_addr a;

	if (plen) {
		if (parse_prefix(s, &p))
			return tw_err_ctx("%s", what);
		if (p.family != AF_INET)
			return tw_err("%s '%s' is not IPv4", what, s);
		memcpy(addr, p.addr, 4);
		*plen = p.cidr;
	} else {
		if (parse_addr(s, &a))
			return tw_err_ctx("%s", what);
		if (a.family != AF_INET)
			return tw_err("%s '%s' is not IPv4", what, s);
		memcpy(addr, a.addr, 4);
	}
	*addr = ntohl(*addr);
	return 0;
}

/* obj[key] as a string; absent: NULL; another type: an error. */
static int get_str(struct json_object *obj, const char *key, const char **out)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return tw_err("%s must be a string", key);
	*out = json_object_get_string(v);
	return 0;
}

/* obj[key] as an integer in min..max; absent: *out unchanged. */
static int get_uint(struct json_object *obj, const char *key, uint32_t min,
		    uint32_t max, uint32_t *out)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return tw_err("%s must be an integer", key);
	n = json_object_get_int64(v);
	if (n < min || n > max)
		return tw_err("%s %lld is out of range %u-%u", key, (long long)n,
			      min, max);
	*out = (uint32_t)n;
	return 0;
}

static struct json_object *parse_json(const char *s, size_t len,
				      const char *what)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *obj;
	enum json_tokener_error err;

	obj = json_tokener_parse_ex(tok, s, (int)len);
	err = json_tokener_get_error(tok);
	if (obj && err == json_tokener_success &&
	    json_tokener_get_parse_end(tok) < len) {
		json_object_put(obj);
		obj = NULL;
		tw_err("%s: invalid JSON: trailing data", what);
	} else if (!obj || err != json_tokener_success) {
		json_object_put(obj);
		obj = NULL;
		tw_err("%s: invalid JSON: %s", what,
		       err == json_tokener_continue ? "unexpected end" :
		       json_tokener_error_desc(err));
	} else if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		obj = NULL;
		tw_err("%s: not a JSON object", what);
	}
	json_tokener_free(tok);
	return obj;
}

static int get_bool(struct json_object *obj, const char *key, bool *out);

static int parse_backend(struct json_object *root, struct tw_netconf *c)
{
	struct json_object *be;
	const char *type;
	uint32_t port = DEFAULT_PORT;

	if (!json_object_object_get_ex(root, "Backend", &be) ||
	    json_object_is_type(be, json_type_null))
		return 0;
	if (!json_object_is_type(be, json_type_object))
		return tw_err("Backend must be an object");
	if (get_str(be, "Type", &type))
		return -1;
	if (type && strcmp(type, "vxlan") != 0)
		return tw_err("Backend Type '%s' is not supported (twill speaks vxlan)",
			      type);
	if (get_uint(be, "VNI", 0, VNI_MAX, &c->vni) ||
	    get_uint(be, "Port", 0, 65535, &port) ||
	    get_bool(be, "DirectRouting", &c->direct_routing))
		return tw_err_ctx("Backend");
	/* flannel: 0 means the default */
	c->port = port ? (uint16_t)port : DEFAULT_PORT;
	if (!c->vni)
		c->vni = DEFAULT_VNI;
	return 0;
}

/* A SubnetMin/SubnetMax given: inside the network, on a boundary. */
static int parse_bound(struct json_object *root, const char *key,
		       const struct tw_netconf *c, uint32_t *out)
{
	const char *s;
	uint32_t a = 0;

	if (get_str(root, key, &s))
		return -1;
	if (!s)
		return 0;
	if (parse_v4(s, key, &a, NULL))
		return -1;
	if (!subnet_has(c->network, c->plen, a))
		return tw_err("%s %s is not in Network", key, s);
	if (a & ~mask_of(c->subnet_len))
		return tw_err("%s %s is not on a /%u boundary", key, s,
			      c->subnet_len);
	*out = a;
	return 0;
}

/* An IPv6SubnetMin/Max given: inside IPv6Network, on a boundary. */
static int parse_bound6(struct json_object *root, const char *key,
			const struct tw_netconf *c, uint8_t out[16])
{
	const char *s;
	struct tw_addr a;

	if (get_str(root, key, &s))
		return -1;
	if (!s)
		return 0;
	if (parse_addr(s, &a))
		return tw_err_ctx("%s", key);
	if (a.family != AF_INET6)
		return tw_err("%s '%s' is not IPv6", key, s);
	if (!has6(&c->network6, a.addr))
		return tw_err("%s %s is not in IPv6Network", key, s);
	if (u128_of(a.addr) & ~mask6_of(c->subnet_len6))
		return tw_err("%s %s is not on a /%u boundary", key, s,
			      c->subnet_len6);
	memcpy(out, a.addr, 16);
	return 0;
}

/* obj[key] as a boolean; absent or null: *out unchanged. */
static int get_bool(struct json_object *obj, const char *key, bool *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return tw_err("%s must be true or false", key);
	*out = json_object_get_boolean(v);
	return 0;
}

/* IPv6Network and its subnets, flanneld's rules and defaults. */
static int netconf_from6(struct json_object *root, struct tw_netconf *c)
{
	const char *net;
	uint32_t slen;
	u128 step, last;

	if (get_str(root, "IPv6Network", &net))
		return -1;
	if (!net)
		return tw_err("EnableIPv6 is true but IPv6Network is missing");
	if (parse_prefix(net, &c->network6))
		return tw_err_ctx("IPv6Network");
	if (c->network6.family != AF_INET6)
		return tw_err("IPv6Network '%s' is not IPv6", net);
	if (c->network6.cidr > 124)
		return tw_err("IPv6Network %s is too small (at most /124)", net);
	c->subnet_len6 = c->network6.cidr <= 62 ? DEFAULT_SUBNET_LEN6 :
			 c->network6.cidr + 2;
	slen = c->subnet_len6;
	if (get_uint(root, "IPv6SubnetLen", 0, 128, &slen))
		return -1;
	/* flannel: 0 means the default */
	if (slen && slen != c->subnet_len6) {
		if (slen > 126)
			return tw_err("IPv6SubnetLen %u is too long (at most 126)",
				      slen);
		if (slen < (uint32_t)c->network6.cidr + 2)
			return tw_err("IPv6SubnetLen %u is too short: IPv6Network %s must hold at least four subnets",
				      slen, net);
		c->subnet_len6 = (uint8_t)slen;
	}
	step = (u128)1 << (128 - c->subnet_len6);
	last = (u128_of(c->network6.addr) | ~mask6_of(c->network6.cidr)) &
	       mask6_of(c->subnet_len6);
	u128_put(u128_of(c->network6.addr) + step, c->min6);
	u128_put(last, c->max6);
	if (parse_bound6(root, "IPv6SubnetMin", c, c->min6) ||
	    parse_bound6(root, "IPv6SubnetMax", c, c->max6))
		return -1;
	if (u128_of(c->min6) > u128_of(c->max6))
		return tw_err("IPv6SubnetMin is above IPv6SubnetMax");
	return 0;
}

static int netconf_from(struct json_object *root, struct tw_netconf *c)
{
	bool v4 = true;

	const char *net, *v6net;
	struct json_object *v;
	uint32_t slen = 0, step;

	if (get_bool(root, "EnableIPv4", &v4))
		return -1;
	if (!v4)
		return tw_err("EnableIPv4 is false: IPv6-only networks are not supported (twilld needs an IPv4 Network)");
	if (get_str(root, "Network", &net))
		return -1;
	if (!net)
		return tw_err("Network is missing");
	if (parse_v4(net, "Network", &c->network, &c->plen))
		return -1;
	c->subnet_len = c->plen <= 22 ? 24 : c->plen + 2;
	if (json_object_object_get_ex(root, "SubnetLen", &v)) {
		if (get_uint(root, "SubnetLen", 0, 32, &slen))
			return -1;
		if (slen > 30)
			return tw_err("SubnetLen %u is too long (at most 30)",
				      slen);
		if (slen < (uint32_t)c->plen + 2)
			return tw_err("SubnetLen %u is too short: Network %s must hold at least four subnets",
				      slen, net);
		c->subnet_len = (uint8_t)slen;
	}
	step = (uint32_t)1 << (32 - c->subnet_len);
	c->subnet_min = c->network + step;
	c->subnet_max = (c->network | ~mask_of(c->plen)) & mask_of(c->subnet_len);
	if (parse_bound(root, "SubnetMin", c, &c->subnet_min) ||
	    parse_bound(root, "SubnetMax", c, &c->subnet_max))
		return -1;
	if (c->subnet_min > c->subnet_max)
		return tw_err("SubnetMin is above SubnetMax");
	if (get_bool(root, "EnableIPv6", &c->ipv6))
		return -1;
	if (c->ipv6 && netconf_from6(root, c))
		return -1;
	if (get_str(root, "IPv6Network", &v6net))
		return -1;
	c->v6_ignored = !c->ipv6 && v6net;
	return parse_backend(root, c);
}

int netconf_parse(const char *json, struct tw_netconf *c)
{
	struct json_object *root = parse_json(json, strlen(json), "config");
	int ret;

	memset(c, 0, sizeof(*c));
	c->vni = DEFAULT_VNI;
	c->port = DEFAULT_PORT;
	if (!root)
		return -1;
	ret = netconf_from(root, c);
	json_object_put(root);
	return ret ? tw_err_ctx("config") : 0;
}

uint32_t netconf_count(const struct tw_netconf *c)
{
	return ((c->subnet_max - c->subnet_min) >> (32 - c->subnet_len)) + 1;
}

bool netconf_has(const struct tw_netconf *c, uint32_t subnet, uint8_t plen)
{
	return plen >= c->plen && subnet_has(c->network, c->plen, subnet);
}

uint64_t netconf_count6(const struct tw_netconf *c)
{
	u128 n = (u128_of(c->max6) - u128_of(c->min6)) >> (128 - c->subnet_len6);

	return n >= UINT64_MAX ? UINT64_MAX : (uint64_t)n + 1;
}

bool netconf_has6(const struct tw_netconf *c, const struct tw_prefix *p)
{
	return c->ipv6 && p->family == AF_INET6 &&
	       p->cidr >= c->network6.cidr && has6(&c->network6, p->addr);
}

static void fmt_v4(uint32_t a, char buf[INET_ADDRSTRLEN])
{
	uint32_t n = htonl(a);

	inet_ntop(AF_INET, &n, buf, INET_ADDRSTRLEN);
}

void subnet_key(uint32_t subnet, uint8_t plen, char buf[TW_SUBNET_KEYLEN])
{
	char a[INET_ADDRSTRLEN];

	fmt_v4(subnet, a);
	snprintf(buf, TW_SUBNET_KEYLEN, "%s-%u", a, plen);
}

void subnet_cidr(uint32_t subnet, uint8_t plen, uint32_t host,
		 char buf[TW_SUBNET_KEYLEN])
{
	char a[INET_ADDRSTRLEN];

	fmt_v4(subnet + host, a);
	snprintf(buf, TW_SUBNET_KEYLEN, "%s/%u", a, plen);
}

int subnet_key_parse(const char *s, uint32_t *subnet, uint8_t *plen)
{
	struct tw_lease l;

	memset(&l, 0, sizeof(l));
	if (lease_key_parse(s, &l))
		return -1;
	*subnet = l.subnet;
	*plen = l.plen;
	return 0;
}

/* "fd00:244:3::-64" (in buf, changed) as an IPv6 prefix. */
static int key_part6(char *buf, const char *s, struct tw_prefix *p)
{
	char *dash = strrchr(buf, '-');

	if (!dash)
		return tw_err("invalid subnet key '%s'", s);
	*dash = '/';
	if (parse_prefix(buf, p))
		return tw_err_ctx("subnet key");
	if (p->family != AF_INET6)
		return tw_err("subnet key '%s': the part after '&' is not IPv6", s);
	return 0;
}

int lease_key_parse(const char *s, struct tw_lease *l)
{
	char buf[TW_SUBNET_KEYLEN];
	size_t len = strlen(s);
	char *dash, *amp;

	if (len >= sizeof(buf))
		return tw_err("invalid subnet key '%s'", s);
	memcpy(buf, s, len + 1);
	amp = strchr(buf, '&');
	if (amp)
		*amp++ = '\0';
	dash = strrchr(buf, '-');
	if (!dash)
		return tw_err("invalid subnet key '%s'", s);
	*dash = '/';
	if (parse_v4(buf, "subnet key", &l->subnet, &l->plen))
		return -1;
	l->has6 = amp != NULL;
	memset(&l->subnet6, 0, sizeof(l->subnet6));
	return amp ? key_part6(amp, s, &l->subnet6) : 0;
}

void lease_key(const struct tw_lease *l, char buf[TW_SUBNET_KEYLEN])
{
	struct tw_addr a = { .family = AF_INET6 };
	char s[TW_ADDR_STRLEN];
	size_t n;

	subnet_key(l->subnet, l->plen, buf);
	if (!l->has6)
		return;
	memcpy(a.addr, l->subnet6.addr, 16);
	n = strlen(buf);
	snprintf(buf + n, TW_SUBNET_KEYLEN - n, "&%s-%u", fmt_addr(&a, s),
		 l->subnet6.cidr);
}

/* PublicIPv6, if given: a unicast IPv6 address. */
static int lease_ip6(struct json_object *root, struct tw_lease *l)
{
	const char *ip6;

	if (get_str(root, "PublicIPv6", &ip6))
		return -1;
	if (!ip6)
		return 0;
	if (parse_unicast(ip6, "PublicIPv6", &l->public_ip6))
		return -1;
	if (l->public_ip6.family != AF_INET6)
		return tw_err("PublicIPv6 '%s' is not IPv6", ip6);
	return 0;
}

static int lease_from(struct json_object *root, struct tw_lease *l)
{
	struct json_object *bd;
	const char *ip, *type, *mac;

	if (get_str(root, "PublicIP", &ip) || get_str(root, "BackendType", &type) ||
	    lease_ip6(root, l))
		return -1;
	/* flannel writes 0.0.0.0 for a host with an IPv6 underlay only */
	if ((!ip || !strcmp(ip, "0.0.0.0")) && l->public_ip6.family)
		return tw_err("only an IPv6 PublicIPv6: twilld's underlay is IPv4");
	if (!ip)
		return tw_err("PublicIP is missing");
	if (parse_unicast(ip, "PublicIP", &l->public_ip))
		return -1;
	if (l->public_ip.family != AF_INET)
		return tw_err("PublicIP '%s' is not IPv4", ip);
	if (!type || strcmp(type, "vxlan") != 0)
		return tw_err("BackendType '%s' is not vxlan", type ? type : "");
	l->vni = DEFAULT_VNI;
	if (!json_object_object_get_ex(root, "BackendData", &bd) ||
	    !json_object_is_type(bd, json_type_object))
		return tw_err("BackendData is missing");
	if (get_uint(bd, "VNI", 0, VNI_MAX, &l->vni) ||
	    get_str(bd, "VtepMAC", &mac))
		return tw_err_ctx("BackendData");
	if (mac) {
		if (parse_mac(mac, l->mac))
			return tw_err_ctx("VtepMAC");
		l->has_mac = true;
	}
	return 0;
}

int lease_parse(const char *json, size_t len, struct tw_lease *l)
{
	struct json_object *root = parse_json(json, len, "lease");
	int ret;

	memset(&l->public_ip, 0, sizeof(l->public_ip));
	memset(&l->public_ip6, 0, sizeof(l->public_ip6));
	l->has_mac = false;
	l->vni = 0;
	if (!root)
		return -1;
	ret = lease_from(root, l);
	json_object_put(root);
	return ret;
}

char *lease_format(const struct tw_lease *l)
{
	struct json_object *root = json_object_new_object();
	struct json_object *bd = json_object_new_object();
	char ip[TW_ADDR_STRLEN], mac[TW_MAC_STRLEN];
	char *s;

	json_object_object_add(root, "PublicIP",
			       json_object_new_string(fmt_addr(&l->public_ip, ip)));
	if (l->public_ip6.family)
		json_object_object_add(root, "PublicIPv6",
				       json_object_new_string(fmt_addr(&l->public_ip6, ip)));
	json_object_object_add(root, "BackendType",
			       json_object_new_string("vxlan"));
	json_object_object_add(bd, "VNI", json_object_new_int((int)l->vni));
	if (l->has_mac)
		json_object_object_add(bd, "VtepMAC",
				       json_object_new_string(fmt_mac(l->mac, mac)));
	json_object_object_add(root, "BackendData", bd);
	s = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
						  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	if (!s)
		abort();
	return s;
}

static bool is_taken(const uint32_t *taken, size_t n, uint32_t s)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (taken[mid] == s)
			return true;
		if (taken[mid] < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int subnet_pick(const struct tw_netconf *c, const uint32_t *taken,
		size_t ntaken, uint32_t start, uint32_t *out)
{
	uint32_t count = netconf_count(c), i, idx, s;
	char lo[INET_ADDRSTRLEN], hi[INET_ADDRSTRLEN];

	for (i = 0; i < count; i++) {
		idx = (uint32_t)(((uint64_t)start + i) % count);
		s = c->subnet_min + (idx << (32 - c->subnet_len));
		if (!is_taken(taken, ntaken, s)) {
			*out = s;
			return 0;
		}
	}
	fmt_v4(c->subnet_min, lo);
	fmt_v4(c->subnet_max, hi);
	return tw_err("the network is full: all %u subnets /%u from %s to %s are leased",
		      count, c->subnet_len, lo, hi);
}

static bool is_taken6(const uint8_t (*taken)[16], size_t n, const uint8_t s[16])
{
	size_t lo = 0, hi = n, mid;
	int d;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		d = memcmp(taken[mid], s, 16);
		if (!d)
			return true;
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int subnet_pick6(const struct tw_netconf *c, const uint8_t (*taken)[16],
		 size_t ntaken, uint64_t start, struct tw_prefix *out)
{
	uint64_t count = netconf_count6(c), i, idx;
	struct tw_addr lo = { .family = AF_INET6 }, hi = { .family = AF_INET6 };
	char a[TW_ADDR_STRLEN], b[TW_ADDR_STRLEN];
	uint8_t s[16];

	/*
	 * At most ntaken + 1 tries: among that many distinct subnets one is
	 * free, so a /32 of /64s is not walked through.
	 */
	for (i = 0; i < count && i <= ntaken; i++) {
		idx = start % count + i;
		if (idx >= count || idx < i)
			idx -= count;
		u128_put(u128_of(c->min6) + ((u128)idx << (128 - c->subnet_len6)),
			 s);
		if (!is_taken6(taken, ntaken, s)) {
			memset(out, 0, sizeof(*out));
			out->family = AF_INET6;
			out->cidr = c->subnet_len6;
			memcpy(out->addr, s, 16);
			return 0;
		}
	}
	memcpy(lo.addr, c->min6, 16);
	memcpy(hi.addr, c->max6, 16);
	return tw_err("the IPv6 network is full: all %llu subnets /%u from %s to %s are leased",
		      (unsigned long long)count, c->subnet_len6, fmt_addr(&lo, a),
		      fmt_addr(&hi, b));
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *b64_encode(const void *data, size_t len)
{
	const uint8_t *p = data;
	char *out = tw_malloc((len + 2) / 3 * 4 + 1), *o = out;
	uint32_t v;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = b64[v >> 18];
		*o++ = b64[(v >> 12) & 63];
		*o++ = b64[(v >> 6) & 63];
		*o++ = b64[v & 63];
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		*o++ = b64[v >> 18];
		*o++ = b64[(v >> 12) & 63];
		*o++ = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

int b64_decode(const char *s, char **out, size_t *len)
{
	size_t n = strlen(s), i, k;
	uint32_t v;
	char *o;
	int d, pad;

	if (n % 4)
		return tw_err("invalid base64 (length %zu)", n);
	o = tw_malloc(n / 4 * 3 + 1);
	for (i = 0, k = 0; i < n; i += 4) {
		v = 0;
		pad = 0;
		for (d = 0; d < 4; d++) {
			int x = b64_val(s[i + d]);

			if (s[i + d] == '=' && i + 4 == n && d >= 2 &&
			    (d == 3 || s[i + 3] == '=')) {
				pad++;
				x = 0;
			} else if (x < 0) {
				free(o);
				return tw_err("invalid base64");
			}
			v = v << 6 | (uint32_t)x;
		}
		o[k++] = (char)(v >> 16);
		if (pad < 2)
			o[k++] = (char)(v >> 8);
		if (pad < 1)
			o[k++] = (char)v;
	}
	o[k] = '\0';
	*out = o;
	*len = k;
	return 0;
}

char *prefix_end(const char *prefix)
{
	size_t n = strlen(prefix);
	char *end = tw_malloc(n + 1);

	memcpy(end, prefix, n + 1);
	while (n > 0) {
		if ((unsigned char)end[n - 1] < 0xff) {
			end[n - 1]++;
			end[n] = '\0';
			return end;
		}
		n--;
	}
	/* all 0xff: to the end of the key space ("\0") */
	end[0] = '\0';
	return end;
}
