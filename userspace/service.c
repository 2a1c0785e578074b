// SPDX-License-Identifier: GPL-2.0
#include "service.h"
#include "parse.h"
#include "util.h"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/twill.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {
	[TWILL_BACKEND_S_ACTIVE] = "active",
	[TWILL_BACKEND_S_TERMINATING] = "terminating",
	[TWILL_BACKEND_S_MAINTENANCE] = "maintenance",
};

static const char *state_name(uint8_t state)
{
	return state <= TWILL_BACKEND_S_MAX ? state_names[state] : "unknown";
}

void service_init(struct tw_service *s)
{
	memset(s, 0, sizeof(*s));
}

void service_free(struct tw_service *s)
{
	free(s->backends);
	service_init(s);
}

void services_free(struct tw_services *all)
{
	size_t i;

	for (i = 0; i < all->n; i++)
		service_free(&all->svcs[i]);
	free(all->svcs);
	memset(all, 0, sizeof(*all));
}

static struct tw_backend *add_backend(struct tw_service *s)
{
	struct tw_backend *b;

	tw_grow((void **)&s->backends, &s->cap, s->nbackends + 1,
		sizeof(*s->backends));
	b = &s->backends[s->nbackends++];
	memset(b, 0, sizeof(*b));
	b->weight = TWILL_BACKEND_DEFAULT_WEIGHT;
	return b;
}

/* ---- parsing what a user gives ---- */

/*
 * "ADDR[:PORT]" or "[ADDR6][:PORT]" into host and port text; a bare IPv6
 * address (more than one colon, no brackets) has no port.
 */
static int split_host_port(const char *s, char *host, size_t hlen,
			   const char **port)
{
	const char *end, *colon = strrchr(s, ':');
	size_t len;

	*port = NULL;
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -1;
		len = (size_t)(end - s - 1);
		if (end[1] == ':')
			*port = end + 2;
		s++;
	} else if (colon && colon == strchr(s, ':')) {
		len = (size_t)(colon - s);
		*port = colon + 1;
	} else {
		len = strlen(s);
	}
	if (!len || len >= hlen)
		return -1;
	memcpy(host, s, len);
	host[len] = '\0';
	return 0;
}

static int parse_port(const char *s, const char *token, uint16_t *out)
{
	uint32_t v;

	if (!s || parse_u32(s, 1, 65535, &v))
		return tw_err("invalid port in '%s' (expected 1-65535)", token);
	*out = (uint16_t)v;
	return 0;
}

int service_parse_key(const char *s, struct tw_service *svc)
{
	char buf[TW_ADDR_STRLEN + 16], host[TW_ADDR_STRLEN];
	const char *port;
	char *slash;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return tw_err("invalid service '%s'", s);
	slash = strrchr(buf, '/');
	if (!slash)
		return tw_err("invalid service '%s' (expected ADDR:PORT/tcp or /udp)",
			      s);
	*slash++ = '\0';
	if (!strcmp(slash, "tcp"))
		svc->proto = IPPROTO_TCP;
	else if (!strcmp(slash, "udp"))
		svc->proto = IPPROTO_UDP;
	else
		return tw_err("invalid service '%s' (protocol must be tcp or udp)",
			      s);
	if (split_host_port(buf, host, sizeof(host), &port))
		return tw_err("invalid service '%s' (expected ADDR:PORT/PROTO, [ADDR6]:PORT/PROTO)",
			      s);
	if (!port)
		return tw_err("invalid service '%s' (no port)", s);
	if (parse_unicast(host, "service address", &svc->vip))
		return -1;
	return parse_port(port, s, &svc->port);
}

static int parse_backend_addr(const char *s, const struct tw_service *svc,
			      struct tw_backend *b)
{
	char host[TW_ADDR_STRLEN];
	const char *port;

	if (split_host_port(s, host, sizeof(host), &port))
		return tw_err("invalid backend '%s'", s);
	if (parse_unicast(host, "backend address", &b->addr))
		return -1;
	if (b->addr.family != svc->vip.family)
		return tw_err("backend '%s' is not of the service's address family",
			      s);
	return port ? parse_port(port, s, &b->port) : 0;
}

