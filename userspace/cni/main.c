// SPDX-License-Identifier: GPL-2.0
/*
 * twill-cni: the commands (ADD, DEL, CHECK, VERSION, STATUS, GC), run the
 * way a container runtime runs a CNI plugin: CNI_* in the environment, the
 * network configuration on stdin, the result or an error object on stdout.
 */
#include "cni.h"
#include "ipam.h"
#include "parse.h"
#include "rtnl.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef TWILL_VERSION
#define TWILL_VERSION "unknown"
#endif

struct ctx {
	struct cni_conf c;
	const char *id, *netns, *ifname;
	char host_if[IFNAMSIZ];
	int host_ns, cont_ns;
	bool have_se;
	struct tw_subnetenv se;
};

/* The first error, kept while an unwind makes others. */
struct saved_err {
	int code;
	char msg[TW_ERRLEN];
};

static void save_err(struct saved_err *s)
{
	s->code = cni_code;
	snprintf(s->msg, sizeof(s->msg), "%s", tw_errmsg);
}

static int restore_err(const struct saved_err *s)
{
	return cni_err(s->code, "%s", s->msg);
}

/* A netlink failure (tw_errmsg says what) as a CNI error. */
static int nl_fail(const char *what)
{
	return cni_err(CNI_E_NETLINK, "%s: %s", what, tw_errmsg);
}

static uint8_t host_len(const struct tw_addr *a)
{
	return a->family == AF_INET ? 32 : 128;
}

static uint32_t addr_flags(const struct tw_addr *a)
{
	return a->family == AF_INET6 ? IFA_F_NODAD : 0;
}

/* ---- namespaces ---- */

static int enter_ns(struct ctx *x)
{
	if (setns(x->cont_ns, CLONE_NEWNET))
		return cni_err(CNI_E_IO, "entering %s: %s", x->netns,
			       strerror(errno));
	return 0;
}

static void leave_ns(struct ctx *x)
{
	/* without the host's namespace back nothing after is safe */
	if (setns(x->host_ns, CLONE_NEWNET)) {
		fprintf(stderr, "twill-cni: cannot return to the host namespace: %s\n",
			strerror(errno));
		abort();
	}
}

static int open_netns(struct ctx *x)
{
	if (!x->netns || !*x->netns)
		return cni_err(CNI_E_ENV, "CNI_NETNS is not set");
	x->cont_ns = open(x->netns, O_RDONLY | O_CLOEXEC);
	if (x->cont_ns < 0)
		return cni_err(CNI_E_CONTAINER, "CNI_NETNS %s: %s", x->netns,
			       strerror(errno));
	return 0;
}

/* ---- the subnet file, the MTU, the delegate's configuration ---- */

static int load_subnet(struct ctx *x)
{
	char *text;
	int r;

	if (x->have_se)
		return 0;
	text = tw_read_file(x->c.subnet_file);
	if (!text)
		return cni_err(CNI_E_AGAIN, "subnet file %s: %s (is twilld running?)",
			       x->c.subnet_file, strerror(errno));
	r = subnetenv_parse(text, &x->se);
	free(text);
	if (r)
		return cni_err(CNI_E_CONFIG, "subnet file %s: %s",
			       x->c.subnet_file, tw_errmsg);
	x->have_se = true;
	return 0;
}

/* "mtu", else the device's, else FLANNEL_MTU. */
static int resolve_mtu(struct ctx *x, uint32_t *mtu)
{
	struct tw_link l;
	int r;

	*mtu = x->c.mtu;
	if (*mtu)
		return 0;
	r = link_get(x->c.device, &l);
	if (r < 0)
		return nl_fail("reading the device's MTU");
	if (!r) {
		*mtu = l.mtu;
		return 0;
	}
	if (load_subnet(x))
		return cni_err(cni_code, "no MTU: device %s not found, and %s",
			       x->c.device, tw_errmsg);
	if (!x->se.mtu)
		return cni_err(CNI_E_CONFIG, "no MTU: device %s not found and %s has no FLANNEL_MTU",
			       x->c.device, x->c.subnet_file);
	*mtu = x->se.mtu;
	return 0;
}

