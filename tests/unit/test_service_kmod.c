// SPDX-License-Identifier: GPL-2.0
/*
 * kmod/service.c built natively (a copy next to kshim/svc/'s device.h and
 * commit.h, the rest through kshim/): transactions parsed from netlink
 * attributes, prepared, applied or aborted as commit.c does, the table
 * read back by lookup, choice and dump.  Under ASan (make asan) every
 * service the commits replace must be freed exactly once.
 */
#include "test.h"
#include "svc-kernel.h"
#include "device.h"
#include "commit.h"
#include "service.h"

#include <libmnl/libmnl.h>
#include <uapi/linux/twill.h>

u32 kshim_random = 0x12345678;

void assert_held(const struct mutex *m)
{
	if (!m->held) {
		fprintf(stderr, "  update_lock not held\n");
		t_failed = 1;
	}
}

void assert_cond(int c)
{
	if (!c) {
		fprintf(stderr, "  rcu_dereference_protected: not held\n");
		t_failed = 1;
	}
}

#define ALL (TWILL_RIGHT_HOST | TWILL_RIGHT_INIT)

static void dev_new(struct twill_device *d)
{
	memset(d, 0, sizeof(*d));
	d->update_lock.held = 1;
	d->max_services = TWILL_SERVICE_DEFAULT_MAX_SERVICES;
	d->max_backends = TWILL_SERVICE_DEFAULT_MAX_BACKENDS;
	d->maglev_size = TWILL_MAGLEV_DEFAULT_SIZE;
}

/* ---- building requests ---- */

struct req {
	char buf[262144];
	struct nlmsghdr *nlh;
	struct nlattr *list;
};

static void req_init(struct req *r)
{
	r->nlh = mnl_nlmsg_put_header(r->buf);
	r->list = NULL;
}

static void put_addr(struct nlmsghdr *nlh, int type, const char *s)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, s, a) == 1)
		mnl_attr_put(nlh, (uint16_t)type, 4, a);
	else if (inet_pton(AF_INET6, s, a) == 1)
		mnl_attr_put(nlh, (uint16_t)type, 16, a);
	else
		abort();
}

/*
 * A service "ADDR PORT PROTO" with backends "ADDR:PORT:WEIGHT:STATE ..."
 * (PORT 0: absent); flags TWILL_SERVICE_F_*.
 */
static void req_service(struct req *r, const char *addr, uint16_t port,
			uint8_t proto, uint32_t affinity, const char *backends,
			uint32_t flags)
{
	struct nlattr *svc, *bl, *b;
	char buf[4096], *tok, *save = NULL;

	if (!r->list)
		r->list = mnl_attr_nest_start(r->nlh, TWILL_A_SERVICES);
	svc = mnl_attr_nest_start(r->nlh, 0);
	mnl_attr_put_u16(r->nlh, TWILL_SERVICE_A_FAMILY,
			 strchr(addr, ':') ? AF_INET6 : AF_INET);
	put_addr(r->nlh, TWILL_SERVICE_A_ADDR, addr);
	mnl_attr_put_u16(r->nlh, TWILL_SERVICE_A_PORT, port);
	mnl_attr_put_u8(r->nlh, TWILL_SERVICE_A_PROTO, proto);
	if (flags)
		mnl_attr_put_u32(r->nlh, TWILL_SERVICE_A_FLAGS, flags);
	if (affinity)
		mnl_attr_put_u32(r->nlh, TWILL_SERVICE_A_AFFINITY, affinity);
	if (backends) {
		bl = mnl_attr_nest_start(r->nlh, TWILL_SERVICE_A_BACKENDS);
		snprintf(buf, sizeof(buf), "%s", backends);
		for (tok = strtok_r(buf, " ", &save); tok;
		     tok = strtok_r(NULL, " ", &save)) {
			char *f[4] = { tok, NULL, NULL, NULL }, *c;
			int i;

			/* ADDR|PORT|WEIGHT|STATE: '|' since IPv6 has ':' */
			for (i = 1; i < 4 && (c = strchr(f[i - 1], '|')); i++) {
				*c = '\0';
				f[i] = c + 1;
			}
			b = mnl_attr_nest_start(r->nlh, 0);
			put_addr(r->nlh, TWILL_BACKEND_A_ADDR, f[0]);
			if (f[1] && atoi(f[1]))
				mnl_attr_put_u16(r->nlh, TWILL_BACKEND_A_PORT,
						 (uint16_t)atoi(f[1]));
			if (f[2])
				mnl_attr_put_u32(r->nlh, TWILL_BACKEND_A_WEIGHT,
						 (uint32_t)atol(f[2]));
			if (f[3])
				mnl_attr_put_u8(r->nlh, TWILL_BACKEND_A_STATE,
						(uint8_t)atoi(f[3]));
			mnl_attr_nest_end(r->nlh, b);
		}
		mnl_attr_nest_end(r->nlh, bl);
	}
	mnl_attr_nest_end(r->nlh, svc);
}

static void req_end(struct req *r)
{
	if (r->list)
		mnl_attr_nest_end(r->nlh, r->list);
	r->list = NULL;
}