static int parse_state(const char *s, uint8_t *state)
{
	unsigned int i;

	for (i = 0; i <= TWILL_BACKEND_S_MAX; i++) {
		if (!strcmp(s, state_names[i])) {
			*state = (uint8_t)i;
			return 0;
		}
	}
	return tw_err("invalid state '%s' (expected active, terminating or maintenance)",
		      s);
}

static bool same_backend(const struct tw_backend *a, const struct tw_backend *b,
			 uint16_t svc_port)
{
	return !memcmp(&a->addr, &b->addr, sizeof(a->addr)) &&
	       (a->port ? a->port : svc_port) == (b->port ? b->port : svc_port);
}

/*
 * The options after `backend ADDR[:PORT]`; returns the words used.  One
 * request carries the service: its attribute holds at most 64 KiB.
 */
static int parse_backend(int argc, char *const argv[], struct tw_service *svc)
{
	struct tw_backend *b;
	bool weight = false, state = false;
	size_t i;
	int n = 1;

	if (svc->nbackends == TW_SERVICE_MAX_ARGS_BACKENDS)
		return tw_err("more than %d backends in one service set",
			      TW_SERVICE_MAX_ARGS_BACKENDS);
	b = add_backend(svc);
	if (parse_backend_addr(argv[0], svc, b))
		return -1;
	for (i = 0; i + 1 < svc->nbackends; i++)
		if (same_backend(&svc->backends[i], b, svc->port))
			return tw_err("backend '%s' given twice", argv[0]);
	while (n < argc) {
		if (!strcmp(argv[n], "weight") && !weight) {
			if (n + 1 >= argc)
				return tw_err("weight needs a value");
			if (parse_u32(argv[n + 1], 0, TWILL_BACKEND_MAX_WEIGHT,
				      &b->weight))
				return tw_err_ctx("weight");
			weight = true;
		} else if (!strcmp(argv[n], "state") && !state) {
			if (n + 1 >= argc)
				return tw_err("state needs a value");
			if (parse_state(argv[n + 1], &b->state))
				return -1;
			state = true;
		} else if (!strcmp(argv[n], "weight") ||
			   !strcmp(argv[n], "state")) {
			return tw_err("'%s' given twice for backend '%s'",
				      argv[n], argv[0]);
		} else {
			break;
		}
		n += 2;
	}
	return n;
}

static int parse_affinity(const char *s, struct tw_service *svc)
{
	if (svc->has_affinity)
		return tw_err("affinity given twice");
	svc->has_affinity = true;
	if (!strcmp(s, "off")) {
		svc->affinity = 0;
		return 0;
	}
	if (parse_u32(s, 1, TWILL_SERVICE_MAX_AFFINITY, &svc->affinity))
		return tw_err_ctx("affinity");
	return 0;
}

int service_parse_args(int argc, char *const argv[], struct tw_service *svc)
{
	int i = 0, n;

	while (i < argc) {
		if (!strcmp(argv[i], "remove")) {
			svc->remove = true;
			i++;
		} else if (!strcmp(argv[i], "affinity")) {
			if (i + 1 >= argc)
				return tw_err("affinity needs SECONDS or off");
			if (parse_affinity(argv[i + 1], svc))
				return -1;
			i += 2;
		} else if (!strcmp(argv[i], "backend")) {
			if (i + 1 >= argc)
				return tw_err("backend needs an address");
			svc->has_backends = true;
			n = parse_backend(argc - i - 1, argv + i + 1, svc);
			if (n < 0)
				return -1;
			i += 1 + n;
		} else {
			return tw_err("unknown service argument '%s'", argv[i]);
		}
	}
	if (svc->remove && (svc->has_affinity || svc->has_backends))
		return tw_err("remove takes no affinity or backends");
	return 0;
}