/* The delegate's configuration for this attachment (a new object). */
static json_object *delegate_conf(struct ctx *x)
{
	json_object *ipam, *d;

	if (cni_ipam_needs_subnet(&x->c) && load_subnet(x))
		return NULL;
	ipam = cni_ipam_conf(&x->c, x->have_se ? &x->se : NULL);
	if (!ipam)
		return NULL;
	d = cni_delegate_conf(&x->c, ipam);
	json_object_put(ipam);
	if (!d)
		cni_err(CNI_E_CONFIG, "the configuration cannot be copied");
	return d;
}

/* ---- ADD ---- */

/*
 * From the IPAM result to what ADD sets up: host addresses, a gateway for
 * every address, a default route per family when IPAM gives no route of
 * that family.
 */
static int plan(struct cni_result *r)
{
	struct cni_route *rt;
	bool has4 = false, has6 = false, rt4 = false, rt6 = false;
	size_t i;

	if (!r->n_ips)
		return cni_err(CNI_E_IPAM, "the IPAM plugin gave no address");
	for (i = 0; i < r->n_ips; i++) {
		struct cni_ip *ip = &r->ips[i];
		char a[TW_ADDR_STRLEN];

		if (!ip->gw.family)
			return cni_err(CNI_E_CONFIG, "the IPAM plugin gave %s no gateway",
				       fmt_addr(&ip->addr, a));
		if (!memcmp(&ip->gw, &ip->addr, sizeof(ip->gw)))
			return cni_err(CNI_E_CONFIG, "the IPAM plugin gave %s itself as its gateway",
				       fmt_addr(&ip->addr, a));
		ip->plen = host_len(&ip->addr);
		ip->iface = 1;
		has4 |= ip->addr.family == AF_INET;
		has6 |= ip->addr.family == AF_INET6;
	}
	for (i = 0; i < r->n_routes; i++) {
		rt4 |= r->routes[i].dst.family == AF_INET;
		rt6 |= r->routes[i].dst.family == AF_INET6;
	}
	if ((has4 && !rt4) + (has6 && !rt6) + r->n_routes > CNI_MAX_ROUTES)
		return cni_err(CNI_E_IPAM, "the IPAM plugin gave too many routes");
	if (has4 && !rt4) {
		rt = &r->routes[r->n_routes++];
		memset(rt, 0, sizeof(*rt));
		rt->dst.family = AF_INET;
	}
	if (has6 && !rt6) {
		rt = &r->routes[r->n_routes++];
		memset(rt, 0, sizeof(*rt));
		rt->dst.family = AF_INET6;
	}
	return 0;
}

/* The gateway of a route: its own, else the first address's of its family. */
static const struct tw_addr *route_gw(const struct cni_result *r,
				      const struct cni_route *rt)
{
	size_t i;

	if (rt->gw.family)
		return &rt->gw;
	for (i = 0; i < r->n_ips; i++)
		if (r->ips[i].addr.family == rt->dst.family)
			return &r->ips[i].gw;
	return NULL;
}

static int config_host(struct ctx *x, struct cni_result *r)
{
	struct tw_link l;
	size_t i;

	if (link_get(x->host_if, &l))
		return nl_fail(x->host_if);
	if (rtnl_link_set(l.ifindex, true, 0))
		return nl_fail("host end");
	for (i = 0; i < r->n_ips; i++) {
		const struct cni_ip *ip = &r->ips[i];

		if (rtnl_addr_add(l.ifindex, &ip->gw, host_len(&ip->gw),
				  addr_flags(&ip->gw)) ||
		    rtnl_route_add(l.ifindex, &ip->addr, ip->plen, NULL,
				   RT_SCOPE_LINK))
			return nl_fail("host end");
	}
	memcpy(r->ifaces[0].mac, l.mac, sizeof(l.mac));
	snprintf(r->ifaces[0].name, sizeof(r->ifaces[0].name), "%s", x->host_if);
	return 0;
}