/* The request's attributes by type, as genetlink hands them over. */
static void req_attrs(struct req *r, struct nlattr **tb)
{
	struct nlattr *a;

	req_end(r);
	memset(tb, 0, sizeof(*tb) * (TWILL_A_MAX + 1));
	mnl_attr_for_each(a, r->nlh, 0)
		tb[mnl_attr_get_type(a)] = a;
}

struct outcome {
	int ret;
	const char *msg;
	bool published;
};

/* One transaction of one message, through commit.c's steps. */
static struct outcome commit_one(struct twill_device *d, struct req *r,
				 bool replace, u32 rights, bool fail_later)
{
	struct twill_service_change ch = { 0 };
	struct twill_service_plan *sp = NULL;
	struct netlink_ext_ack ext = { 0 };
	struct nlattr *tb[TWILL_A_MAX + 1];
	struct outcome o;

	req_attrs(r, tb);
	o.ret = twill_service_parse(d, &sp, tb, &ext);
	if (!o.ret)
		o.ret = twill_service_prepare(d, sp, replace, rights, &ch, &ext);
	o.published = !o.ret && !fail_later && ch.active;
	if (!o.ret && !fail_later)
		twill_service_apply(d, sp, &ch);
	twill_service_abort(&ch);
	twill_service_plan_free(sp);
	o.msg = ext.msg;
	return o;
}

static struct twill_service_table *table(struct twill_device *d)
{
	return d->services;
}

static struct twill_service *look(struct twill_device *d, const char *addr,
				  uint16_t port, uint8_t proto)
{
	union nf_inet_addr a = { 0 };
	u8 family = strchr(addr, ':') ? AF_INET6 : AF_INET;

	if (!d->services)
		return NULL;
	inet_pton(family, addr, &a);
	return twill_service_lookup(d->services, family, &a, htons(port),
				    proto);
}

static bool vip(struct twill_device *d, const char *addr)
{
	union nf_inet_addr a = { 0 };
	u8 family = strchr(addr, ':') ? AF_INET6 : AF_INET;

	inet_pton(family, addr, &a);
	return d->services && twill_service_vip_known(d->services, family, &a);
}

static const char *const two = "10.244.1.2|8080 10.244.2.2|8080|2 10.244.3.2";

static void setup(struct twill_device *d)
{
	struct req r;

	dev_new(d);
	req_init(&r);
	req_service(&r, "10.96.0.10", 80, IPPROTO_TCP, 0, two, 0);
	req_service(&r, "fd00::10", 53, IPPROTO_UDP, 10800, "fd00:244::5", 0);
	CHECK(commit_one(d, &r, false, ALL, false).ret == 0);
}

static void test_set_lookup(void)
{
	struct twill_device d;
	struct twill_service *s;
	const struct twill_backend *b;
	u32 h, count[3] = { 0 };

	setup(&d);
	CHECK(table(&d) && table(&d)->nservices == 2 &&
	      table(&d)->nbackends == 4);
	s = look(&d, "10.96.0.10", 80, IPPROTO_TCP);
	CHECK(s && s->nbackends == 3 && s->table && s->size == 16381);
	CHECK(!look(&d, "10.96.0.10", 80, IPPROTO_UDP));
	CHECK(!look(&d, "10.96.0.10", 81, IPPROTO_TCP));
	if (s) {
		/* sorted; no port: the service's */
		CHECK(s->backends[2].port == htons(80));
		for (h = 0; h < 300000; h++) {
			b = twill_service_choose(s, h * 2654435761u);
			CHECK(b >= s->backends && b < s->backends + 3);
			count[b - s->backends]++;
		}
		/* weights 1, 2, 1 (10.244.2.2 is the middle one) */
		CHECK(count[1] > count[0] * 18 / 10 && count[1] < count[0] * 22 / 10);
	}
	s = look(&d, "fd00::10", 53, IPPROTO_UDP);
	CHECK(s && s->affinity == 10800 && s->nbackends == 1);
	CHECK(vip(&d, "10.96.0.10") && vip(&d, "fd00::10"));
	CHECK(!vip(&d, "10.96.0.11") && !vip(&d, "fd00::11"));
	twill_service_flush(&d);
	CHECK(!d.services);
}

static void test_unchanged_shared(void)
{
	struct twill_device d;
	struct twill_service *a, *b, *a2, *b2;
	struct twill_service_table *t;
	struct outcome o;
	struct req r;

	setup(&d);
	a = look(&d, "10.96.0.10", 80, IPPROTO_TCP);
	b = look(&d, "fd00::10", 53, IPPROTO_UDP);
	t = table(&d);
	/* the same again, backends in another order: nothing published */
	req_init(&r);
	req_service(&r, "10.96.0.10", 80, IPPROTO_TCP, 0,
		    "10.244.3.2 10.244.2.2|8080|2 10.244.1.2|8080", 0);
	o = commit_one(&d, &r, false, 0, false);
	CHECK(o.ret == 0 && !o.published && table(&d) == t);
	/* one changed: the other is shared by the new table */
	req_init(&r);
	req_service(&r, "10.96.0.10", 80, IPPROTO_TCP, 0,
		    "10.244.3.2 10.244.2.2|8080|3 10.244.1.2|8080", 0);
	o = commit_one(&d, &r, false, 0, false);
	CHECK(o.ret == -EPERM && o.msg && strstr(o.msg, "CAP_NET_ADMIN"));
	CHECK(table(&d) == t);
	o = commit_one(&d, &r, false, TWILL_RIGHT_HOST, false);
	CHECK(o.ret == 0 && o.published && table(&d) != t);
	a2 = look(&d, "10.96.0.10", 80, IPPROTO_TCP);
	b2 = look(&d, "fd00::10", 53, IPPROTO_UDP);
	CHECK(a2 && a2 != a && b2 == b);
	if (a2)
		CHECK(a2->backends[1].weight == 3);
	twill_service_flush(&d);
}