/* Whether n is a prime, as the kernel wants the Maglev table size. */
static bool is_prime(uint32_t n)
{
	uint32_t d;

	if (n < 2 || (n > 2 && !(n % 2)))
		return n == 2;
	for (d = 3; d * d <= n; d += 2)
		if (!(n % d))
			return false;
	return true;
}

int service_parse_config(int argc, char *const argv[],
			 struct tw_service_config *c)
{
	uint32_t *v;
	int i;

	memset(c, 0, sizeof(*c));
	if (!argc)
		return tw_err("nothing to configure (max-services, max-backends, maglev-size)");
	for (i = 0; i < argc; i += 2) {
		if (!strcmp(argv[i], "max-services"))
			v = &c->max_services;
		else if (!strcmp(argv[i], "max-backends"))
			v = &c->max_backends;
		else if (!strcmp(argv[i], "maglev-size"))
			v = &c->maglev_size;
		else
			return tw_err("unknown service config key '%s'", argv[i]);
		if (*v)
			return tw_err("%s given twice", argv[i]);
		if (i + 1 >= argc)
			return tw_err("%s needs a value", argv[i]);
		if (v == &c->max_services &&
		    parse_u32(argv[i + 1], 1, 1U << 20, v))
			return tw_err_ctx("max-services");
		if (v == &c->max_backends &&
		    parse_u32(argv[i + 1], 1, 1U << 24, v))
			return tw_err_ctx("max-backends");
		if (v == &c->maglev_size &&
		    (parse_u32(argv[i + 1], TWILL_MAGLEV_MIN_SIZE,
			       TWILL_MAGLEV_MAX_SIZE, v) || !is_prime(*v)))
			return tw_err("invalid maglev-size '%s' (a prime, %u-%u)",
				      argv[i + 1], TWILL_MAGLEV_MIN_SIZE,
				      TWILL_MAGLEV_MAX_SIZE);
	}
	return 0;
}

int service_merge(const struct tw_service *cur, const struct tw_service *args,
		  struct tw_service *out)
{
	const struct tw_service *from = args->has_backends || !cur ? args : cur;

	service_init(out);
	out->vip = args->vip;
	out->port = args->port;
	out->proto = args->proto;
	out->remove = args->remove;
	if (args->remove)
		return 0;
	out->affinity = args->has_affinity || !cur ? args->affinity :
						      cur->affinity;
	out->has_backends = true;
	if (from->nbackends) {
		out->backends = tw_calloc(from->nbackends,
					  sizeof(*out->backends));
		memcpy(out->backends, from->backends,
		       from->nbackends * sizeof(*out->backends));
		out->nbackends = out->cap = from->nbackends;
	}
	return 0;
}

/* ---- netlink ---- */

static size_t addr_len(const struct tw_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

static void put_key(struct nlmsghdr *nlh, const struct tw_service *svc)
{
	mnl_attr_put_u16(nlh, TWILL_SERVICE_A_FAMILY, svc->vip.family);
	mnl_attr_put(nlh, TWILL_SERVICE_A_ADDR, addr_len(&svc->vip),
		     svc->vip.addr);
	mnl_attr_put_u16(nlh, TWILL_SERVICE_A_PORT, svc->port);
	mnl_attr_put_u8(nlh, TWILL_SERVICE_A_PROTO, svc->proto);
}

void service_put_key(struct nlmsghdr *nlh, const struct tw_service *svc)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, 0);

	put_key(nlh, svc);
	mnl_attr_nest_end(nlh, nest);
}