/* In the container's namespace. */
static int config_container(struct ctx *x, struct cni_result *r)
{
	const struct tw_addr *gw;
	struct tw_link l;
	size_t i;

	if (link_get(x->ifname, &l))
		return nl_fail(x->ifname);
	for (i = 0; i < r->n_ips; i++)
		if (rtnl_addr_add(l.ifindex, &r->ips[i].addr, r->ips[i].plen,
				  addr_flags(&r->ips[i].addr)))
			return nl_fail("container end");
	if (rtnl_link_set(l.ifindex, true, 0))
		return nl_fail("container end");
	/* the gateways are on the link; every route goes through one */
	for (i = 0; i < r->n_ips; i++)
		if (rtnl_route_add(l.ifindex, &r->ips[i].gw,
				   host_len(&r->ips[i].gw), NULL, RT_SCOPE_LINK))
			return nl_fail("container end");
	for (i = 0; i < r->n_routes; i++) {
		gw = route_gw(r, &r->routes[i]);
		if (!gw)
			return cni_err(CNI_E_CONFIG, "a route of a family without an address");
		if (rtnl_route_add(l.ifindex, &r->routes[i].dst,
				   r->routes[i].plen, gw, RT_SCOPE_UNIVERSE))
			return nl_fail("container end");
	}
	memcpy(r->ifaces[1].mac, l.mac, sizeof(l.mac));
	snprintf(r->ifaces[1].name, sizeof(r->ifaces[1].name), "%s", x->ifname);
	snprintf(r->ifaces[1].sandbox, sizeof(r->ifaces[1].sandbox), "%s",
		 x->netns);
	r->n_ifaces = 2;
	return 0;
}

static void enable_forwarding(const char *path)
{
	char *v = tw_read_file(path);
	FILE *f;

	if (v && v[0] != '1' && (f = fopen(path, "w"))) {
		fputs("1\n", f);
		fclose(f);
	}
	free(v);
}

static void del_host_if(struct ctx *x)
{
	struct tw_link l;

	if (!link_get(x->host_if, &l) && !strcmp(l.kind, "veth"))
		(void)rtnl_link_del(l.ifindex);
}

static int require_env(struct ctx *x, bool netns)
{
	if (cni_check_container_id(x->id) || cni_check_ifname(x->ifname))
		return -1;
	if (netns && (!x->netns || !*x->netns))
		return cni_err(CNI_E_ENV, "CNI_NETNS is not set");
	cni_host_ifname(x->id, x->ifname, x->host_if);
	return 0;
}

static void print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static int cmd_add(struct ctx *x)
{
	struct cni_result r = { 0 };
	json_object *dconf, *ires = NULL, *res, *merged;
	struct saved_err err;
	uint32_t mtu;
	size_t i;

	if (require_env(x, true) || open_netns(x) || resolve_mtu(x, &mtu))
		return -1;
	dconf = delegate_conf(x);
	if (!dconf)
		return -1;
	/* cached first: a DEL after a crash here still releases */
	if (cache_write(x->c.data_dir, x->id, x->ifname, dconf))
		goto err_conf;
	if (ipam_exec("ADD", dconf, &ires))
		goto err_cache;
	if (cni_result_parse(ires, &r) || plan(&r))
		goto err_ipam;
	if (rtnl_veth_add(x->host_if, x->ifname, x->cont_ns, mtu)) {
		cni_err(errno == EEXIST ? CNI_E_CONFIG : CNI_E_NETLINK,
			"%s%s", tw_errmsg, errno == EEXIST ?
			" (an interface of that name exists)" : "");
		goto err_ipam;
	}
	if (config_host(x, &r) || enter_ns(x))
		goto err_veth;
	if (config_container(x, &r)) {
		leave_ns(x);
		goto err_veth;
	}
	leave_ns(x);
	for (i = 0; i < r.n_ips; i++)
		enable_forwarding(r.ips[i].addr.family == AF_INET ?
				  "/proc/sys/net/ipv4/ip_forward" :
				  "/proc/sys/net/ipv6/conf/all/forwarding");
	res = cni_result_json(&r, x->c.version);
	/* after other plugins in a chain: their result goes on with ours */
	if (x->c.prev) {
		merged = cni_result_merge(x->c.prev, res);
		if (merged) {
			json_object_put(res);
			res = merged;
		}
	}
	print_json(res);
	cni_result_free(&r);
	json_object_put(ires);
	json_object_put(dconf);
	return 0;

err_veth:
	save_err(&err);
	del_host_if(x);
	restore_err(&err);
err_ipam:
	save_err(&err);
	(void)ipam_exec("DEL", dconf, NULL);
	restore_err(&err);
	cni_result_free(&r);
	json_object_put(ires);
err_cache:
	save_err(&err);
	(void)cache_remove(x->c.data_dir, x->id, x->ifname);
	restore_err(&err);
err_conf:
	json_object_put(dconf);
	return -1;
}