static void test_remove_replace(void)
{
	struct twill_device d;
	struct outcome o;
	struct req r;

	setup(&d);
	req_init(&r);
	req_service(&r, "10.96.0.10", 80, IPPROTO_TCP, 0, NULL,
		    TWILL_SERVICE_F_REMOVE);
	/* removing one that does not exist is no error */
	req_service(&r, "10.96.0.99", 80, IPPROTO_TCP, 0, NULL,
		    TWILL_SERVICE_F_REMOVE);
	o = commit_one(&d, &r, false, ALL, false);
	CHECK(o.ret == 0 && table(&d)->nservices == 1);
	CHECK(!look(&d, "10.96.0.10", 80, IPPROTO_TCP));
	CHECK(look(&d, "fd00::10", 53, IPPROTO_UDP));
	/* replace: only what the transaction names */
	req_init(&r);
	req_service(&r, "10.96.0.20", 443, IPPROTO_TCP, 0, "10.244.9.9", 0);
	o = commit_one(&d, &r, true, ALL, false);
	CHECK(o.ret == 0 && table(&d)->nservices == 1);
	CHECK(!look(&d, "fd00::10", 53, IPPROTO_UDP));
	CHECK(look(&d, "10.96.0.20", 443, IPPROTO_TCP));
	/* replace with nothing: no table */
	req_init(&r);
	o = commit_one(&d, &r, true, ALL, false);
	CHECK(o.ret == 0 && !d.services);
	twill_service_flush(&d);
}

static void test_abort(void)
{
	struct twill_device d;
	struct twill_service_table *t;
	struct outcome o;
	struct req r;

	setup(&d);
	t = table(&d);
	/* a later step of the commit fails: nothing changes, nothing leaks */
	req_init(&r);
	mnl_attr_put_u32(r.nlh, TWILL_A_MAGLEV_SIZE, 251);
	req_service(&r, "10.96.0.11", 80, IPPROTO_TCP, 0, two, 0);
	o = commit_one(&d, &r, false, ALL, true);
	CHECK(o.ret == 0 && table(&d) == t && d.maglev_size == 16381);
	CHECK(!look(&d, "10.96.0.11", 80, IPPROTO_TCP));
	twill_service_flush(&d);
}

static void test_maglev_size(void)
{
	struct twill_device d;
	struct twill_service *a, *b;
	struct outcome o;
	struct req r;

	setup(&d);
	req_init(&r);
	mnl_attr_put_u32(r.nlh, TWILL_A_MAGLEV_SIZE, 16383);
	o = commit_one(&d, &r, false, ALL, false);
	CHECK(o.ret == -EINVAL && o.msg && strstr(o.msg, "prime"));
	req_init(&r);
	mnl_attr_put_u32(r.nlh, TWILL_A_MAGLEV_SIZE, 251);
	o = commit_one(&d, &r, false, TWILL_RIGHT_INIT, false);
	CHECK(o.ret == -EPERM);
	o = commit_one(&d, &r, false, ALL, false);
	CHECK(o.ret == 0 && d.maglev_size == 251);
	a = look(&d, "10.96.0.10", 80, IPPROTO_TCP);
	b = look(&d, "fd00::10", 53, IPPROTO_UDP);
	CHECK(a && a->size == 251 && a->table && a->nbackends == 3);
	CHECK(b && b->size == 251 && b->affinity == 10800);
	/* a service with more backends than slots */
	req_init(&r);
	mnl_attr_put_u32(r.nlh, TWILL_A_MAGLEV_SIZE, 7);
	req_service(&r, "10.96.0.12", 80, IPPROTO_TCP, 0,
		    "10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5 10.0.0.6 "
		    "10.0.0.7 10.0.0.8", 0);
	o = commit_one(&d, &r, false, ALL, false);
	CHECK(o.ret == -EINVAL && o.msg && strstr(o.msg, "slots"));
	CHECK(d.maglev_size == 251);
	twill_service_flush(&d);
}