void service_put(struct nlmsghdr *nlh, const struct tw_service *svc)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, 0), *list, *b;
	size_t i;

	put_key(nlh, svc);
	if (svc->remove) {
		mnl_attr_put_u32(nlh, TWILL_SERVICE_A_FLAGS,
				 TWILL_SERVICE_F_REMOVE);
		mnl_attr_nest_end(nlh, nest);
		return;
	}
	mnl_attr_put_u32(nlh, TWILL_SERVICE_A_AFFINITY, svc->affinity);
	list = mnl_attr_nest_start(nlh, TWILL_SERVICE_A_BACKENDS);
	for (i = 0; i < svc->nbackends; i++) {
		const struct tw_backend *be = &svc->backends[i];

		b = mnl_attr_nest_start(nlh, 0);
		mnl_attr_put(nlh, TWILL_BACKEND_A_ADDR, addr_len(&be->addr),
			     be->addr.addr);
		if (be->port)
			mnl_attr_put_u16(nlh, TWILL_BACKEND_A_PORT, be->port);
		mnl_attr_put_u32(nlh, TWILL_BACKEND_A_WEIGHT, be->weight);
		mnl_attr_put_u8(nlh, TWILL_BACKEND_A_STATE, be->state);
		mnl_attr_nest_end(nlh, b);
	}
	mnl_attr_nest_end(nlh, list);
	mnl_attr_nest_end(nlh, nest);
}

static int get_addr(const struct nlattr *a, uint16_t family,
		    struct tw_addr *out)
{
	size_t len = mnl_attr_get_payload_len(a);

	if (len != (family == AF_INET ? 4u : 16u))
		return -1;
	memset(out, 0, sizeof(*out));
	out->family = (uint8_t)family;
	memcpy(out->addr, mnl_attr_get_payload(a), len);
	return 0;
}

static int parse_backend_nest(const struct nlattr *nest, uint16_t family,
			      struct tw_backend *b)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case TWILL_BACKEND_A_ADDR:
			if (get_addr(a, family, &b->addr))
				return -1;
			break;
		case TWILL_BACKEND_A_PORT:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return -1;
			b->port = mnl_attr_get_u16(a);
			break;
		case TWILL_BACKEND_A_WEIGHT:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -1;
			b->weight = mnl_attr_get_u32(a);
			break;
		case TWILL_BACKEND_A_STATE:
			if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
				return -1;
			b->state = mnl_attr_get_u8(a);
			break;
		}
	}
	return b->addr.family ? 0 : -1;
}

static int u32_attr(const struct nlattr *a, uint32_t *v)
{
	if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return -1;
	*v = mnl_attr_get_u32(a);
	return 0;
}

/* The head of a service nest; the backends nest is returned in *list. */
static int parse_service_head(const struct nlattr *nest, struct tw_service *s,
			      const struct nlattr **list)
{
	const struct nlattr *a, *addr = NULL;
	uint16_t family = 0;

	*list = NULL;
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case TWILL_SERVICE_A_FAMILY:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return -1;
			family = mnl_attr_get_u16(a);
			break;
		case TWILL_SERVICE_A_ADDR:
			addr = a;
			break;
		case TWILL_SERVICE_A_PORT:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return -1;
			s->port = mnl_attr_get_u16(a);
			break;
		case TWILL_SERVICE_A_PROTO:
			if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
				return -1;
			s->proto = mnl_attr_get_u8(a);
			break;
		case TWILL_SERVICE_A_AFFINITY:
			if (u32_attr(a, &s->affinity))
				return -1;
			break;
		case TWILL_SERVICE_A_NUM_BACKENDS:
			if (u32_attr(a, &s->num_backends))
				return -1;
			break;
		case TWILL_SERVICE_A_BACKENDS:
			*list = a;
			break;
		}
	}
	if ((family != AF_INET && family != AF_INET6) || !addr)
		return -1;
	return get_addr(addr, family, &s->vip);
}

static bool same_key(const struct tw_service *a, const struct tw_service *b)
{
	return a->port == b->port && a->proto == b->proto &&
	       !memcmp(&a->vip, &b->vip, sizeof(a->vip));
}

struct tw_service *service_find(struct tw_services *all,
				const struct tw_service *svc)
{
	size_t i;

	for (i = 0; i < all->n; i++)
		if (same_key(&all->svcs[i], svc))
			return &all->svcs[i];
	return NULL;
}

static int parse_service_nest(const struct nlattr *nest,
			      struct tw_services *all)
{
	const struct nlattr *list, *a;
	struct tw_service head, *s;

