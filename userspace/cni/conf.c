// SPDX-License-Identifier: GPL-2.0
/* twill-cni's configuration, versions, errors: nothing here does I/O. */
#include "cni.h"
#include "hash.h"
#include "parse.h"
#include "util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cni_code;

int cni_err(int code, const char *fmt, ...)
{
	char buf[TW_ERRLEN];
	va_list ap;

	/* through buf: the arguments may name tw_errmsg itself */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	memcpy(tw_errmsg, buf, sizeof(buf));
	cni_code = code;
	return -1;
}

json_object *cni_error_json(const char *version, int code, const char *msg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "cniVersion", json_object_new_string(
		version && cni_version_supported(version) ? version :
		CNI_SPEC_VERSION));
	json_object_object_add(o, "code", json_object_new_int(code));
	json_object_object_add(o, "msg", json_object_new_string(msg));
	return o;
}

static const char *const versions[] = {
	"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0",
};

bool cni_version_supported(const char *v)
{
	size_t i;

	for (i = 0; i < TW_ARRAY_SIZE(versions); i++)
		if (!strcmp(v, versions[i]))
			return true;
	return false;
}

json_object *cni_versions_json(void)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < TW_ARRAY_SIZE(versions); i++)
		json_object_array_add(a, json_object_new_string(versions[i]));
	return a;
}

/* "MAJOR.MINOR.PATCH" into three numbers (missing parts 0). */
static void version_parts(const char *s, unsigned long v[3])
{
	char *end;
	int i;

	for (i = 0; i < 3; i++) {
		v[i] = strtoul(s, &end, 10);
		s = *end == '.' ? end + 1 : end;
	}
}