static void test_states(void)
{
	struct twill_device d;
	struct twill_service *s;
	struct req r;
	u32 i;

	dev_new(&d);
	req_init(&r);
	/* active 10.0.0.1, terminating .2, maintenance .3 */
	req_service(&r, "10.96.0.1", 80, IPPROTO_TCP, 0,
		    "10.0.0.1|0|1|0 10.0.0.2|0|1|1 10.0.0.3|0|1|2", 0);
	/* terminating only: used */
	req_service(&r, "10.96.0.2", 80, IPPROTO_TCP, 0,
		    "10.0.0.1|0|1|1 10.0.0.3|0|5|2", 0);
	/* an active one of weight 0 does not count */
	req_service(&r, "10.96.0.3", 80, IPPROTO_TCP, 0,
		    "10.0.0.1|0|0|0 10.0.0.2|0|1|1", 0);
	/* nothing to choose: no table */
	req_service(&r, "10.96.0.4", 80, IPPROTO_TCP, 0, "10.0.0.3|0|1|2", 0);
	req_service(&r, "10.96.0.5", 80, IPPROTO_UDP, 0, NULL, 0);
	CHECK(commit_one(&d, &r, false, ALL, false).ret == 0);
	s = look(&d, "10.96.0.1", 80, IPPROTO_TCP);
	for (i = 0; s && s->table && i < s->size; i++)
		CHECK(s->table[i] == 0);
	s = look(&d, "10.96.0.2", 80, IPPROTO_TCP);
	for (i = 0; s && s->table && i < s->size; i++)
		CHECK(s->table[i] == 0);
	s = look(&d, "10.96.0.3", 80, IPPROTO_TCP);
	CHECK(s && s->table);
	for (i = 0; s && s->table && i < s->size; i++)
		CHECK(s->table[i] == 1);
	s = look(&d, "10.96.0.4", 80, IPPROTO_TCP);
	CHECK(s && !s->table && !twill_service_choose(s, 1));
	s = look(&d, "10.96.0.5", 80, IPPROTO_UDP);
	CHECK(s && !s->table && s->nbackends == 0);
	twill_service_flush(&d);
}

static struct outcome bad_one(struct req *r)
{
	struct twill_device d;
	struct twill_service_table *t;
	struct outcome o;

	setup(&d);
	t = table(&d);
	o = commit_one(&d, r, false, ALL, false);
	CHECK(table(&d) == t && t->nservices == 2);
	twill_service_flush(&d);
	return o;
}

#define BAD(want_ret, needle, ...) do {					\
	struct req r_;							\
	struct outcome o_;						\
									\
	req_init(&r_);							\
	__VA_ARGS__;							\
	o_ = bad_one(&r_);						\
	CHECK(o_.ret == (want_ret));					\
	CHECK(o_.msg && strstr(o_.msg, needle));			\
	if (!o_.msg || !strstr(o_.msg, needle) || o_.ret != (want_ret))	\
		fprintf(stderr, "  got %d '%s'\n", o_.ret,		\
			o_.msg ? o_.msg : "");				\
} while (0)

static void test_bad(void)
{
	BAD(-EEXIST, "twice in one transaction",
	    req_service(&r_, "10.96.0.10", 80, IPPROTO_TCP, 0, "10.0.0.1", 0);
	    req_service(&r_, "10.96.0.11", 80, IPPROTO_TCP, 0, "10.0.0.1", 0);
	    req_service(&r_, "10.96.0.10", 80, IPPROTO_TCP, 0, NULL,
			TWILL_SERVICE_F_REMOVE));
	BAD(-EEXIST, "same backend",
	    req_service(&r_, "10.96.0.11", 80, IPPROTO_TCP, 0,
			"10.0.0.1|80 10.0.0.2 10.0.0.1", 0));
	BAD(-EINVAL, "not of the service's family",
	    req_service(&r_, "10.96.0.11", 80, IPPROTO_TCP, 0, "fd00::1", 0));
	BAD(-EINVAL, "must be unicast",
	    req_service(&r_, "224.0.0.1", 80, IPPROTO_TCP, 0, "10.0.0.1", 0));
	BAD(-EINVAL, "must be unicast",
	    req_service(&r_, "10.96.0.11", 80, IPPROTO_TCP, 0, "0.0.0.1", 0));
	BAD(-EINVAL, "TCP or UDP",
	    req_service(&r_, "10.96.0.11", 80, IPPROTO_SCTP, 0, NULL, 0));
	BAD(-ERANGE, "out of range",
	    req_service(&r_, "10.96.0.11", 80, IPPROTO_TCP, 0,
			"10.0.0.1|80|65536", 0));
	BAD(-ERANGE, "out of range",
	    req_service(&r_, "10.96.0.11", 80, IPPROTO_TCP, 86401, NULL, 0));
	BAD(-ERANGE, "out of range",
	    req_service(&r_, "10.96.0.11", 0, IPPROTO_TCP, 0, NULL, 0));
	BAD(-EOPNOTSUPP, "unknown service flags",
	    req_service(&r_, "10.96.0.11", 80, IPPROTO_TCP, 0, NULL, 4));
	BAD(-EINVAL, "takes no backends",
	    req_service(&r_, "10.96.0.10", 80, IPPROTO_TCP, 0, "10.0.0.1",
			TWILL_SERVICE_F_REMOVE));
	BAD(-ENOSPC, "past the limits 2,",
	    mnl_attr_put_u32(r_.nlh, TWILL_A_MAX_SERVICES, 2);
	    req_service(&r_, "10.96.0.11", 80, IPPROTO_TCP, 0, NULL, 0));
	BAD(-ENOSPC, "past the limits",
	    mnl_attr_put_u32(r_.nlh, TWILL_A_MAX_BACKENDS, 4);
	    req_service(&r_, "10.96.0.11", 80, IPPROTO_TCP, 0, "10.0.0.1", 0));
	BAD(-EINVAL, "needs family",
	    {
		    struct nlattr *l = mnl_attr_nest_start(r_.nlh,
							   TWILL_A_SERVICES);
		    struct nlattr *s = mnl_attr_nest_start(r_.nlh, 0);

		    mnl_attr_put_u16(r_.nlh, TWILL_SERVICE_A_PORT, 80);
		    mnl_attr_nest_end(r_.nlh, s);
		    mnl_attr_nest_end(r_.nlh, l);
	    });
}