	service_init(&head);
	if (parse_service_head(nest, &head, &list))
		return -1;
	/* a continuation repeats the key of the previous service */
	s = all->n && same_key(&all->svcs[all->n - 1], &head) ?
	    &all->svcs[all->n - 1] : NULL;
	if (!s) {
		tw_grow((void **)&all->svcs, &all->cap, all->n + 1,
			sizeof(*all->svcs));
		s = &all->svcs[all->n++];
		*s = head;
	}
	if (!list)
		return 0;
	mnl_attr_for_each_nested(a, list) {
		if (parse_backend_nest(a, s->vip.family, add_backend(s)))
			return -1;
	}
	return 0;
}

/* TWILL_A_SERVICE_STATS: u64 counters by type; unknown ones are skipped. */
static int parse_stats(const struct nlattr *nest, struct tw_services *all)
{
	const struct nlattr *a;
	uint16_t type;

	mnl_attr_for_each_nested(a, nest) {
		type = mnl_attr_get_type(a);
		if (!type || type > TWILL_SERVICE_STAT_MAX)
			continue;
		if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
			return -1;
		all->stats[type] = mnl_attr_get_u64(a);
	}
	all->has_stats = true;
	return 0;
}

int service_parse_msg(const struct nlmsghdr *nlh, struct tw_services *all)
{
	const struct nlattr *a, *nest;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case TWILL_A_MAX_SERVICES:
			if (u32_attr(a, &all->max_services))
				return -1;
			break;
		case TWILL_A_MAX_BACKENDS:
			if (u32_attr(a, &all->max_backends))
				return -1;
			break;
		case TWILL_A_MAGLEV_SIZE:
			if (u32_attr(a, &all->maglev_size))
				return -1;
			break;
		case TWILL_A_NUM_SERVICES:
			if (u32_attr(a, &all->num_services))
				return -1;
			break;
		case TWILL_A_NUM_BACKENDS:
			if (u32_attr(a, &all->num_backends))
				return -1;
			break;
		case TWILL_A_SERVICE_STATS:
			if (parse_stats(a, all))
				return -1;
			break;
		case TWILL_A_SERVICES:
			mnl_attr_for_each_nested(nest, a) {
				if (parse_service_nest(nest, all))
					return -1;
			}
			break;
		}
	}
	return 0;
}

/* ---- output ---- */

const char *service_fmt_key(const struct tw_service *svc, char *buf,
			    size_t len)
{
	char a[TW_ADDR_STRLEN];
	const char *proto = svc->proto == IPPROTO_TCP ? "tcp" :
			    svc->proto == IPPROTO_UDP ? "udp" : "?";

	fmt_addr(&svc->vip, a);
	snprintf(buf, len, svc->vip.family == AF_INET6 ? "[%s]:%u/%s" :
							 "%s:%u/%s",
		 a, svc->port, proto);
	return buf;
}

struct tw_service *service_push(struct tw_service **svcs, size_t *n,
				size_t *cap)
{
	tw_grow((void **)svcs, cap, *n + 1, sizeof(**svcs));
	service_init(&(*svcs)[*n]);
	return &(*svcs)[(*n)++];
}

static int cmp_service(const void *x, const void *y);

void services_sort(struct tw_service *svcs, size_t n)
{
	if (n)
		qsort(svcs, n, sizeof(*svcs), cmp_service);
}

static int cmp_backend(const void *x, const void *y)
{
	const struct tw_backend *a = x, *b = y;
	int d = memcmp(&a->addr, &b->addr, sizeof(a->addr));

	if (d)
		return d;
	return (int)a->port - (int)b->port;
}

/* The backends as the kernel keeps them: ports resolved, sorted. */
static struct tw_backend *normal_backends(const struct tw_service *s)
{
	struct tw_backend *b = tw_calloc(s->nbackends + 1, sizeof(*b));
	size_t i;

	if (s->nbackends)
		memcpy(b, s->backends, s->nbackends * sizeof(*b));
	for (i = 0; i < s->nbackends; i++)
		if (!b[i].port)
			b[i].port = s->port;
	qsort(b, s->nbackends, sizeof(*b), cmp_backend);
	return b;
}

