// SPDX-License-Identifier: GPL-2.0
/* CNI results: read an IPAM plugin's or a prevResult, write ours. */
#include "cni.h"
#include "parse.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static int bad(const char *what, const char *val)
{
	return cni_err(CNI_E_DECODE, "result: %s \"%.64s\" is invalid", what,
		       val ? val : "(not a string)");
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int get_cidr(json_object *o, const char *key, bool need,
		    struct tw_addr *a, uint8_t *plen)
{
	const char *s = str_of(o, key);
	struct tw_prefix p;

	memset(a, 0, sizeof(*a));
	if (!s)
		return need || json_object_object_get_ex(o, key, NULL) ?
		       bad(key, NULL) : 0;
	if (!strchr(s, '/') || parse_cidr(s, a, &p))
		return bad(key, s);
	*plen = p.cidr;
	return 0;
}

static int get_addr(json_object *o, const char *key, struct tw_addr *a)
{
	const char *s = str_of(o, key);

	memset(a, 0, sizeof(*a));
	if (!s)
		return json_object_object_get_ex(o, key, NULL) ? bad(key, NULL) : 0;
	if (parse_addr(s, a))
		return bad(key, s);
	return 0;
}

static int array_of(json_object *o, const char *key, json_object **a,
		    size_t max)
{
	*a = NULL;
	if (!json_object_object_get_ex(o, key, a) ||
	    json_object_is_type(*a, json_type_null)) {
		*a = NULL;
		return 0;
	}
	if (!json_object_is_type(*a, json_type_array))
		return cni_err(CNI_E_DECODE, "result: \"%s\" is not an array", key);
	if (json_object_array_length(*a) > max)
		return cni_err(CNI_E_DECODE, "result: more than %zu %s", max, key);
	return 0;
}

static int parse_ip(json_object *o, struct cni_ip *ip)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object))
		return cni_err(CNI_E_DECODE, "result: an ips entry is not an object");
	if (get_cidr(o, "address", true, &ip->addr, &ip->plen) ||
	    get_addr(o, "gateway", &ip->gw))
		return -1;
	if (ip->gw.family && ip->gw.family != ip->addr.family)
		return bad("gateway", str_of(o, "gateway"));
	ip->iface = -1;
	if (json_object_object_get_ex(o, "interface", &v)) {
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int(v) < 0 || json_object_get_int(v) > 64)
			return cni_err(CNI_E_DECODE, "result: an ips entry's interface is invalid");
		ip->iface = json_object_get_int(v);
	}
	return 0;
}

static int parse_route(json_object *o, struct cni_route *r)
{
	if (!json_object_is_type(o, json_type_object))
		return cni_err(CNI_E_DECODE, "result: a routes entry is not an object");
	if (get_cidr(o, "dst", true, &r->dst, &r->plen) ||
	    get_addr(o, "gw", &r->gw))
		return -1;
	if (r->gw.family && r->gw.family != r->dst.family)
		return bad("gw", str_of(o, "gw"));
	return 0;
}

static int parse_iface(json_object *o, struct cni_iface *f)
{
	const char *name, *mac, *sandbox;

	if (!json_object_is_type(o, json_type_object))
		return cni_err(CNI_E_DECODE, "result: an interfaces entry is not an object");
	name = str_of(o, "name");
	if (!name || parse_ifname(name, f->name))
		return bad("interface name", name);
	mac = str_of(o, "mac");
	if (mac && parse_mac(mac, f->mac))
		return bad("mac", mac);
	sandbox = str_of(o, "sandbox");
	if (sandbox && strlen(sandbox) >= sizeof(f->sandbox))
		return bad("sandbox", sandbox);
	snprintf(f->sandbox, sizeof(f->sandbox), "%s", sandbox ? sandbox : "");
	return 0;
}

int cni_result_parse(json_object *o, struct cni_result *r)
{
	json_object *ips, *routes, *ifaces, *dns;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (!o || !json_object_is_type(o, json_type_object))
		return cni_err(CNI_E_DECODE, "the result is not a JSON object");
	if (array_of(o, "ips", &ips, CNI_MAX_IPS) ||
	    array_of(o, "routes", &routes, CNI_MAX_ROUTES) ||
	    array_of(o, "interfaces", &ifaces, TW_ARRAY_SIZE(r->ifaces)))
		return -1;
	for (i = 0; ips && i < json_object_array_length(ips); i++)
		if (parse_ip(json_object_array_get_idx(ips, i), &r->ips[r->n_ips++]))
			return -1;
	for (i = 0; routes && i < json_object_array_length(routes); i++)
		if (parse_route(json_object_array_get_idx(routes, i),
				&r->routes[r->n_routes++]))
			return -1;
	for (i = 0; ifaces && i < json_object_array_length(ifaces); i++)
		if (parse_iface(json_object_array_get_idx(ifaces, i),
				&r->ifaces[r->n_ifaces++]))
			return -1;
	for (i = 0; i < r->n_ips; i++) {
		/* an IPAM result names interfaces it does not list */
		if (!r->n_ifaces)
			r->ips[i].iface = -1;
		else if (r->ips[i].iface >= (int)r->n_ifaces)
			return cni_err(CNI_E_DECODE, "result: an ips entry names interface %d of %zu",
				       r->ips[i].iface, r->n_ifaces);
	}
	if (json_object_object_get_ex(o, "dns", &dns) &&
	    json_object_is_type(dns, json_type_object))
		r->dns = json_object_get(dns);
	return 0;
}