static void test_limits_rights(void)
{
	struct twill_device d;
	struct outcome o;
	struct req r;

	setup(&d);
	req_init(&r);
	mnl_attr_put_u32(r.nlh, TWILL_A_MAX_SERVICES, 20000);
	o = commit_one(&d, &r, false, TWILL_RIGHT_HOST, false);
	CHECK(o.ret == -EPERM && o.msg &&
	      strstr(o.msg, "initial user namespace"));
	o = commit_one(&d, &r, false, ALL, false);
	CHECK(o.ret == 0 && d.max_services == 20000);
	/* lowering is the host's; below what the device holds is refused */
	req_init(&r);
	mnl_attr_put_u32(r.nlh, TWILL_A_MAX_SERVICES, 1);
	o = commit_one(&d, &r, false, TWILL_RIGHT_HOST, false);
	CHECK(o.ret == -ENOSPC && d.max_services == 20000);
	twill_service_flush(&d);
}

/* Reads services back from dump messages of `room` bytes each. */
static void test_dump(void)
{
	struct twill_device d;
	struct twill_service_dump_pos pos = { 0 };
	struct sk_buff skb;
	struct req r;
	char buf[4096];
	char many[4096] = "";
	const struct nlattr *a, *s, *x, *b;
	int msgs = 0, seen_backends = 0, seen_services = 0, ret;
	int i, rem, rem2, rem3;

	dev_new(&d);
	for (i = 0; i < 100; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
			 "10.1.%d.%d ", i / 250, i % 250 + 1);
	req_init(&r);
	req_service(&r, "10.96.0.1", 80, IPPROTO_TCP, 0, many, 0);
	for (i = 0; i < 30; i++) {
		char vip[32];

		snprintf(vip, sizeof(vip), "10.96.1.%d", i + 1);
		req_service(&r, vip, 80, IPPROTO_UDP, 0, "10.2.0.1 10.2.0.2", 0);
	}
	CHECK(commit_one(&d, &r, false, ALL, false).ret == 0);
	do {
		skb.data = buf;
		skb.len = 0;
		skb.size = 700;
		ret = twill_service_dump(&skb, &d, NULL, &pos);
		CHECK(ret == 0 || ret == -EMSGSIZE);
		msgs++;
		for (a = (const void *)buf, rem = (int)skb.len; nla_ok(a, rem);
		     a = nla_next(a, &rem)) {
			if (nla_type(a) != TWILL_A_SERVICES)
				continue;
			nla_for_each_nested(s, a, rem2) {
				seen_services++;
				nla_for_each_nested(x, s, rem3) {
					int rem4;

					if (nla_type(x) != TWILL_SERVICE_A_BACKENDS)
						continue;
					nla_for_each_nested(b, x, rem4)
						seen_backends++;
				}
			}
		}
	} while (ret == -EMSGSIZE && msgs < 1000);
	CHECK(ret == 0 && msgs > 5);
	/* continued services appear again; every backend exactly once */
	CHECK(seen_backends == 160);
	CHECK(seen_services >= 31 && seen_services < 31 + msgs);
	twill_service_flush(&d);
}

/*
 * Services replaced by others of the same keys: the table's slots copied
 * with those swapped, the others shared, counts and limits as a rebuild's.
 */