bool service_same(const struct tw_service *a, const struct tw_service *b)
{
	struct tw_backend *x, *y;
	bool same = true;
	size_t i;

	if (!same_key(a, b) || a->affinity != b->affinity ||
	    a->nbackends != b->nbackends)
		return false;
	x = normal_backends(a);
	y = normal_backends(b);
	for (i = 0; i < a->nbackends && same; i++)
		same = !memcmp(&x[i].addr, &y[i].addr, sizeof(x[i].addr)) &&
		       x[i].port == y[i].port && x[i].weight == y[i].weight &&
		       x[i].state == y[i].state;
	free(x);
	free(y);
	return same;
}

static void push_copy(struct tw_device *out, const struct tw_service *svc,
		      bool remove)
{
	struct tw_service *s = service_push(&out->svcs, &out->nsvcs,
					    &out->svcs_cap);

	out->has_services = true;
	if (remove) {
		s->vip = svc->vip;
		s->port = svc->port;
		s->proto = svc->proto;
		s->remove = true;
		return;
	}
	service_merge(NULL, svc, s);
}

size_t service_sync_diff(struct tw_services *cur,
			 const struct tw_service *want, size_t n,
			 struct tw_device *out)
{
	struct tw_services one;
	const struct tw_service *c;
	size_t i, changes = 0;

	for (i = 0; i < cur->n; i++) {
		one.svcs = (struct tw_service *)want;
		one.n = n;
		if (!service_find(&one, &cur->svcs[i])) {
			push_copy(out, &cur->svcs[i], true);
			changes++;
		}
	}
	for (i = 0; i < n; i++) {
		c = service_find(cur, &want[i]);
		if (!c || !service_same(c, &want[i])) {
			push_copy(out, &want[i], false);
			changes++;
		}
	}
	return changes;
}

void service_config_write(FILE *f, const struct tw_service *svc)
{
	char key[TW_ADDR_STRLEN + 16], a[TW_ADDR_STRLEN];
	size_t i;

	fprintf(f, "\n[Service]\nAddress = %s\n",
		service_fmt_key(svc, key, sizeof(key)));
	if (svc->affinity)
		fprintf(f, "Affinity = %u\n", svc->affinity);
	for (i = 0; i < svc->nbackends; i++) {
		const struct tw_backend *b = &svc->backends[i];

		fmt_addr(&b->addr, a);
		fprintf(f, b->addr.family == AF_INET6 ? "Backend = [%s]" :
							"Backend = %s", a);
		if (b->port)
			fprintf(f, ":%u", b->port);
		if (b->weight != TWILL_BACKEND_DEFAULT_WEIGHT)
			fprintf(f, " weight %u", b->weight);
		if (b->state != TWILL_BACKEND_S_ACTIVE)
			fprintf(f, " state %s", state_name(b->state));
		fputc('\n', f);
	}
}

static int cmp_service(const void *x, const void *y)
{
	const struct tw_service *a = x, *b = y;
	int d = memcmp(&a->vip, &b->vip, sizeof(a->vip));

	if (d)
		return d;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return (int)a->proto - (int)b->proto;
}

static void sort_services(const struct tw_services *all)
{
	services_sort(all->svcs, all->n);
}