int cni_version_cmp(const char *a, const char *b)
{
	unsigned long x[3], y[3];
	int i;

	version_parts(a, x);
	version_parts(b, y);
	for (i = 0; i < 3; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/* The spec's name rule: ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$ */
static bool spec_name(const char *s)
{
	if (!isalnum((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

/* A key's value of this type; NULL if absent or null, -1 if another type. */
static int opt_key(json_object *root, const char *key, json_type type,
		   json_object **out)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(root, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, type))
		return cni_err(CNI_E_CONFIG, "\"%s\" must be %s", key,
			       type == json_type_string ? "a string" : "an object");
	*out = v;
	return 0;
}

static int opt_string(json_object *root, const char *key, const char **out)
{
	json_object *v;

	if (opt_key(root, key, json_type_string, &v))
		return -1;
	*out = v ? json_object_get_string(v) : NULL;
	return 0;
}

static int opt_object(json_object *root, const char *key, json_object **out)
{
	return opt_key(root, key, json_type_object, out);
}

static int conf_mtu(json_object *root, uint32_t *mtu)
{
	json_object *v;
	int64_t n;

	*mtu = 0;
	if (!json_object_object_get_ex(root, "mtu", &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return cni_err(CNI_E_CONFIG, "\"mtu\" must be an integer");
	n = json_object_get_int64(v);
	if (n < 68 || n > 65535)
		return cni_err(CNI_E_CONFIG, "\"mtu\" %lld is not 68-65535",
			       (long long)n);
	*mtu = (uint32_t)n;
	return 0;
}

static int conf_fields(struct cni_conf *c)
{
	const char *dev;

	if (opt_string(c->root, "cniVersion", &c->version))
		return -1;
	if (!c->version)
		return cni_err(CNI_E_VERSION, "no \"cniVersion\" in the network configuration");
	if (!cni_version_supported(c->version))
		return cni_err(CNI_E_VERSION, "cniVersion \"%s\" is not supported (twill speaks 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)",
			       c->version);
	if (opt_string(c->root, "name", &c->name) || opt_string(c->root, "type", &c->type) ||
	    opt_string(c->root, "subnetFile", &c->subnet_file) ||
	    opt_string(c->root, "dataDir", &c->data_dir) ||
	    opt_string(c->root, "device", &dev) ||
	    opt_object(c->root, "ipam", &c->ipam) ||
	    opt_object(c->root, "prevResult", &c->prev) || conf_mtu(c->root, &c->mtu))
		return -1;
	if (!c->name || !spec_name(c->name))
		return cni_err(CNI_E_CONFIG, c->name ? "\"name\" \"%s\" is not a valid network name (letters, digits, _ . -)" :
			       "no \"name\" in the network configuration%s", c->name ? c->name : "");
	if (!c->type || strcmp(c->type, "twill") != 0)
		return cni_err(CNI_E_CONFIG, "\"type\" is \"%s\", not \"twill\"",
			       c->type ? c->type : "");
	if (!dev)
		dev = CNI_DEFAULT_DEVICE;
	if (parse_ifname(dev, c->device))
		return cni_err(CNI_E_CONFIG, "\"device\": %s", tw_errmsg);
	if (!c->subnet_file)
		c->subnet_file = CNI_DEFAULT_SUBNET_FILE;
	if (!c->data_dir)
		c->data_dir = CNI_DEFAULT_DATA_DIR;
	if (!*c->subnet_file || !*c->data_dir)
		return cni_err(CNI_E_CONFIG, "\"%s\" is empty",
			       *c->subnet_file ? "dataDir" : "subnetFile");
	return 0;
}

int cni_conf_parse(const char *text, struct cni_conf *c)
{
	struct json_tokener *tok = json_tokener_new();
	enum json_tokener_error jerr;
	size_t len = strlen(text), end;
	bool trailing = false;

	memset(c, 0, sizeof(*c));
	if (len > INT32_MAX)
		return cni_err(CNI_E_DECODE, "the network configuration is too long");
	c->root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (c->root && jerr == json_tokener_success && end < len)
		trailing = strspn(text + end, " \t\r\n") != len - end;
	json_tokener_free(tok);
	if (!c->root || jerr != json_tokener_success || trailing) {
		json_object_put(c->root);
		c->root = NULL;
		if (!len || strspn(text, " \t\r\n") == len)
			return cni_err(CNI_E_DECODE, "no network configuration on stdin");
		return cni_err(CNI_E_DECODE, "the network configuration is not JSON: %s",
			       trailing ? "trailing data" :
			       jerr == json_tokener_success ? "incomplete" :
			       json_tokener_error_desc(jerr));
	}
	if (!json_object_is_type(c->root, json_type_object)) {
		cni_conf_free(c);
		return cni_err(CNI_E_DECODE, "the network configuration is not a JSON object");
	}
	if (conf_fields(c)) {
		cni_conf_free(c);
		return -1;
	}
	return 0;
}

void cni_conf_free(struct cni_conf *c)
{
	json_object_put(c->root);
	memset(c, 0, sizeof(*c));
}

static bool ipam_is_host_local(const struct cni_conf *c)
{
	json_object *t;

	if (!c->ipam)
		return true;
	return json_object_object_get_ex(c->ipam, "type", &t) &&
	       json_object_is_type(t, json_type_string) &&
	       !strcmp(json_object_get_string(t), CNI_DEFAULT_IPAM);
}

bool cni_ipam_needs_subnet(const struct cni_conf *c)
{
	return ipam_is_host_local(c) &&
	       !(c->ipam && (json_object_object_get_ex(c->ipam, "ranges", NULL) ||
			     json_object_object_get_ex(c->ipam, "subnet", NULL)));
}

static json_object *range_set(const struct tw_prefix *p)
{
	json_object *set = json_object_new_array(), *r = json_object_new_object();
	char buf[TW_PREFIX_STRLEN];

	json_object_object_add(r, "subnet",
			       json_object_new_string(fmt_prefix(p, buf)));
	json_object_array_add(set, r);
	return set;
}

static json_object *route(const char *dst)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "dst", json_object_new_string(dst));
	return r;
}

json_object *cni_ipam_conf(const struct cni_conf *c,
			   const struct tw_subnetenv *se)
{
	json_object *ipam = NULL, *t, *ranges, *routes;

	if (c->ipam) {
		if (!json_object_object_get_ex(c->ipam, "type", &t) ||
		    !json_object_is_type(t, json_type_string) ||
		    !*json_object_get_string(t)) {
			cni_err(CNI_E_CONFIG, "\"ipam\" has no \"type\"");
			return NULL;
		}
		if (strchr(json_object_get_string(t), '/')) {
			cni_err(CNI_E_CONFIG, "\"ipam\": type \"%s\" is not a plugin name",
				json_object_get_string(t));
			return NULL;
		}
		if (json_object_deep_copy(c->ipam, &ipam, NULL)) {
			cni_err(CNI_E_CONFIG, "\"ipam\" cannot be copied");
			return NULL;
		}
	} else {
		ipam = json_object_new_object();
		json_object_object_add(ipam, "type",
				       json_object_new_string(CNI_DEFAULT_IPAM));
	}
	if (!cni_ipam_needs_subnet(c))
		return ipam;
	if (!se || (!se->subnet.family && !se->subnet6.family)) {
		json_object_put(ipam);
		cni_err(CNI_E_CONFIG, "no subnet for host-local: the subnet file has none");
		return NULL;
	}
	/* flannel's plugin: one range set per family, from the subnet file */
	ranges = json_object_new_array();
	if (se->subnet.family)
		json_object_array_add(ranges, range_set(&se->subnet));
	if (se->subnet6.family)
		json_object_array_add(ranges, range_set(&se->subnet6));
	json_object_object_add(ipam, "ranges", ranges);
	if (!json_object_object_get_ex(ipam, "routes", NULL)) {
		routes = json_object_new_array();
		if (se->subnet.family)
			json_object_array_add(routes, route("0.0.0.0/0"));
		if (se->subnet6.family)
			json_object_array_add(routes, route("::/0"));
		json_object_object_add(ipam, "routes", routes);
	}
	return ipam;
}

json_object *cni_delegate_conf(const struct cni_conf *c, json_object *ipam)
{
	json_object *d = NULL;

	if (json_object_deep_copy(c->root, &d, NULL))
		return NULL;
	json_object_object_add(d, "ipam", json_object_get(ipam));
	if (cni_version_cmp(c->version, "1.0.0") > 0)
		json_object_object_add(d, "cniVersion",
				       json_object_new_string("1.0.0"));
	return d;
}

void cni_host_ifname(const char *container_id, const char *ifname,
		     char out[IFNAMSIZ])
{
	uint32_t h = tw_hash_bytes(container_id, strlen(container_id) + 1, 0);

	h = tw_hash_bytes(ifname, strlen(ifname), h);
	snprintf(out, IFNAMSIZ, "tw%08x", h);
}

int cni_check_container_id(const char *id)
{
	if (!id || !*id)
		return cni_err(CNI_E_ENV, "CNI_CONTAINERID is not set");
	if (strlen(id) > 255 || !spec_name(id))
		return cni_err(CNI_E_ENV, "CNI_CONTAINERID \"%.64s\" is not a container ID (letters, digits, _ . -)",
			       id);
	return 0;
}

int cni_check_ifname(const char *name)
{
	char buf[IFNAMSIZ];

	if (!name || !*name)
		return cni_err(CNI_E_ENV, "CNI_IFNAME is not set");
	/* as the kernel's dev_valid_name(), and no ':' (the cache's names) */
	if (parse_ifname(name, buf) || !strcmp(name, ".") ||
	    !strcmp(name, "..") || strpbrk(name, ": \t\n\r\v\f"))
		return cni_err(CNI_E_ENV, "CNI_IFNAME \"%.32s\" is not an interface name",
			       name);
	return 0;
}