static void test_swap(void)
{
	struct twill_service *a, *b, *b2;
	struct twill_service_table *t;
	struct twill_device d;
	struct outcome o;
	struct req r;

	setup(&d);
	a = look(&d, "10.96.0.10", 80, IPPROTO_TCP);
	b = look(&d, "fd00::10", 53, IPPROTO_UDP);
	t = table(&d);
	req_init(&r);
	req_service(&r, "fd00::10", 53, IPPROTO_UDP, 0,
		    "fd00:244::5 fd00:244::6", 0);
	o = commit_one(&d, &r, false, ALL, false);
	CHECK(o.ret == 0 && o.published && table(&d) != t);
	b2 = look(&d, "fd00::10", 53, IPPROTO_UDP);
	CHECK(b2 && b2 != b && b2->nbackends == 2 && b2->table);
	CHECK(look(&d, "10.96.0.10", 80, IPPROTO_TCP) == a);
	CHECK(table(&d)->nservices == 2 && table(&d)->nbackends == 5);
	CHECK(vip(&d, "fd00::10") && vip(&d, "10.96.0.10"));
	/* past max-backends (5 now): refused, nothing changes */
	t = table(&d);
	req_init(&r);
	mnl_attr_put_u32(r.nlh, TWILL_A_MAX_BACKENDS, 5);
	CHECK(commit_one(&d, &r, false, ALL, false).ret == 0);
	t = table(&d);
	req_init(&r);
	req_service(&r, "fd00::10", 53, IPPROTO_UDP, 0,
		    "fd00:244::5 fd00:244::6 fd00:244::7", 0);
	o = commit_one(&d, &r, false, ALL, false);
	CHECK(o.ret == -ENOSPC && o.msg && strstr(o.msg, "6 backends"));
	CHECK(table(&d) == t && look(&d, "fd00::10", 53, IPPROTO_UDP) == b2);
	/* one fewer: fits */
	req_init(&r);
	req_service(&r, "fd00::10", 53, IPPROTO_UDP, 0, "fd00:244::7", 0);
	o = commit_one(&d, &r, false, ALL, false);
	CHECK(o.ret == 0 && table(&d)->nbackends == 4);
	CHECK(look(&d, "fd00::10", 53, IPPROTO_UDP)->nbackends == 1);
	/* the same again: nothing published */
	t = table(&d);
	req_init(&r);
	req_service(&r, "fd00::10", 53, IPPROTO_UDP, 0, "fd00:244::7", 0);
	o = commit_one(&d, &r, false, ALL, false);
	CHECK(o.ret == 0 && !o.published && table(&d) == t);
	/* without the host's right: refused as a rebuild is */
	req_init(&r);
	req_service(&r, "fd00::10", 53, IPPROTO_UDP, 0, "fd00:244::8", 0);
	o = commit_one(&d, &r, false, TWILL_RIGHT_INIT, false);
	CHECK(o.ret == -EPERM && table(&d) == t);
	twill_service_flush(&d);
}

/* A filter's key parsed from the request's TWILL_A_SERVICES. */
static int filter_of(struct req *r, struct twill_service_key *key,
		     const char **msg)
{
	struct netlink_ext_ack ext = { 0 };
	struct nlattr *tb[TWILL_A_MAX + 1];
	int ret;

	req_attrs(r, tb);
	ret = tb[TWILL_A_SERVICES] ?
	      twill_service_parse_filter(tb[TWILL_A_SERVICES], key, &ext) :
	      -ENOENT;
	*msg = ext.msg;
	return ret;
}

/* Dumps with @key in messages of 700 bytes: services and backends seen. */
static int dump_filtered(struct twill_device *d,
			 const struct twill_service_key *key, int *services,
			 int *backends, int *others)
{
	struct twill_service_dump_pos pos = { 0 };
	const struct nlattr *a, *s, *x, *b;
	struct sk_buff skb;
	char buf[4096];
	int msgs = 0, ret, rem, rem2, rem3, rem4;

	*services = *backends = *others = 0;
	do {
		skb.data = buf;
		skb.len = 0;
		skb.size = 700;
		ret = twill_service_dump(&skb, d, key, &pos);
		msgs++;
		for (a = (const void *)buf, rem = (int)skb.len; nla_ok(a, rem);
		     a = nla_next(a, &rem)) {
			if (nla_type(a) != TWILL_A_SERVICES)
				continue;
			nla_for_each_nested(s, a, rem2) {
				(*services)++;
				nla_for_each_nested(x, s, rem3) {
					if (nla_type(x) == TWILL_SERVICE_A_PORT &&
					    nla_get_u16(x) != ntohs(key->port))
						(*others)++;
					if (nla_type(x) != TWILL_SERVICE_A_BACKENDS)
						continue;
					nla_for_each_nested(b, x, rem4)
						(*backends)++;
				}
			}
		}
	} while (ret == -EMSGSIZE && msgs < 1000);
	CHECK(ret == 0);
	return msgs;
}

#define BAD_FILTER(needle, ...) do {					\
	struct twill_service_key k_ = { 0 };				\
	const char *m_ = NULL;						\
	struct req r_;							\
	int ret_;							\
									\
	req_init(&r_);							\
	__VA_ARGS__;							\
	ret_ = filter_of(&r_, &k_, &m_);				\
	CHECK(ret_ == -EINVAL || ret_ == -ERANGE);			\
	CHECK(m_ && strstr(m_, needle));				\
	if (!m_ || !strstr(m_, needle))					\
		fprintf(stderr, "  got %d '%s'\n", ret_, m_ ? m_ : "");	\
} while (0)

