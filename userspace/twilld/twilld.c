// SPDX-License-Identifier: GPL-2.0
/*
 * twilld: leases this host's pod subnet in etcd (flannel's keys) and keeps
 * the twill device's peer table in step with the other hosts' leases.
 */
#include "apply.h"
#include "cluster.h"
#include "diff.h"
#include "etcd.h"
#include "host.h"
#include "nat.h"
#include "parse.h"
#include "subnetenv.h"
#include "util.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#ifndef TWILL_VERSION
#define TWILL_VERSION "unknown"
#endif

/* Exit codes a supervisor can act on. */
enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,	/* etcd, netlink, host: worth a restart */
	EXIT_USAGE = 2,		/* bad flags */
	EXIT_NETCONF = 3,	/* <prefix>/config is invalid */
	EXIT_FULL = 4,		/* no free subnet */
	EXIT_LOST = 5,		/* our subnet went to another host */
};

#define CLAIM_TRIES 10
#define BACKOFF_MAX_MS 10000

enum { L_ERROR, L_WARN, L_INFO, L_DEBUG };
static const char *const level_names[] = { "error", "warn", "info", "debug" };
static int log_level = L_INFO;

static void logm(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void logm(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	fprintf(stderr, "twilld: %s: ", level_names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

struct opts {
	const char *endpoints, *prefix, *cafile, *certfile, *keyfile;
	const char *iface, *public_ip, *subnet_file, *device, *state_file;
	bool ip_masq, revoke;
	long ttl;
};

struct host_entry {
	char *name;		/* "10.244.3.0-24" */
	bool valid;
	struct tw_lease l;
};

struct agent {
	struct opts o;
	struct etcd e;
	struct tw_netconf nc;
	struct tw_nl nl;
	char ifname[IFNAMSIZ];
	uint32_t ifindex, mtu;
	struct tw_addr pub;
	uint8_t mac[TW_MAC_LEN];
	char *subnets, *subnets_end;	/* "<prefix>/subnets/" and its end */
	uint32_t subnet;
	struct tw_prefix subnet6;	/* dual-stack: our IPv6 subnet */
	char name[TW_SUBNET_KEYLEN];	/* our lease's key name */
	char *key, *value;		/* our lease key and value */
	int64_t lease, ttl;
	struct host_entry *hosts;
	size_t nhosts, caphosts;
	/*
	 * The leases the first claim read (at revision list_rev), kept for
	 * the first listing: a start reads the cluster once, not twice.
	 */
	struct etcd_kv *list;
	size_t nlist;
	int64_t list_rev;
	bool keep_list;
	/*
	 * view[cur]: what the kernel was last given (valid if applied_ok);
	 * the other one is built for the next change.  Two slots rather than
	 * a copy: a device's indexes point back at it.
	 */
	struct tw_device view[2];
	int cur;
	bool applied_ok;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps ms unless a signal asks us to stop. */
static void nap(int64_t ms)
{
	int64_t end = now_ms() + ms;

	while (!stop && now_ms() < end)
		usleep(50000);
}

/* The next wait of a doubling backoff, at most `max` ms. */
static int64_t backoff(int64_t *ms, int64_t max)
{
	int64_t cur = *ms < max ? *ms : max;

	*ms = *ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : *ms * 2;
	return cur;
}

static uint32_t random_u32(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	return r;
}

/* ---- the cluster view ---- */

static struct host_entry *find_host(struct agent *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nhosts; i++)
		if (!strcmp(a->hosts[i].name, name))
			return &a->hosts[i];
	return NULL;
}

static void drop_host(struct agent *a, struct host_entry *h)
{
	free(h->name);
	*h = a->hosts[--a->nhosts];
}

static void clear_hosts(struct agent *a)
{
	while (a->nhosts)
		drop_host(a, &a->hosts[0]);
}

/*
 * A lease put or read: parsed and kept; an unusable one is logged.  `fresh`:
 * the name is not in the table (a listing fills an empty table with keys
 * that are unique), so it is not looked for: a listing stays linear.
 */
static void put_host(struct agent *a, const char *name, const char *value,
		     size_t vlen, bool fresh)
{
	struct host_entry *h = fresh ? NULL : find_host(a, name);
	struct tw_lease l;

	memset(&l, 0, sizeof(l));
	if (lease_key_parse(name, &l) || lease_parse(value, vlen, &l)) {
		logm(L_WARN, "ignoring lease %s: %s", name, tw_errmsg);
		if (h)
			drop_host(a, h);
		return;
	}
	if (!netconf_has(&a->nc, l.subnet, l.plen)) {
		logm(L_WARN, "ignoring lease %s: not in the network", name);
		if (h)
			drop_host(a, h);
		return;
	}
	if (l.has6 && a->nc.ipv6 && !netconf_has6(&a->nc, &l.subnet6)) {
		logm(L_WARN, "ignoring lease %s: its IPv6 subnet is not in the IPv6 network",
		     name);
		if (h)
			drop_host(a, h);
		return;
	}
	/* an IPv4-only network: the IPv4 half of a dual-stack lease */
	if (!a->nc.ipv6)
		l.has6 = false;
	if (l.vni != a->nc.vni)
		logm(L_WARN, "lease %s has VNI %u, the network %u", name,
		     l.vni, a->nc.vni);
	if (!h) {
		tw_grow((void **)&a->hosts, &a->caphosts, a->nhosts + 1,
			sizeof(*a->hosts));
		h = &a->hosts[a->nhosts++];
		h->name = strdup(name);
		if (!h->name)
			abort();
	}
	h->l = l;
	h->valid = true;
}

/* The subnet key name of a full key, NULL if not under subnets/. */
static const char *key_name(const struct agent *a, const char *key)
{
	size_t n = strlen(a->subnets);

	return strncmp(key, a->subnets, n) ? NULL : key + n;
}

/* ---- the device ---- */

/*
 * --ip-masq: the device masquerades the network (both of a dual-stack
 * one, as flanneld does with ip6tables) towards everything outside it,
 * set once at start; a module without NAT is reported, not fatal.
 */
static void set_masquerade(struct agent *a)
{
	char net[TW_SUBNET_KEYLEN + TW_PREFIX_STRLEN + 2];
	char net4[TW_SUBNET_KEYLEN], net6[TW_PREFIX_STRLEN];
	struct tw_device d;

	dev_init(&d);
	d.ifindex = a->ifindex;
	memcpy(d.ifname, a->ifname, IFNAMSIZ);
	nat_init(&d.nat);
	d.mask = TW_BIT(TW_NAT);
	subnet_cidr(a->nc.network, a->nc.plen, 0, net4);
	snprintf(net, sizeof(net), "%s%s%s", net4, a->nc.ipv6 ? "," : "",
		 a->nc.ipv6 ? fmt_prefix(&a->nc.network6, net6) : "");
	if (nat_parse_key(&d.nat, nat_key_by_key("Masquerade"), net, "ip-masq") ||
	    nat_parse_key(&d.nat, nat_key_by_key("MasqueradeExclude"), net,
			  "ip-masq") ||
	    apply_set(&a->nl, &d, "ip-masq"))
		logm(L_ERROR, "cannot masquerade %s: %s", net, tw_errmsg);
	else
		logm(L_INFO, "%s masquerades %s", a->ifname, net);
	dev_free(&d);
}

/* The device as the cluster wants it: settings, NAT, one peer per host. */
static void build_want(struct agent *a, struct tw_device *d)
{
	struct tw_prefix p;
	struct tw_peer *peer;
	union tw_sockaddr ep;
	size_t i;
	uint32_t n;

	dev_init(d);
	d->ifindex = a->ifindex;
	memcpy(d->ifname, a->ifname, IFNAMSIZ);
	d->vni = a->nc.vni;
	d->listen_port = a->nc.port;
	d->local = a->pub;
	/* flannel's DirectRouting: hosts on one subnet without the tunnel */
	d->direct = a->nc.direct_routing ? TWILL_DIRECT_AUTO : TWILL_DIRECT_OFF;
	d->mask = TW_BIT(TW_VNI) | TW_BIT(TW_LISTEN_PORT) | TW_BIT(TW_LOCAL) |
		  TW_BIT(TW_DIRECT);
	for (i = 0; i < a->nhosts; i++) {
		const struct tw_lease *l = &a->hosts[i].l;

		if (!strcmp(a->hosts[i].name, a->name) ||
		    !memcmp(&l->public_ip, &a->pub, sizeof(a->pub)))
			continue;
		memset(&ep, 0, sizeof(ep));
		ep.in.sin_family = AF_INET;
		memcpy(&ep.in.sin_addr, l->public_ip.addr, 4);
		peer = dev_get_peer(d, &ep);
		peer->mode = TW_PFX_REPLACE;
		peer->has_mac = true;
		if (l->has_mac)
			memcpy(peer->mac, l->mac, TW_MAC_LEN);
		memset(&p, 0, sizeof(p));
		p.family = AF_INET;
		p.cidr = l->plen;
		n = htonl(l->subnet);
		memcpy(p.addr, &n, 4);
		if (dev_add_prefix(d, peer, &p))
			logm(L_WARN, "lease %s: %s", a->hosts[i].name, tw_errmsg);
		/* the IPv6 subnet rides the same IPv4 underlay */
		if (l->has6 && dev_add_prefix(d, peer, &l->subnet6))
			logm(L_WARN, "lease %s: %s", a->hosts[i].name, tw_errmsg);
	}
}

/*
 * Brings the device in step with the view: the difference to what it was
 * last given (one small commit), or, after a failure or a re-list, to
 * what the kernel has.
 */
static int apply(struct agent *a, bool full)
{
	struct tw_device *applied = &a->view[a->cur];
	struct tw_device *want = &a->view[!a->cur];
	struct tw_device out;
	size_t n = 0;
	int ret;

	build_want(a, want);
	if (full || !a->applied_ok) {
		ret = apply_sync(&a->nl, want, "sync", &n);
	} else {
		dev_init(&out);
		out.ifindex = want->ifindex;
		memcpy(out.ifname, want->ifname, IFNAMSIZ);
		n = sync_diff(applied, want, &out);
		ret = n ? apply_set(&a->nl, &out, "update") : 0;
		dev_free(&out);
	}
	if (ret) {
		logm(L_ERROR, "%s", tw_errmsg);
		a->applied_ok = false;
		dev_free(want);
		return ret;
	}
	if (n)
		logm(L_INFO, "%s: %zu change%s applied (%zu peers)",
		     a->ifname, n, n == 1 ? "" : "s", want->npeers);
	dev_free(applied);
	a->cur = !a->cur;
	a->applied_ok = true;
	return 0;
}

static int setup_device(struct agent *a)
{
	struct tw_device d;
	int ret;

	if (host_ensure_link(a->o.device, &a->ifindex))
		return -1;
	snprintf(a->ifname, sizeof(a->ifname), "%s", a->o.device);
	if (nl_open(&a->nl))
		return -1;
	dev_init(&d);
	d.ifindex = a->ifindex;
	memcpy(d.ifname, a->ifname, IFNAMSIZ);
	ret = nl_get_device(&a->nl, &d);
	if (!ret)
		memcpy(a->mac, d.mac, TW_MAC_LEN);
	dev_free(&d);
	return ret;
}

/* ---- etcd: config, claim, keepalive ---- */

/* -1: etcd unreachable (retry), -2: no or invalid config. */
static int read_netconf(struct agent *a)
{
	char *key = tw_malloc(strlen(a->o.prefix) + 8);
	struct etcd_kv *kvs;
	size_t n;
	int ret;

	sprintf(key, "%s/config", a->o.prefix);
	ret = etcd_range(&a->e, key, NULL, &kvs, &n, NULL);
	if (ret) {
		free(key);
		return -1;
	}
	if (!n) {
		tw_err("%s does not exist", key);
		ret = -2;
	} else if (netconf_parse(kvs[0].value, &a->nc)) {
		tw_err_ctx("%s", key);
		ret = -2;
	}
	etcd_kvs_free(kvs, n);
	free(key);
	return ret;
}

/* subnet6: NULL in an IPv4-only network. */
static void set_ours(struct agent *a, uint32_t subnet,
		     const struct tw_prefix *subnet6)
{
	struct tw_lease l = { .subnet = subnet, .plen = a->nc.subnet_len };
	char *key;

	a->subnet = subnet;
	memset(&a->subnet6, 0, sizeof(a->subnet6));
	if (subnet6) {
		a->subnet6 = *subnet6;
		l.has6 = true;
		l.subnet6 = *subnet6;
	}
	lease_key(&l, a->name);
	key = tw_malloc(strlen(a->subnets) + sizeof(a->name));
	sprintf(key, "%s%s", a->subnets, a->name);
	free(a->key);
	a->key = key;
}

/*
 * Whether another key than ours (a->name) names the subnet or the IPv6
 * subnet: dual-stack keys are unique, their halves need not be.
 */
static bool half_taken(const struct agent *a, const struct etcd_kv *kvs,
		       size_t n)
{
	const char *name;
	struct tw_lease l;
	size_t i;

	for (i = 0; i < n; i++) {
		name = key_name(a, kvs[i].key);
		if (!name || !strcmp(name, a->name) || lease_key_parse(name, &l))
			continue;
		if (l.subnet == a->subnet ||
		    (l.has6 && a->subnet6.family &&
		     !memcmp(l.subnet6.addr, a->subnet6.addr, 16)))
			return true;
	}
	return false;
}

/*
 * Tries to put our lease at the key of subnet (and subnet6, NULL: none),
 * with the listing kvs at revision rev: 1 done, 0 lost the race, -1
 * error.
 */
static int try_claim(struct agent *a, const struct etcd_kv *kvs, size_t n,
		     int64_t rev, uint32_t subnet, const struct tw_prefix *subnet6)
{
	struct etcd_guard guard = { a->subnets, a->subnets_end, rev };
	const struct etcd_guard *g = NULL;
	const struct etcd_kv *kv = NULL;
	struct tw_lease l;
	size_t i;
	bool ok;

	set_ours(a, subnet, subnet6);
	for (i = 0; i < n; i++)
		if (!strcmp(kvs[i].key, a->key))
			kv = &kvs[i];
	if (half_taken(a, kvs, n))
		return 0;
	/*
	 * Dual-stack: another host may claim another key with one of our
	 * halves at the same time; only one put holds if nothing under
	 * subnets/ changed since the listing.
	 */
	if (a->nc.ipv6)
		g = &guard;
	if (kv) {
		/* only ever take over our own old lease, and only if it is
		 * still what we read */
		if (lease_parse(kv->value, kv->vlen, &l) ||
		    memcmp(&l.public_ip, &a->pub, sizeof(a->pub)) != 0)
			return 0;
		if (etcd_put_if(&a->e, a->key, a->value, a->lease,
				ETCD_CMP_MOD, kv->mod_rev, g, &ok))
			return -1;
	} else if (etcd_put_if(&a->e, a->key, a->value, a->lease,
			       ETCD_CMP_CREATE, 0, g, &ok)) {
		return -1;
	}
	return ok ? 1 : 0;
}

/*
 * Whether a key name is a lease of this network's shape: our subnet
 * length, and an IPv6 half of ours exactly when the network has IPv6.
 */
static bool fits(const struct agent *a, const char *name, struct tw_lease *l)
{
	if (lease_key_parse(name, l) || l->plen != a->nc.subnet_len ||
	    !netconf_has(&a->nc, l->subnet, l->plen) || l->has6 != a->nc.ipv6)
		return false;
	return !l->has6 || (l->subnet6.cidr == a->nc.subnet_len6 &&
			    netconf_has6(&a->nc, &l->subnet6));
}

/*
 * Our previous subnet (and IPv6 subnet): the state file, else a lease
 * with our PublicIP.
 */
static bool previous_subnet(struct agent *a, const struct etcd_kv *kvs,
			    size_t n, uint32_t *subnet, struct tw_prefix *subnet6)
{
	char *s = a->o.state_file ? tw_read_file(a->o.state_file) : NULL;
	struct tw_lease l, v;
	bool found = false;
	size_t i;

	if (s) {
		s[strcspn(s, "\n")] = '\0';
		found = fits(a, s, &l);
		free(s);
	}
	for (i = 0; i < n && !found; i++) {
		const char *name = key_name(a, kvs[i].key);

		found = name && fits(a, name, &l) &&
			!lease_parse(kvs[i].value, kvs[i].vlen, &v) &&
			!memcmp(&v.public_ip, &a->pub, sizeof(a->pub));
	}
	if (found) {
		*subnet = l.subnet;
		*subnet6 = l.subnet6;
	}
	return found;
}

static int cmp_addr6(const void *x, const void *y)
{
	return memcmp(x, y, 16);
}

/*
 * A free IPv6 subnet, random among those no key names: 0, or -EXIT_FULL
 * with tw_errmsg.
 */
static int pick6(struct agent *a, const struct etcd_kv *kvs, size_t n,
		 struct tw_prefix *out)
{
	uint8_t (*taken)[16] = tw_calloc(n + 1, sizeof(*taken));
	uint64_t from = (uint64_t)random_u32() << 32 | random_u32();
	struct tw_lease l;
	size_t i, nt;
	int r;

	for (i = 0, nt = 0; i < n; i++) {
		const char *name = key_name(a, kvs[i].key);

		if (name && !lease_key_parse(name, &l) && l.has6)
			memcpy(taken[nt++], l.subnet6.addr, 16);
	}
	qsort(taken, nt, sizeof(*taken), cmp_addr6);
	r = subnet_pick6(&a->nc, (const uint8_t (*)[16])taken, nt,
			 from % netconf_count6(&a->nc), out);
	free(taken);
	return r ? -EXIT_FULL : 0;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

/*
 * A listing claim() is done with: kept for relist() when the claim took
 * and a->keep_list asks for it (once, at start), else freed.
 */
static void keep_or_free(struct agent *a, struct etcd_kv *kvs, size_t n,
			 int64_t rev, bool claimed)
{
	if (claimed && a->keep_list && !a->list) {
		a->list = kvs;
		a->nlist = n;
		a->list_rev = rev;
		return;
	}
	etcd_kvs_free(kvs, n);
}

/* 0: claimed; EXIT_FULL; -1: etcd error (retry). */
static int claim(struct agent *a, bool prev_only)
{
	struct etcd_kv *kvs;
	uint32_t *taken, subnet, pick;
	struct tw_prefix subnet6, p6;
	const struct tw_prefix *s6 = NULL;
	size_t n, i, nt;
	int64_t rev;
	uint8_t plen;
	bool have_prev;
	int t, r;

	for (t = 0; t < CLAIM_TRIES; t++) {
		if (etcd_range(&a->e, a->subnets, a->subnets_end, &kvs, &n, &rev))
			return -1;
		subnet = a->subnet;
		subnet6 = a->subnet6;
		have_prev = prev_only ||
			    (t == 0 && previous_subnet(a, kvs, n, &subnet,
						       &subnet6));
		if (have_prev) {
			r = try_claim(a, kvs, n, rev, subnet,
				      a->nc.ipv6 ? &subnet6 : NULL);
			if (r || prev_only) {
				keep_or_free(a, kvs, n, rev, r > 0);
				return r > 0 ? 0 : r < 0 ? -1 : EXIT_LOST;
			}
			logm(L_INFO, "previous subnet %s is taken", a->name);
		}
		taken = tw_calloc(n + 1, sizeof(*taken));
		for (i = 0, nt = 0; i < n; i++) {
			const char *name = key_name(a, kvs[i].key);

			if (name && !subnet_key_parse(name, &subnet, &plen))
				taken[nt++] = subnet;
		}
		qsort(taken, nt, sizeof(*taken), cmp_u32);
		r = subnet_pick(&a->nc, taken, nt, random_u32() % netconf_count(&a->nc),
				&pick) ? -EXIT_FULL : 0;
		free(taken);
		if (!r && a->nc.ipv6) {
			r = pick6(a, kvs, n, &p6);
			s6 = &p6;
		}
		if (!r)
			r = try_claim(a, kvs, n, rev, pick, s6);
		keep_or_free(a, kvs, n, rev, r > 0);
		if (r == -EXIT_FULL)
			return EXIT_FULL;
		if (r < 0)
			return -1;
		if (r > 0)
			return 0;
		logm(L_INFO, "lost the race for %s, trying another subnet", a->name);
	}
	tw_err("no subnet claimed after %d attempts (lost every race)",
	       CLAIM_TRIES);
	return -1;
}

static int grant(struct agent *a)
{
	if (etcd_lease_grant(&a->e, a->o.ttl, &a->lease))
		return -1;
	a->ttl = a->o.ttl;
	return 0;
}

/* A host-order IPv4 subnet as a prefix. */
static struct tw_prefix v4_prefix(uint32_t subnet, uint8_t plen)
{
	struct tw_prefix p = { .family = AF_INET, .cidr = plen };
	uint32_t be = htonl(subnet);

	memcpy(p.addr, &be, 4);
	return p;
}

static int write_state(struct agent *a)
{
	struct tw_subnetenv se = {
		.network = v4_prefix(a->nc.network, a->nc.plen),
		.subnet = v4_prefix(a->subnet, a->nc.subnet_len),
		.mtu = a->mtu > 50 ? a->mtu - 50 : 1450,
		.ipmasq = a->o.ip_masq,
	};

	if (a->nc.ipv6) {
		se.network6 = a->nc.network6;
		se.subnet6 = a->subnet6;
	}
	char env[512];

	subnetenv_format(&se, env, sizeof(env));
	if (tw_write_file(a->o.subnet_file, env))
		return -1;
	if (a->o.state_file) {
		snprintf(env, sizeof(env), "%s\n", a->name);
		if (tw_write_file(a->o.state_file, env))
			return -1;
	}
	return 0;
}

/*
 * Our lease is gone (expired, revoked, deleted): a new etcd lease and our
 * subnet back if nobody took it.  0, EXIT_LOST, or -1 (etcd: retry).
 */
static int reclaim(struct agent *a)
{
	int r;

	logm(L_WARN, "lease on %s lost, claiming it again", a->name);
	if (grant(a))
		return -1;
	r = claim(a, true);
	if (r == EXIT_LOST)
		tw_err("subnet %s now belongs to another host; not forwarding for it: exiting (a restart claims a new subnet)",
		       a->name);
	else if (!r)
		logm(L_INFO, "lease on %s renewed (lease %llx)", a->name,
		     (unsigned long long)a->lease);
	return r;
}

/* ---- watching ---- */

/*
 * Re-lists the leases and converges the device; the revision or -1.  The
 * first time, the listing of the claim at start serves (our own lease,
 * put after it, comes as the watch's first event).
 */
static int64_t relist(struct agent *a)
{
	struct etcd_kv *kvs;
	const char *name;
	int64_t rev;
	size_t n, i;

	if (a->list) {
		kvs = a->list;
		n = a->nlist;
		rev = a->list_rev;
		a->list = NULL;
	} else if (etcd_range(&a->e, a->subnets, a->subnets_end, &kvs, &n,
			      &rev)) {
		return -1;
	}
	clear_hosts(a);
	for (i = 0; i < n; i++) {
		name = key_name(a, kvs[i].key);
		if (name)
			put_host(a, name, kvs[i].value, kvs[i].vlen, true);
	}
	etcd_kvs_free(kvs, n);
	logm(L_INFO, "%zu leases at revision %lld", a->nhosts, (long long)rev);
	apply(a, true);
	return rev;
}

/* One event: 0, or an exit code (our subnet lost). */
static int on_event(struct agent *a, const struct etcd_event *ev,
		    bool *changed)
{
	const char *name = key_name(a, ev->kv.key);
	struct host_entry *h;
	struct tw_lease l;

	if (!name)
		return 0;
	if (!strcmp(name, a->name)) {
		if (ev->del) {
			int r;

			while ((r = reclaim(a)) < 0 && !stop) {
				logm(L_WARN, "%s; retrying", tw_errmsg);
				nap(1000);
			}
			return r > 0 ? r : 0;
		}
		if (lease_parse(ev->kv.value, ev->kv.vlen, &l) ||
		    memcmp(&l.public_ip, &a->pub, sizeof(a->pub)) != 0) {
			tw_err("subnet %s was taken over by another host; exiting",
			       a->name);
			return EXIT_LOST;
		}
		return 0;
	}
	logm(L_DEBUG, "%s %s", ev->del ? "delete" : "put", name);
	if (ev->del) {
		h = find_host(a, name);
		if (h)
			drop_host(a, h);
	} else {
		put_host(a, name, ev->kv.value, ev->kv.vlen, false);
	}
	*changed = true;
	return 0;
}

static int keepalive(struct agent *a, int64_t *last_ok)
{
	int64_t ttl;
	int r;

	if (etcd_lease_keepalive(&a->e, a->lease, &ttl)) {
		logm(L_WARN, "%s (table kept as it is; retrying)", tw_errmsg);
		return 0;
	}
	*last_ok = now_ms();
	if (ttl > 0)
		return 0;
	r = reclaim(a);
	if (r < 0)
		logm(L_WARN, "%s; retrying", tw_errmsg);
	return r > 0 ? r : 0;
}

static int run(struct agent *a)
{
	struct etcd_watch w = { 0 };
	int64_t rev = -1, last_ka = now_ms(), wait = 500;
	int64_t period = a->o.ttl * 1000 / 3;
	/* the lease was granted just before the claim: first renewal a
	 * period on, not before the first listing */
	int64_t next_ka = last_ka + period;
	bool watching = false, changed;
	size_t i;
	int r;

	while (!stop) {
		if (now_ms() >= next_ka) {
			r = keepalive(a, &last_ka);
			if (r)
				return r;
			next_ka = now_ms() + (now_ms() - last_ka > period ? 1000 : period);
		}
		if (rev < 0) {
			rev = relist(a);
			if (rev < 0) {
				logm(L_WARN, "%s (table kept as it is; retrying)",
				     tw_errmsg);
				nap(backoff(&wait, period));
				continue;
			}
		}
		if (!watching) {
			if (etcd_watch_start(&a->e, &w, a->subnets, a->subnets_end,
					     rev + 1))
				return -1;
			watching = true;
		}
		r = etcd_watch_poll(&w, 500);
		changed = false;
		for (i = 0; i < w.nev; i++) {
			int x = on_event(a, &w.ev[i], &changed);

			if (x) {
				etcd_watch_stop(&w);
				return x;
			}
		}
		etcd_watch_take(&w);
		if (changed)
			apply(a, false);
		if (w.rev >= rev)
			rev = w.rev;
		if (w.created)
			wait = 500;
		if (r > 0)
			continue;
		if (w.compacted) {
			logm(L_WARN, "watch from revision %lld: compacted at %lld; re-listing",
			     (long long)rev + 1, (long long)w.compacted);
			rev = -1;
		} else {
			logm(L_WARN, "watch ended: %s (table kept as it is; reconnecting)",
			     r < 0 ? tw_errmsg : "closed by etcd");
			nap(backoff(&wait, period));
		}
		etcd_watch_stop(&w);
		watching = false;
	}
	if (watching)
		etcd_watch_stop(&w);
	return 0;
}

/* ---- start-up ---- */

static void usage(FILE *f)
{
	fputs("usage: twilld [OPTIONS]\n"
	      "Leases this host's pod subnet in etcd (flannel's keys) and keeps the twill\n"
	      "device's peers in step with the other hosts' leases.\n\n"
	      "  --etcd-endpoints URL[,URL]  etcd (default http://127.0.0.1:2379)\n"
	      "  --etcd-prefix PREFIX        keys under PREFIX (default /coreos.com/network)\n"
	      "  --etcd-cafile FILE          CA of etcd's certificate\n"
	      "  --etcd-certfile FILE        client certificate\n"
	      "  --etcd-keyfile FILE         client key\n"
	      "  --iface IF|ADDR             the underlay interface (its first IPv4)\n"
	      "  --public-ip ADDR            this host's address in its lease\n"
	      "  --ip-masq                   masquerade traffic leaving the network\n"
	      "  --subnet-file FILE          default /run/twill/subnet.env\n"
	      "  --subnet-lease-ttl SECONDS  default 60\n"
	      "  --device NAME               default twill0\n"
	      "  --state-file FILE           default /var/lib/twill/twilld-subnet\n"
	      "  --revoke-on-exit            revoke the lease on SIGTERM/SIGINT\n"
	      "  --config FILE               options as \"name = value\" lines\n"
	      "  --log-level LEVEL           error, warn, info (default), debug\n"
	      "  --help, --version\n"
	      "Exit: 0 stopped, 1 runtime error, 2 usage, 3 bad network config,\n"
	      "4 network full, 5 subnet lost to another host.\n", f);
}

enum {
	O_ENDPOINTS = 256, O_PREFIX, O_CAFILE, O_CERTFILE, O_KEYFILE, O_IFACE,
	O_PUBLIC_IP, O_IP_MASQ, O_SUBNET_FILE, O_TTL, O_DEVICE, O_STATE,
	O_REVOKE, O_CONFIG, O_LOG, O_HELP, O_VERSION,
};

static const struct option long_opts[] = {
	{ "etcd-endpoints", required_argument, NULL, O_ENDPOINTS },
	{ "etcd-prefix", required_argument, NULL, O_PREFIX },
	{ "etcd-cafile", required_argument, NULL, O_CAFILE },
	{ "etcd-certfile", required_argument, NULL, O_CERTFILE },
	{ "etcd-keyfile", required_argument, NULL, O_KEYFILE },
	{ "iface", required_argument, NULL, O_IFACE },
	{ "public-ip", required_argument, NULL, O_PUBLIC_IP },
	{ "ip-masq", no_argument, NULL, O_IP_MASQ },
	{ "subnet-file", required_argument, NULL, O_SUBNET_FILE },
	{ "subnet-lease-ttl", required_argument, NULL, O_TTL },
	{ "device", required_argument, NULL, O_DEVICE },
	{ "state-file", required_argument, NULL, O_STATE },
	{ "revoke-on-exit", no_argument, NULL, O_REVOKE },
	{ "config", required_argument, NULL, O_CONFIG },
	{ "log-level", required_argument, NULL, O_LOG },
	{ "help", no_argument, NULL, O_HELP },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 },
};

static int set_opt(struct opts *o, int id, const char *arg);

/* "name = value" or "name" lines, '#' comments: the long options. */
static int read_config(struct opts *o, const char *path)
{
	char *text = tw_read_file(path), *line, *save = NULL, *eq, *v;
	const struct option *opt;
	int lineno = 0, ret = 0;

	if (!text)
		return tw_err("%s: %s", path, strerror(errno));
	for (line = strtok_r(text, "\n", &save); line && !ret;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		line[strcspn(line, "#")] = '\0';
		line += strspn(line, " \t");
		eq = strchr(line, '=');
		v = eq ? eq + 1 : NULL;
		if (eq)
			*eq = '\0';
		line[strcspn(line, " \t")] = '\0';
		if (!*line)
			continue;
		if (v) {
			v += strspn(v, " \t");
			v[strcspn(v, " \t")] = '\0';
			v = strdup(v);	/* lives as long as the options */
		}
		for (opt = long_opts; opt->name; opt++)
			if (!strcmp(opt->name, line))
				break;
		if (!opt->name || opt->val == O_CONFIG || opt->val == O_HELP ||
		    opt->val == O_VERSION)
			ret = tw_err("%s:%d: unknown option '%s'", path, lineno, line);
		else if ((opt->has_arg == required_argument) != (v != NULL))
			ret = tw_err("%s:%d: '%s' %s", path, lineno, line,
				     v ? "takes no value" : "needs a value");
		else
			ret = set_opt(o, opt->val, v);
	}
	free(text);
	return ret;
}

static int set_opt(struct opts *o, int id, const char *arg)
{
	uint32_t n;
	size_t i;

	if (!arg && id != O_IP_MASQ && id != O_REVOKE)
		return tw_err("an option without its value");
	switch (id) {
	case O_ENDPOINTS: o->endpoints = arg; break;
	case O_PREFIX: o->prefix = arg; break;
	case O_CAFILE: o->cafile = arg; break;
	case O_CERTFILE: o->certfile = arg; break;
	case O_KEYFILE: o->keyfile = arg; break;
	case O_IFACE: o->iface = arg; break;
	case O_PUBLIC_IP: o->public_ip = arg; break;
	case O_IP_MASQ: o->ip_masq = true; break;
	case O_SUBNET_FILE: o->subnet_file = arg; break;
	case O_DEVICE: o->device = arg; break;
	case O_STATE: o->state_file = arg; break;
	case O_REVOKE: o->revoke = true; break;
	case O_CONFIG: return read_config(o, arg);
	case O_TTL:
		if (parse_u32(arg, 3, 86400, &n))
			return tw_err_ctx("--subnet-lease-ttl");
		o->ttl = n;
		break;
	case O_LOG:
		for (i = 0; i < TW_ARRAY_SIZE(level_names); i++)
			if (!strcmp(arg, level_names[i]))
				break;
		if (i == TW_ARRAY_SIZE(level_names))
			return tw_err("--log-level %s: not error, warn, info or debug",
				      arg);
		log_level = (int)i;
		break;
	default:
		return -1;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int c;
	char ifname[IFNAMSIZ];

	o->endpoints = "http://127.0.0.1:2379";
	o->prefix = TW_DEFAULT_PREFIX;
	o->subnet_file = "/run/twill/subnet.env";
	o->device = "twill0";
	o->state_file = "/var/lib/twill/twilld-subnet";
	o->ttl = 60;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (c == O_HELP) {
			usage(stdout);
			exit(EXIT_OK);
		}
		if (c == O_VERSION) {
			printf("twilld %s\n", TWILL_VERSION);
			exit(EXIT_OK);
		}
		if (c == '?') {
			usage(stderr);
			return -1;
		}
		if (set_opt(o, c, optarg)) {
			logm(L_ERROR, "%s", tw_errmsg);
			return -1;
		}
	}
	if (optind < argc) {
		logm(L_ERROR, "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (parse_ifname(o->device, ifname)) {
		logm(L_ERROR, "--device: %s", tw_errmsg);
		return -1;
	}
	if (o->prefix[0] != '/' || o->prefix[strlen(o->prefix) - 1] == '/') {
		logm(L_ERROR, "--etcd-prefix %s: must start with '/' and not end with it",
		     o->prefix);
		return -1;
	}
	return 0;
}

/* Config, device, claim, host: 0, or an exit code. */
/* host_prune, logged; what: whose addresses these are. */
static void prune(struct agent *a, uint32_t keep, uint32_t network,
		  uint8_t plen, const char *what)
{
	int n = host_prune(a->ifindex, keep, network, plen);

	if (n < 0)
		logm(L_WARN, "removing %s address from %s: %s", what, a->ifname,
		     tw_errmsg);
	else if (n)
		logm(L_INFO, "removed %s address from %s (%d)", what, a->ifname, n);
}

/* host_prune6 of an earlier IPv6 subnet's address, logged. */
static void prune6(struct agent *a)
{
	int n = host_prune6(a->ifindex, &a->subnet6, &a->nc);

	if (n < 0)
		logm(L_WARN, "removing an earlier IPv6 subnet's address from %s: %s",
		     a->ifname, tw_errmsg);
	else if (n)
		logm(L_INFO, "removed an earlier IPv6 subnet's address from %s (%d)",
		     a->ifname, n);
}

/*
 * Our subnet went to another host: its address off the device and the
 * subnet file gone, so that neither this host's routing nor a CNI plugin
 * reading the file goes on using it.
 */
static void forget_subnet(struct agent *a)
{
	prune(a, 0, a->subnet, a->nc.subnet_len, "the lost subnet's");
	if (a->subnet6.family && host_unconfigure6(a->ifindex, &a->subnet6))
		logm(L_WARN, "removing the lost IPv6 subnet's address from %s: %s",
		     a->ifname, tw_errmsg);
	if (unlink(a->o.subnet_file) && errno != ENOENT)
		logm(L_WARN, "removing %s: %s", a->o.subnet_file, strerror(errno));
	else
		logm(L_INFO, "removed %s", a->o.subnet_file);
}

static int start(struct agent *a)
{
	char ip[TW_ADDR_STRLEN];
	int64_t wait = 500;
	int r;

	while ((r = read_netconf(a)) && !stop) {
		if (r == -2 && strstr(tw_errmsg, "does not exist")) {
			logm(L_WARN, "%s; waiting for it", tw_errmsg);
		} else if (r == -2) {
			logm(L_ERROR, "%s", tw_errmsg);
			return EXIT_NETCONF;
		} else {
			logm(L_WARN, "%s; retrying", tw_errmsg);
		}
		nap(backoff(&wait, BACKOFF_MAX_MS));
	}
	if (stop)
		return EXIT_OK;
	if (a->nc.v6_ignored)
		logm(L_INFO, "IPv6Network without EnableIPv6: IPv4 only, as flanneld does");
	if (host_public_ip(a->o.public_ip, a->o.iface, &a->pub, &a->mtu) ||
	    setup_device(a)) {
		logm(L_ERROR, "%s", tw_errmsg);
		return EXIT_RUNTIME;
	}
	{
		struct tw_lease l = { .public_ip = a->pub, .vni = a->nc.vni,
				      .has_mac = true };

		memcpy(l.mac, a->mac, TW_MAC_LEN);
		a->value = lease_format(&l);
	}
	wait = 500;
	a->keep_list = true;
	while (!stop) {
		r = grant(a);
		if (!r)
			r = claim(a, false);
		if (r == EXIT_FULL) {
			logm(L_ERROR, "%s", tw_errmsg);
			etcd_lease_revoke(&a->e, a->lease);
			return EXIT_FULL;
		}
		if (!r)
			break;
		logm(L_WARN, "%s; retrying", tw_errmsg);
		nap(backoff(&wait, BACKOFF_MAX_MS));
	}
	a->keep_list = false;
	if (stop)
		return EXIT_OK;
	logm(L_INFO, "leased %s (lease %llx, TTL %llds), public IP %s",
	     a->name, (unsigned long long)a->lease, (long long)a->ttl,
	     fmt_addr(&a->pub, ip));
	if (host_configure(a->ifindex, a->mtu > 50 ? a->mtu - 50 : 0,
			   a->subnet, a->nc.network, a->nc.plen) ||
	    (a->nc.ipv6 &&
	     host_configure6(a->ifindex, &a->subnet6, &a->nc.network6)) ||
	    write_state(a)) {
		logm(L_ERROR, "%s", tw_errmsg);
		return EXIT_RUNTIME;
	}
	prune(a, a->subnet, a->nc.network, a->nc.plen, "an earlier subnet's");
	if (a->nc.ipv6)
		prune6(a);
	if (a->o.ip_masq)
		set_masquerade(a);
	return 0;
}

int main(int argc, char **argv)
{
	struct agent a;
	struct sigaction sa;
	size_t plen;
	int r;

	memset(&a, 0, sizeof(a));
	if (parse_opts(argc, argv, &a.o))
		return EXIT_USAGE;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	a.e.cafile = a.o.cafile;
	a.e.certfile = a.o.certfile;
	a.e.keyfile = a.o.keyfile;
	if (etcd_init(&a.e, a.o.endpoints)) {
		logm(L_ERROR, "%s", tw_errmsg);
		return EXIT_USAGE;
	}
	plen = strlen(a.o.prefix);
	a.subnets = tw_malloc(plen + sizeof("/subnets/"));
	sprintf(a.subnets, "%s/subnets/", a.o.prefix);
	a.subnets_end = prefix_end(a.subnets);
	dev_init(&a.view[0]);
	dev_init(&a.view[1]);
	r = start(&a);
	if (!r && !stop) {
		r = run(&a);
		if (r)
			logm(L_ERROR, "%s", tw_errmsg);
	}
	if (r < 0)
		r = EXIT_RUNTIME;
	if (r == EXIT_LOST)
		forget_subnet(&a);
	if (stop && a.lease && a.o.revoke) {
		if (etcd_lease_revoke(&a.e, a.lease))
			logm(L_WARN, "%s", tw_errmsg);
		else
			logm(L_INFO, "lease on %s revoked", a.name);
	}
	if (stop)
		logm(L_INFO, "stopped; %s keeps its table", a.o.device);
	clear_hosts(&a);
	free(a.hosts);
	if (a.list)
		etcd_kvs_free(a.list, a.nlist);
	dev_free(&a.view[0]);
	dev_free(&a.view[1]);
	nl_close(&a.nl);
	etcd_free(&a.e);
	free(a.subnets);
	free(a.subnets_end);
	free(a.key);
	free(a.value);
	curl_global_cleanup();
	return r;
}