/* ---- DEL ---- */

static int cmd_del(struct ctx *x)
{
	json_object *dconf;
	int ret;

	if (require_env(x, false))
		return -1;
	/* the namespace may be gone: the host end is found by its name */
	del_host_if(x);
	dconf = cache_read(x->c.data_dir, x->id, x->ifname);
	if (!dconf && cni_ipam_needs_subnet(&x->c) && load_subnet(x)) {
		/* nothing cached and nothing to build from: nothing leased */
		return 0;
	}
	if (!dconf)
		dconf = delegate_conf(x);
	if (!dconf)
		return -1;
	ret = ipam_exec("DEL", dconf, NULL);
	json_object_put(dconf);
	/* kept on failure: the runtime's retry releases it */
	if (ret)
		return -1;
	return cache_remove(x->c.data_dir, x->id, x->ifname);
}

/* ---- CHECK ---- */

static bool has_entry(const struct tw_rtnl_entry *v, size_t n,
		      const struct tw_addr *a, uint8_t plen,
		      const struct tw_addr *gw)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!memcmp(&v[i].addr, a, sizeof(*a)) && v[i].plen == plen &&
		    (!gw || !memcmp(&v[i].gw, gw, sizeof(*gw))))
			return true;
	return false;
}

static int check_link(const char *name, const char *where, struct tw_link *l)
{
	int r = link_get(name, l);

	if (r < 0)
		return nl_fail(name);
	if (r > 0)
		return cni_err(CNI_E_CHECK, "%s: no interface %s", where, name);
	if (strcmp(l->kind, "veth") != 0)
		return cni_err(CNI_E_CHECK, "%s: %s is not a veth", where, name);
	if (!(l->flags & IFF_UP))
		return cni_err(CNI_E_CHECK, "%s: %s is down", where, name);
	return 0;
}

static int check_host(struct ctx *x, const struct cni_result *r)
{
	struct tw_rtnl_entry *v;
	struct tw_link l;
	char a[TW_ADDR_STRLEN];
	size_t n, i;
	int ret = 0;

	if (check_link(x->host_if, "host", &l))
		return -1;
	if (rtnl_routes(l.ifindex, AF_UNSPEC, &v, &n))
		return nl_fail("host routes");
	for (i = 0; i < r->n_ips && !ret; i++)
		if (!has_entry(v, n, &r->ips[i].addr, host_len(&r->ips[i].addr), NULL))
			ret = cni_err(CNI_E_CHECK, "host: no route to %s via %s",
				      fmt_addr(&r->ips[i].addr, a), x->host_if);
	free(v);
	return ret;
}

static int check_container(struct ctx *x, const struct cni_result *r)
{
	struct tw_rtnl_entry *v = NULL, *rv = NULL;
	const struct tw_addr *gw;
	struct tw_link l;
	char a[TW_ADDR_STRLEN];
	size_t n, rn, i;
	int ret = 0;

	if (check_link(x->ifname, "container", &l))
		return -1;
	if (rtnl_addrs(l.ifindex, AF_UNSPEC, &v, &n) ||
	    rtnl_routes(l.ifindex, AF_UNSPEC, &rv, &rn)) {
		free(v);
		return nl_fail("container addresses and routes");
	}
	for (i = 0; i < r->n_ips && !ret; i++)
		if (!has_entry(v, n, &r->ips[i].addr, r->ips[i].plen, NULL))
			ret = cni_err(CNI_E_CHECK, "container: %s has no address %s/%u",
				      x->ifname, fmt_addr(&r->ips[i].addr, a),
				      r->ips[i].plen);
	for (i = 0; i < r->n_routes && !ret; i++) {
		gw = route_gw(r, &r->routes[i]);
		if (!has_entry(rv, rn, &r->routes[i].dst, r->routes[i].plen, gw))
			ret = cni_err(CNI_E_CHECK, "container: no route to %s/%u via %s",
				      fmt_addr(&r->routes[i].dst, a),
				      r->routes[i].plen, x->ifname);
	}
	free(v);
	free(rv);
	return ret;
}