void cni_result_free(struct cni_result *r)
{
	json_object_put(r->dns);
	r->dns = NULL;
}

static json_object *cidr_json(const struct tw_addr *a, uint8_t plen)
{
	char s[TW_ADDR_STRLEN], buf[TW_PREFIX_STRLEN];

	snprintf(buf, sizeof(buf), "%s/%u", fmt_addr(a, s), plen);
	return json_object_new_string(buf);
}

static json_object *addr_json(const struct tw_addr *a)
{
	char s[TW_ADDR_STRLEN];

	return json_object_new_string(fmt_addr(a, s));
}

json_object *cni_result_json(const struct cni_result *r, const char *version)
{
	json_object *o = json_object_new_object(), *a, *x;
	char mac[TW_MAC_STRLEN];
	bool old = cni_version_cmp(version, "1.0.0") < 0;
	size_t i;

	json_object_object_add(o, "cniVersion", json_object_new_string(version));
	a = json_object_new_array();
	for (i = 0; i < r->n_ifaces; i++) {
		x = json_object_new_object();
		json_object_object_add(x, "name",
				       json_object_new_string(r->ifaces[i].name));
		json_object_object_add(x, "mac", json_object_new_string(
			fmt_mac(r->ifaces[i].mac, mac)));
		if (r->ifaces[i].sandbox[0])
			json_object_object_add(x, "sandbox", json_object_new_string(
				r->ifaces[i].sandbox));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "interfaces", a);
	a = json_object_new_array();
	for (i = 0; i < r->n_ips; i++) {
		x = json_object_new_object();
		/* 0.3.x and 0.4.0 name the family */
		if (old)
			json_object_object_add(x, "version", json_object_new_string(
				r->ips[i].addr.family == AF_INET ? "4" : "6"));
		json_object_object_add(x, "address",
				       cidr_json(&r->ips[i].addr, r->ips[i].plen));
		if (r->ips[i].gw.family)
			json_object_object_add(x, "gateway",
					       addr_json(&r->ips[i].gw));
		if (r->ips[i].iface >= 0)
			json_object_object_add(x, "interface",
					       json_object_new_int(r->ips[i].iface));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "ips", a);
	a = json_object_new_array();
	for (i = 0; i < r->n_routes; i++) {
		x = json_object_new_object();
		json_object_object_add(x, "dst", cidr_json(&r->routes[i].dst,
							   r->routes[i].plen));
		if (r->routes[i].gw.family)
			json_object_object_add(x, "gw", addr_json(&r->routes[i].gw));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "routes", a);
	json_object_object_add(o, "dns", r->dns ? json_object_get(r->dns) :
			       json_object_new_object());
	return o;
}

/* Appends copies of the entries of ours[key] to merged[key] (made if
 * missing); the index of the first one appended. */
static size_t append_all(json_object *merged, json_object *ours,
			 const char *key, json_object **dst)
{
	json_object *src, *copy;
	size_t i, first;

	if (!json_object_object_get_ex(merged, key, dst) ||
	    !json_object_is_type(*dst, json_type_array)) {
		*dst = json_object_new_array();
		json_object_object_add(merged, key, *dst);
	}
	first = json_object_array_length(*dst);
	if (!json_object_object_get_ex(ours, key, &src) ||
	    !json_object_is_type(src, json_type_array))
		return first;
	for (i = 0; i < json_object_array_length(src); i++) {
		copy = NULL;
		if (!json_object_deep_copy(json_object_array_get_idx(src, i),
					   &copy, NULL))
			json_object_array_add(*dst, copy);
	}
	return first;
}

json_object *cni_result_merge(json_object *prev, json_object *ours)
{
	json_object *merged = json_object_new_object(), *arr, *ip, *v, *dns;
	size_t shift, i;

	/* our version first, then a copy of the rest of prev */
	if (json_object_object_get_ex(ours, "cniVersion", &v))
		json_object_object_add(merged, "cniVersion", json_object_get(v));
	json_object_object_foreach(prev, key, val) {
		if (!strcmp(key, "cniVersion"))
			continue;
		v = NULL;
		if (json_object_deep_copy(val, &v, NULL)) {
			json_object_put(merged);
			return NULL;
		}
		json_object_object_add(merged, key, v);
	}
	/* ours come last: their interface indexes move past the others' */
	shift = append_all(merged, ours, "interfaces", &arr);
	for (i = append_all(merged, ours, "ips", &arr);
	     i < json_object_array_length(arr); i++) {
		ip = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(ip, "interface", &v))
			json_object_object_add(ip, "interface", json_object_new_int(
				json_object_get_int(v) + (int)shift));
	}
	append_all(merged, ours, "routes", &arr);
	if ((!json_object_object_get_ex(merged, "dns", &dns) ||
	     !json_object_is_type(dns, json_type_object) ||
	     !json_object_object_length(dns)) &&
	    json_object_object_get_ex(ours, "dns", &dns))
		json_object_object_add(merged, "dns", json_object_get(dns));
	return merged;
}
