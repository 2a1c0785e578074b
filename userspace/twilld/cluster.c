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
	    get_uint(be, "Port", 0, 65535, &port))
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

static int netconf_from(struct json_object *root, struct tw_netconf *c)
{
	const char *net, *v6net;
	struct json_object *v;
	uint32_t slen = 0, step;

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
	if (json_object_object_get_ex(root, "EnableIPv6", &v) &&
	    json_object_get_boolean(v))
		c->ipv6 = true;
	if (get_str(root, "IPv6Network", &v6net))
		return -1;
	if (v6net)
		c->ipv6 = true;
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
	char buf[TW_SUBNET_KEYLEN];
	size_t len = strlen(s);
	char *dash;

	/* dual-stack keys: "10.244.3.0-24&fd00:...-64"; the IPv4 part */
	if (len >= sizeof(buf))
		return tw_err("invalid subnet key '%s'", s);
	memcpy(buf, s, len + 1);
	dash = strchr(buf, '&');
	if (dash)
		*dash = '\0';
	dash = strrchr(buf, '-');
	if (!dash)
		return tw_err("invalid subnet key '%s'", s);
	*dash = '/';
	if (parse_v4(buf, "subnet key", subnet, plen))
		return -1;
	return 0;
}

static int lease_from(struct json_object *root, struct tw_lease *l)
{
	struct json_object *bd;
	const char *ip, *type, *mac;

	if (get_str(root, "PublicIP", &ip) || get_str(root, "BackendType", &type))
		return -1;
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