/*
 * Of a prevResult (after a chain, the other plugins' entries too), what
 * is ours: the addresses on our container interface (or on none named),
 * the routes through their gateways.
 */
static void keep_ours(struct ctx *x, struct cni_result *r)
{
	const char *ifname = x->ifname ? x->ifname : "";
	const struct cni_iface *f;
	size_t i, j, n = 0;
	bool mine;

	for (i = 0; i < r->n_ips; i++) {
		f = r->ips[i].iface >= 0 && r->ips[i].iface < (int)r->n_ifaces ?
		    &r->ifaces[r->ips[i].iface] : NULL;
		if (!f || (!strcmp(f->name, ifname) && f->sandbox[0]))
			r->ips[n++] = r->ips[i];
	}
	r->n_ips = n;
	for (i = 0, n = 0; i < r->n_routes; i++) {
		mine = false;
		for (j = 0; j < r->n_ips; j++)
			mine |= r->routes[i].gw.family ?
				!memcmp(&r->routes[i].gw, &r->ips[j].gw,
					sizeof(r->ips[j].gw)) :
				r->routes[i].dst.family == r->ips[j].addr.family;
		if (mine)
			r->routes[n++] = r->routes[i];
	}
	r->n_routes = n;
}

static int cmd_check(struct ctx *x)
{
	struct cni_result r;
	json_object *dconf;
	int ret;

	if (require_env(x, true))
		return -1;
	if (!x->c.prev)
		return cni_err(CNI_E_CONFIG, "CHECK needs the ADD's result (\"prevResult\")");
	if (open_netns(x) || cni_result_parse(x->c.prev, &r))
		return -1;
	keep_ours(x, &r);
	if (!r.n_ips) {
		cni_result_free(&r);
		return cni_err(CNI_E_CHECK, "prevResult has no address on %s",
			       x->ifname);
	}
	ret = check_host(x, &r);
	if (!ret && !enter_ns(x)) {
		ret = check_container(x, &r);
		leave_ns(x);
	} else if (!ret) {
		ret = -1;
	}
	cni_result_free(&r);
	if (ret)
		return -1;
	dconf = cache_read(x->c.data_dir, x->id, x->ifname);
	if (!dconf)
		dconf = delegate_conf(x);
	if (!dconf)
		return -1;
	ret = ipam_exec("CHECK", dconf, NULL);
	json_object_put(dconf);
	return ret;
}

/* ---- STATUS, GC (1.1.0) ---- */

static int cmd_status(struct ctx *x)
{
	uint32_t mtu;

	if (cni_ipam_needs_subnet(&x->c) && load_subnet(x))
		return cni_err(CNI_E_NOT_AVAILABLE, "%s", tw_errmsg);
	if (resolve_mtu(x, &mtu))
		return cni_err(CNI_E_NOT_AVAILABLE, "%s", tw_errmsg);
	return 0;
}

static bool attachment_valid(json_object *valid, const char *id,
			     const char *ifname)
{
	json_object *e, *v;
	size_t i;

	for (i = 0; valid && i < json_object_array_length(valid); i++) {
		e = json_object_array_get_idx(valid, i);
		if (json_object_object_get_ex(e, "containerID", &v) &&
		    !strcmp(json_object_get_string(v), id) &&
		    json_object_object_get_ex(e, "ifname", &v) &&
		    !strcmp(json_object_get_string(v), ifname))
			return true;
	}
	return false;
}