void service_show_human(FILE *f, const char *ifname,
			const struct tw_services *all)
{
	char key[TW_ADDR_STRLEN + 16], a[TW_ADDR_STRLEN];
	size_t i, k;

	sort_services(all);
	fprintf(f, "%s: %u services, %u backends (max %u, %u); maglev %u\n",
		ifname, all->num_services, all->num_backends,
		all->max_services, all->max_backends, all->maglev_size);
	for (i = 0; i < all->n; i++) {
		const struct tw_service *s = &all->svcs[i];

		fprintf(f, "  service %s", service_fmt_key(s, key, sizeof(key)));
		if (s->affinity)
			fprintf(f, " affinity %u", s->affinity);
		fputc('\n', f);
		for (k = 0; k < s->nbackends; k++) {
			const struct tw_backend *b = &s->backends[k];

			fmt_addr(&b->addr, a);
			fprintf(f, b->addr.family == AF_INET6 ?
				"    backend [%s]:%u" : "    backend %s:%u",
				a, b->port);
			fprintf(f, " weight %u state %s\n", b->weight,
				state_name(b->state));
		}
	}
	if (!all->has_stats)
		return;
	fprintf(f, "  translated: packets %" PRIu64 " replies %" PRIu64
		"; flows created %" PRIu64 " purged %" PRIu64
		"; refused %" PRIu64 "\n",
		all->stats[TWILL_SERVICE_STAT_PACKETS],
		all->stats[TWILL_SERVICE_STAT_REPLIES],
		all->stats[TWILL_SERVICE_STAT_FLOWS_CREATED],
		all->stats[TWILL_SERVICE_STAT_FLOWS_PURGED],
		all->stats[TWILL_SERVICE_STAT_REFUSED]);
	fprintf(f, "  drops: no-service %" PRIu64 " full %" PRIu64
		" in-use %" PRIu64 " nomem %" PRIu64 "\n",
		all->stats[TWILL_SERVICE_STAT_DROP_NO_SERVICE],
		all->stats[TWILL_SERVICE_STAT_DROP_FULL],
		all->stats[TWILL_SERVICE_STAT_DROP_IN_USE],
		all->stats[TWILL_SERVICE_STAT_DROP_NOMEM]);
}

static const char *const stat_names[__TWILL_SERVICE_STAT_MAX] = {
	[TWILL_SERVICE_STAT_PACKETS] = "packets",
	[TWILL_SERVICE_STAT_REPLIES] = "replies",
	[TWILL_SERVICE_STAT_FLOWS_CREATED] = "flows_created",
	[TWILL_SERVICE_STAT_REFUSED] = "refused",
	[TWILL_SERVICE_STAT_DROP_NO_SERVICE] = "drop_no_service",
	[TWILL_SERVICE_STAT_DROP_FULL] = "drop_full",
	[TWILL_SERVICE_STAT_DROP_IN_USE] = "drop_in_use",
	[TWILL_SERVICE_STAT_DROP_NOMEM] = "drop_nomem",
	[TWILL_SERVICE_STAT_FLOWS_PURGED] = "flows_purged",
};

/* Zeros without a flow table, so that scripts always find every key. */
static void stats_json(struct json *j, const struct tw_services *all)
{
	unsigned int i;

	json_obj_open(j, "stats");
	for (i = 1; i < __TWILL_SERVICE_STAT_MAX; i++)
		json_u64(j, stat_names[i], all->stats[i]);
	json_obj_close(j);
}

void service_show_json(struct json *j, const char *ifname,
		       const struct tw_services *all)
{
	char a[TW_ADDR_STRLEN];
	size_t i, k;

	sort_services(all);
	json_obj_open(j, NULL);
	json_str(j, "ifname", ifname);
	json_u64(j, "max_services", all->max_services);
	json_u64(j, "max_backends", all->max_backends);
	json_u64(j, "maglev_size", all->maglev_size);
	json_u64(j, "num_services", all->num_services);
	json_u64(j, "num_backends", all->num_backends);
	stats_json(j, all);
	json_arr_open(j, "services");
	for (i = 0; i < all->n; i++) {
		const struct tw_service *s = &all->svcs[i];

		json_obj_open(j, NULL);
		json_str(j, "address", fmt_addr(&s->vip, a));
		json_u64(j, "port", s->port);
		json_str(j, "protocol", s->proto == IPPROTO_TCP ? "tcp" : "udp");
		json_u64(j, "affinity", s->affinity);
		json_arr_open(j, "backends");
		for (k = 0; k < s->nbackends; k++) {
			const struct tw_backend *b = &s->backends[k];

			json_obj_open(j, NULL);
			json_str(j, "address", fmt_addr(&b->addr, a));
			json_u64(j, "port", b->port);
			json_u64(j, "weight", b->weight);
			json_str(j, "state", state_name(b->state));
			json_obj_close(j);
		}
		json_arr_close(j);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_obj_close(j);
}