/* GET_SERVICES with a filter: the one service, whole, or nothing. */
static void test_dump_filter(void)
{
	struct twill_service_key key = { 0 };
	struct twill_device d;
	struct req r;
	char many[4096] = "";
	const char *msg;
	int i, n, nb, others, msgs;

	dev_new(&d);
	for (i = 0; i < 100; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
			 "10.1.%d.%d ", i / 250, i % 250 + 1);
	req_init(&r);
	for (i = 0; i < 30; i++) {
		char vip[32];

		snprintf(vip, sizeof(vip), "10.96.1.%d", i + 1);
		req_service(&r, vip, 80, IPPROTO_UDP, 0, "10.2.0.1 10.2.0.2", 0);
	}
	req_service(&r, "10.96.1.7", 81, IPPROTO_UDP, 0, many, 0);
	CHECK(commit_one(&d, &r, false, ALL, false).ret == 0);

	/* the big one, continued over several messages, and only it */
	req_init(&r);
	req_service(&r, "10.96.1.7", 81, IPPROTO_UDP, 0, NULL, 0);
	CHECK(filter_of(&r, &key, &msg) == 0);
	CHECK(key.family == AF_INET && key.port == htons(81) &&
	      key.proto == IPPROTO_UDP);
	msgs = dump_filtered(&d, &key, &n, &nb, &others);
	CHECK(msgs > 2 && nb == 100 && others == 0);
	CHECK(n >= 1 && n <= msgs);
	/* a small one in one message */
	req_init(&r);
	req_service(&r, "10.96.1.7", 80, IPPROTO_UDP, 0, NULL, 0);
	CHECK(filter_of(&r, &key, &msg) == 0);
	msgs = dump_filtered(&d, &key, &n, &nb, &others);
	CHECK(msgs == 1 && n == 1 && nb == 2 && others == 0);
	/* absent (another protocol): the settings, no service */
	req_init(&r);
	req_service(&r, "10.96.1.7", 80, IPPROTO_TCP, 0, NULL, 0);
	CHECK(filter_of(&r, &key, &msg) == 0);
	msgs = dump_filtered(&d, &key, &n, &nb, &others);
	CHECK(msgs == 1 && n == 0 && nb == 0);
	twill_service_flush(&d);
	/* no table at all */
	msgs = dump_filtered(&d, &key, &n, &nb, &others);
	CHECK(msgs == 1 && n == 0);

	BAD_FILTER("exactly one service",
		   mnl_attr_nest_end(r_.nlh,
				     mnl_attr_nest_start(r_.nlh,
							 TWILL_A_SERVICES)));
	BAD_FILTER("exactly one service",
		   req_service(&r_, "10.96.1.7", 80, IPPROTO_UDP, 0, NULL, 0);
		   req_service(&r_, "10.96.1.8", 80, IPPROTO_UDP, 0, NULL, 0));
	BAD_FILTER("takes only family, address, port and protocol",
		   req_service(&r_, "10.96.1.7", 80, IPPROTO_UDP, 0,
			       "10.2.0.1", 0));
	BAD_FILTER("takes only family, address, port and protocol",
		   req_service(&r_, "10.96.1.7", 80, IPPROTO_UDP, 0, NULL,
			       TWILL_SERVICE_F_REMOVE));
	BAD_FILTER("takes only family, address, port and protocol",
		   req_service(&r_, "10.96.1.7", 80, IPPROTO_UDP, 60, NULL, 0));
	BAD_FILTER("TCP or UDP",
		   req_service(&r_, "10.96.1.7", 80, IPPROTO_SCTP, 0, NULL, 0));
	BAD_FILTER("must be unicast",
		   req_service(&r_, "224.0.0.1", 80, IPPROTO_UDP, 0, NULL, 0));
	BAD_FILTER("out of range",
		   req_service(&r_, "10.96.1.7", 0, IPPROTO_UDP, 0, NULL, 0));
	BAD_FILTER("needs family",
	    {
		    struct nlattr *l = mnl_attr_nest_start(r_.nlh,
							   TWILL_A_SERVICES);
		    struct nlattr *s = mnl_attr_nest_start(r_.nlh, 0);

		    mnl_attr_put_u16(r_.nlh, TWILL_SERVICE_A_FAMILY, AF_INET);
		    mnl_attr_put_u16(r_.nlh, TWILL_SERVICE_A_PORT, 80);
		    mnl_attr_put_u8(r_.nlh, TWILL_SERVICE_A_PROTO,
				    IPPROTO_TCP);
		    mnl_attr_nest_end(r_.nlh, s);
		    mnl_attr_nest_end(r_.nlh, l);
	    });
}

static void test_many(void)
{
	struct twill_device d;
	struct req *r = malloc(sizeof(*r));
	char name[32];
	double t0;
	int i;

	dev_new(&d);
	req_init(r);
	/* 500: an attribute holds at most 64 KiB */
	for (i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "10.96.%d.%d", i / 250, i % 250 + 1);
		req_service(r, name, 80, IPPROTO_TCP, 0,
			    "10.2.0.1 10.2.0.2 10.2.0.3", 0);
	}
	CHECK(commit_one(&d, r, false, ALL, false).ret == 0);
	CHECK(d.services && d.services->nservices == 500);
	CHECK(vip(&d, "10.96.1.250") && !vip(&d, "10.96.2.1"));
	/* one change among 500: one table built, the rest shared */
	req_init(r);
	req_service(r, "10.96.0.1", 80, IPPROTO_TCP, 0, "10.2.0.9", 0);
	t0 = now_sec();
	CHECK(commit_one(&d, r, false, ALL, false).ret == 0);
	CHECK(now_sec() - t0 < 0.5);
	CHECK(look(&d, "10.96.0.1", 80, IPPROTO_TCP) &&
	      look(&d, "10.96.0.1", 80, IPPROTO_TCP)->nbackends == 1);
	CHECK(look(&d, "10.96.1.250", 80, IPPROTO_TCP) &&
	      look(&d, "10.96.1.250", 80, IPPROTO_TCP)->nbackends == 3);
	twill_service_flush(&d);
	free(r);
}