/* Releases one cached attachment of this network that is not valid. */
static int gc_one(struct ctx *x, char *entry, json_object *valid)
{
	char *sep = strchr(entry, ':');
	json_object *dconf, *name;
	int ret;

	if (!sep || strstr(entry, ".tmp"))
		return 0;
	*sep = '\0';
	x->id = entry;
	x->ifname = sep + 1;
	if (cni_check_container_id(x->id) || cni_check_ifname(x->ifname) ||
	    attachment_valid(valid, x->id, x->ifname))
		return 0;
	dconf = cache_read(x->c.data_dir, x->id, x->ifname);
	if (!dconf)
		return 0;
	if (!json_object_object_get_ex(dconf, "name", &name) ||
	    strcmp(json_object_get_string(name), x->c.name) != 0) {
		json_object_put(dconf);
		return 0;
	}
	cni_host_ifname(x->id, x->ifname, x->host_if);
	del_host_if(x);
	setenv("CNI_CONTAINERID", x->id, 1);
	setenv("CNI_IFNAME", x->ifname, 1);
	ret = ipam_exec("DEL", dconf, NULL);
	json_object_put(dconf);
	if (!ret)
		ret = cache_remove(x->c.data_dir, x->id, x->ifname);
	return ret;
}

static int cmd_gc(struct ctx *x)
{
	struct saved_err first = { 0 };
	json_object *valid = NULL;
	struct dirent *d;
	char name[NAME_MAX + 1];
	DIR *dir;

	if (json_object_object_get_ex(x->c.root, "cni.dev/valid-attachments",
				      &valid) &&
	    !json_object_is_type(valid, json_type_array))
		return cni_err(CNI_E_CONFIG, "\"cni.dev/valid-attachments\" must be an array");
	dir = opendir(x->c.data_dir);
	if (!dir)
		return errno == ENOENT ? 0 :
		       cni_err(CNI_E_IO, "%s: %s", x->c.data_dir, strerror(errno));
	while ((d = readdir(dir))) {
		snprintf(name, sizeof(name), "%s", d->d_name);
		if (gc_one(x, name, valid) && !first.code)
			save_err(&first);
	}
	closedir(dir);
	/* they named entries of name[] */
	x->id = NULL;
	x->ifname = NULL;
	return first.code ? restore_err(&first) : 0;
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fputs("usage: twill-cni [--help | --version]\n"
	      "\n"
	      "The CNI plugin of type \"twill\" (installed as /usr/lib/cni/twill): a\n"
	      "container runtime runs it with CNI_COMMAND (ADD, DEL, CHECK, VERSION,\n"
	      "STATUS, GC), CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME and CNI_PATH set and\n"
	      "the network configuration on stdin.  It attaches the container point to\n"
	      "point: a veth pair, the container's addresses as host addresses (/32,\n"
	      "/128), its default route through the host end, which holds the gateway\n"
	      "and a host route to each address.  CNI versions 0.3.0-1.1.0.\n"
	      "\n"
	      "Network configuration keys (the smallest one is\n"
	      "{\"cniVersion\":\"1.0.0\",\"name\":\"pods\",\"type\":\"twill\"}):\n"
	      "  cniVersion   required\n"
	      "  name         required: the network's name\n"
	      "  type         \"twill\"\n"
	      "  ipam         the IPAM plugin's configuration; default\n"
	      "               {\"type\": \"host-local\"}.  A host-local one without\n"
	      "               \"ranges\" or \"subnet\" gets this host's subnets\n"
	      "               (FLANNEL_SUBNET, FLANNEL_IPV6_SUBNET), and one without\n"
	      "               \"routes\" a default route per family\n"
	      "  mtu          the veth's MTU; default the device's, else FLANNEL_MTU\n"
	      "  device       the twill device, default twill0\n"
	      "  subnetFile   default " CNI_DEFAULT_SUBNET_FILE " (twilld's)\n"
	      "  dataDir      where ADD keeps each attachment's IPAM configuration\n"
	      "               for DEL and GC, default " CNI_DEFAULT_DATA_DIR "\n"
	      "\n"
	      "Errors are CNI error objects on stdout (exit 1): the spec's codes\n"
	      "(1 version, 3 no container, 4 environment, 5 I/O, 6 not JSON,\n"
	      "7 configuration, 11 no subnet file yet, 50 STATUS: not available) and\n"
	      "twill-cni's: 100 CHECK found a difference, 101 the kernel refused a\n"
	      "change, 102 the IPAM plugin failed without a code.\n", f);
}

static char *read_stdin(void)
{
	size_t len = 0, cap = 0, n;
	char *buf = NULL;

	do {
		tw_grow((void **)&buf, &cap, len + 4097, 1);
		n = fread(buf + len, 1, 4096, stdin);
		len += n;
	} while (n > 0 && len < (size_t)16 * 1024 * 1024);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int fail(const char *version)
{
	print_json(cni_error_json(version, cni_code ? cni_code : CNI_E_IO,
				  tw_errmsg));
	return 1;
}

static int cmd_version(const char *text)
{
	json_object *in = json_tokener_parse(text), *o, *v;
	const char *want = NULL;

	if (in && json_object_object_get_ex(in, "cniVersion", &v) &&
	    json_object_is_type(v, json_type_string))
		want = json_object_get_string(v);
	o = json_object_new_object();
	json_object_object_add(o, "cniVersion", json_object_new_string(
		want && cni_version_supported(want) ? want : CNI_SPEC_VERSION));
	json_object_object_add(o, "supportedVersions", cni_versions_json());
	print_json(o);
	json_object_put(in);
	return 0;
}

int main(int argc, char **argv)
{
	struct ctx x = { .host_ns = -1, .cont_ns = -1 };
	const char *cmd = getenv("CNI_COMMAND");
	char *text;
	int ret;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("twill-cni %s (CNI %s)\n", TWILL_VERSION, CNI_SPEC_VERSION);
		return 0;
	}
	if (argc > 1 || !cmd) {
		fprintf(stderr, argc > 1 ? "twill-cni: unknown argument %s\n" :
			"twill-cni: CNI_COMMAND is not set%s: a container runtime runs this plugin\n",
			argc > 1 ? argv[1] : "");
		usage(stderr);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	text = read_stdin();
	if (!text) {
		cni_err(CNI_E_DECODE, "the network configuration has a NUL byte");
		return fail(NULL);
	}
	if (!strcmp(cmd, "VERSION")) {
		ret = cmd_version(text);
		free(text);
		return ret;
	}
	ret = cni_conf_parse(text, &x.c);
	free(text);
	if (ret)
		return fail(NULL);
	x.id = getenv("CNI_CONTAINERID");
	x.netns = getenv("CNI_NETNS");
	x.ifname = getenv("CNI_IFNAME");
	x.host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (x.host_ns < 0) {
		cni_err(CNI_E_IO, "/proc/self/ns/net: %s", strerror(errno));
		ret = -1;
	} else if (!strcmp(cmd, "ADD")) {
		ret = cmd_add(&x);
	} else if (!strcmp(cmd, "DEL")) {
		ret = cmd_del(&x);
	} else if (!strcmp(cmd, "CHECK") &&
		   cni_version_cmp(x.c.version, "0.4.0") >= 0) {
		ret = cmd_check(&x);
	} else if (!strcmp(cmd, "CHECK")) {
		ret = cni_err(CNI_E_VERSION, "CHECK needs cniVersion 0.4.0 or later, not %s",
			      x.c.version);
	} else if ((!strcmp(cmd, "STATUS") || !strcmp(cmd, "GC")) &&
		   cni_version_cmp(x.c.version, "1.1.0") < 0) {
		ret = cni_err(CNI_E_VERSION, "%s needs cniVersion 1.1.0, not %s",
			      cmd, x.c.version);
	} else if (!strcmp(cmd, "STATUS")) {
		ret = cmd_status(&x);
	} else if (!strcmp(cmd, "GC")) {
		ret = cmd_gc(&x);
	} else {
		ret = cni_err(CNI_E_ENV, "CNI_COMMAND \"%.32s\" is not ADD, DEL, CHECK, VERSION, STATUS or GC",
			      cmd);
	}
	if (ret) {
		ret = fail(x.c.version);
	}
	if (x.cont_ns >= 0)
		close(x.cont_ns);
	if (x.host_ns >= 0)
		close(x.host_ns);
	cni_conf_free(&x.c);
	return ret;
}