/*
 * An agent's replace-all of 10,000 services x 10 backends: one transaction
 * of 100 messages (an attribute holds 64 KiB), readers see the old table
 * until the commit publishes the new one.  Then the same 10,000 with one
 * backend changed: one Maglev table built, 9,999 services shared.  Tables
 * of 251 slots keep it to 5 MB here (16381 would be 330 MB, 3 s).
 */
static u32 replace_all(struct twill_device *d, int changed, double *secs)
{
	struct twill_service_change ch = { 0 };
	struct twill_service_plan *sp = NULL;
	struct netlink_ext_ack ext = { 0 };
	struct nlattr *tb[TWILL_A_MAX + 1];
	struct twill_service_table *before = d->services;
	struct req *r = malloc(sizeof(*r));
	char name[32], backends[256];
	double t0 = now_sec();
	int i, k, ret = 0;

	for (i = 0; i < 10000 && !ret; i++) {
		if (!(i % 100)) {
			req_init(r);
			if (!i)
				mnl_attr_put_u32(r->nlh, TWILL_A_MAGLEV_SIZE, 251);
		}
		snprintf(name, sizeof(name), "10.%d.%d.%d", 96 + i / 62500,
			 i / 250 % 250, i % 250 + 1);
		backends[0] = '\0';
		for (k = 0; k < 10; k++)
			snprintf(backends + strlen(backends),
				 sizeof(backends) - strlen(backends),
				 "10.244.%d.%d|8080 ", k, i == changed ? 99 : 5);
		req_service(r, name, 443, IPPROTO_TCP, 0, backends, 0);
		if (i % 100 == 99) {
			req_attrs(r, tb);
			ret = twill_service_parse(d, &sp, tb, &ext);
			/* staged: nothing visible yet */
			CHECK(d->services == before);
		}
	}
	if (!ret)
		ret = twill_service_prepare(d, sp, true, ALL, &ch, &ext);
	if (!ret)
		twill_service_apply(d, sp, &ch);
	twill_service_abort(&ch);
	twill_service_plan_free(sp);
	*secs = now_sec() - t0;
	free(r);
	CHECK(ret == 0);
	if (ret)
		fprintf(stderr, "  replace-all: %d %s\n", ret, ext.msg ?: "");
	return d->services ? d->services->nservices : 0;
}

static void test_replace_10k(void)
{
	struct twill_device d;
	struct twill_service *a, *b, *a2, *b2;
	double secs;

	dev_new(&d);
	CHECK(replace_all(&d, -1, &secs) == 10000);
	CHECK(d.services && d.services->nbackends == 100000);
	printf("  10,000 services x 10 backends replaced: %.0f ms\n",
	       secs * 1000);
	a = look(&d, "10.96.0.1", 443, IPPROTO_TCP);
	b = look(&d, "10.96.39.250", 443, IPPROTO_TCP);
	CHECK(a && b && a->table && b->nbackends == 10);
	/* the same again but service 0: only it is rebuilt */
	CHECK(replace_all(&d, 0, &secs) == 10000);
	printf("  the same with one backend changed: %.0f ms\n", secs * 1000);
	a2 = look(&d, "10.96.0.1", 443, IPPROTO_TCP);
	b2 = look(&d, "10.96.39.250", 443, IPPROTO_TCP);
	CHECK(a2 && a2 != a && b2 == b);
	/* one service changed by itself: the table of 10,000 is rebuilt */
	{
		struct req *r = malloc(sizeof(*r));
		double t0;

		req_init(r);
		req_service(r, "10.96.0.2", 443, IPPROTO_TCP, 0, "10.244.0.9", 0);
		t0 = now_sec();
		CHECK(commit_one(&d, r, false, ALL, false).ret == 0);
		secs = now_sec() - t0;
		printf("  one service changed among 10,000: %.2f ms\n",
		       secs * 1000);
		CHECK(secs < 1.0);
		free(r);
	}
	twill_service_flush(&d);
}

const struct test service_kmod_tests[] = {
	{ "service-kmod: set and look up", test_set_lookup },
	{ "service-kmod: unchanged shared, rights", test_unchanged_shared },
	{ "service-kmod: remove and replace", test_remove_replace },
	{ "service-kmod: aborted commit", test_abort },
	{ "service-kmod: maglev size", test_maglev_size },
	{ "service-kmod: backend states", test_states },
	{ "service-kmod: bad input changes nothing", test_bad },
	{ "service-kmod: limits and rights", test_limits_rights },
	{ "service-kmod: dump continues services", test_dump },
	{ "service-kmod: dump filtered to one service", test_dump_filter },
	{ "service-kmod: same keys: slots copied, pointers swapped", test_swap },
	{ "service-kmod: 500 services, one change", test_many },
	{ "service-kmod: replace 10,000 services in one transaction",
	  test_replace_10k },
};
const size_t service_kmod_tests_count =
	sizeof(service_kmod_tests) / sizeof(service_kmod_tests[0]);
