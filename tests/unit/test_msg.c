// SPDX-License-Identifier: GPL-2.0
/* Building SET_DEVICE transactions and parsing dumps and events. */
#include "test.h"
#include "config.h"
#include "msg.h"
#include "parse.h"
#include "setargs.h"
#include "util.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <stdlib.h>

#define FAMILY 0x42

/* ---- decoding helpers ---- */

static const struct nlattr *attr(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static const struct nlattr *nested(const struct nlattr *n, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, n)
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static size_t count_nested(const struct nlattr *n)
{
	const struct nlattr *a;
	size_t c = 0;

	if (!n)
		return 0;
	mnl_attr_for_each_nested(a, n)
		c++;
	return c;
}

static uint32_t msg_flags(const struct tw_msg *m)
{
	const struct nlattr *a = attr((const void *)m->buf, TWILL_A_FLAGS);

	return a ? mnl_attr_get_u32(a) : 0xdeadbeef;
}

static int parse_set(struct tw_device *d, const char *args)
{
	char buf[1024], *argv[64], *tok, *save = NULL;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", args);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	return parse_set_args(argc, argv, d);
}

/* ---- tests ---- */

static void test_build_small(void)
{
	struct tw_device d;
	struct tw_build b = { .family = FAMILY, .seq = 100 };
	struct tw_batch batch;
	const struct nlmsghdr *nlh;
	const struct genlmsghdr *g;
	const struct nlattr *peers, *p, *pf, *x, *a;
	const struct sockaddr_in *sin;
	const uint8_t *addr;

	dev_init(&d);
	d.ifindex = 7;
	CHECK(parse_set(&d, "listen-port 4789 vni 42 local 192.0.2.1 "
			"port-range 1000-2000 df inherit peer 192.0.2.2:99 "
			"mac 02:00:00:00:00:02 prefixes 10.0.0.0/24,fd00::/8 "
			"peer 192.0.2.3 prefixes +10.1.0.0/16,-10.2.0.0/16 "
			"update-only peer 192.0.2.4 remove") == 0);
	build_set(&d, &b, &batch);
	CHECK(batch.n == 1);
	nlh = (const void *)batch.msgs[0].buf;
	CHECK(nlh->nlmsg_len == batch.msgs[0].len);
	CHECK(nlh->nlmsg_type == FAMILY && nlh->nlmsg_seq == 100);
	CHECK(nlh->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK));
	g = mnl_nlmsg_get_payload(nlh);
	CHECK(g->cmd == TWILL_CMD_SET_DEVICE && g->version == TWILL_GENL_VERSION);
	CHECK(mnl_attr_get_u32(attr(nlh, TWILL_A_IFINDEX)) == 7);
	CHECK(msg_flags(&batch.msgs[0]) == 0);
	CHECK(mnl_attr_get_u16(attr(nlh, TWILL_A_LISTEN_PORT)) == 4789);
	CHECK(mnl_attr_get_u32(attr(nlh, TWILL_A_VNI)) == 42);
	a = attr(nlh, TWILL_A_LOCAL);
	CHECK(a && mnl_attr_get_payload_len(a) == 4 &&
	      !memcmp(mnl_attr_get_payload(a), "\xc0\x00\x02\x01", 4));
	CHECK(mnl_attr_get_u16(attr(nlh, TWILL_A_PORT_MIN)) == 1000);
	CHECK(mnl_attr_get_u16(attr(nlh, TWILL_A_PORT_MAX)) == 2000);
	CHECK(mnl_attr_get_u8(attr(nlh, TWILL_A_DF)) == TWILL_DF_INHERIT);
	CHECK(!attr(nlh, TWILL_A_FWMARK) && !attr(nlh, TWILL_A_MAC) &&
	      !attr(nlh, TWILL_A_TTL));
	peers = attr(nlh, TWILL_A_PEERS);
	CHECK(peers && (peers->nla_type & NLA_F_NESTED));
	CHECK(count_nested(peers) == 3);
	p = mnl_attr_get_payload(peers);
	CHECK(mnl_attr_get_type(p) == 0 && (p->nla_type & NLA_F_NESTED));
	a = nested(p, TWILL_PEER_A_ENDPOINT);
	CHECK(a && mnl_attr_get_payload_len(a) == sizeof(struct sockaddr_in));
	sin = mnl_attr_get_payload(a);
	CHECK(sin->sin_family == AF_INET && ntohs(sin->sin_port) == 99 &&
	      sin->sin_addr.s_addr == htonl(0xc0000202));
	CHECK(mnl_attr_get_u32(nested(p, TWILL_PEER_A_FLAGS)) ==
	      TWILL_PEER_F_REPLACE_PREFIXES);
	CHECK(!memcmp(mnl_attr_get_payload(nested(p, TWILL_PEER_A_MAC)),
		      "\x02\0\0\0\0\x02", 6));
	pf = nested(p, TWILL_PEER_A_PREFIXES);
	CHECK(count_nested(pf) == 2);
	x = mnl_attr_get_payload(pf);
	CHECK(mnl_attr_get_u16(nested(x, TWILL_PREFIX_A_FAMILY)) == AF_INET);
	CHECK(mnl_attr_get_u8(nested(x, TWILL_PREFIX_A_CIDR)) == 24);
	addr = mnl_attr_get_payload(nested(x, TWILL_PREFIX_A_ADDR));
	CHECK(mnl_attr_get_payload_len(nested(x, TWILL_PREFIX_A_ADDR)) == 4 &&
	      addr[0] == 10 && addr[3] == 0);
	CHECK(!nested(x, TWILL_PREFIX_A_FLAGS));
	x = mnl_attr_next(x);
	CHECK(mnl_attr_get_u16(nested(x, TWILL_PREFIX_A_FAMILY)) == AF_INET6);
	CHECK(mnl_attr_get_payload_len(nested(x, TWILL_PREFIX_A_ADDR)) == 16);
	/* second peer: delta, update-only, no mac */
	p = mnl_attr_next(p);
	CHECK(ntohs(((const struct sockaddr_in *)mnl_attr_get_payload(
		nested(p, TWILL_PEER_A_ENDPOINT)))->sin_port) == 0);
	CHECK(mnl_attr_get_u32(nested(p, TWILL_PEER_A_FLAGS)) ==
	      TWILL_PEER_F_UPDATE_ONLY);
	CHECK(!nested(p, TWILL_PEER_A_MAC));
	pf = nested(p, TWILL_PEER_A_PREFIXES);
	x = mnl_attr_get_payload(pf);
	CHECK(!nested(x, TWILL_PREFIX_A_FLAGS));
	x = mnl_attr_next(x);
	CHECK(mnl_attr_get_u32(nested(x, TWILL_PREFIX_A_FLAGS)) ==
	      TWILL_PREFIX_F_REMOVE);
	/* third: remove, nothing else */
	p = mnl_attr_next(p);
	CHECK(mnl_attr_get_u32(nested(p, TWILL_PEER_A_FLAGS)) ==
	      TWILL_PEER_F_REMOVE);
	CHECK(!nested(p, TWILL_PEER_A_PREFIXES));
	batch_free(&batch);
	dev_free(&d);
}

static void test_build_ifname_v6_local_clear(void)
{
	struct tw_device d;
	struct tw_build b = { .family = FAMILY, .seq = 1 };
	struct tw_batch batch;
	const struct nlmsghdr *nlh;
	const struct nlattr *a, *p;
	const struct sockaddr_in6 *s6;

	dev_init(&d);
	snprintf(d.ifname, sizeof(d.ifname), "twill0");
	CHECK(parse_set(&d, "local none link none peer [2001:db8::1]:8472") == 0);
	d.peers[0].mode = TW_PFX_REPLACE;	/* empty list */
	build_set(&d, &b, &batch);
	nlh = (const void *)batch.msgs[0].buf;
	CHECK(!attr(nlh, TWILL_A_IFINDEX));
	CHECK_STR(mnl_attr_get_str(attr(nlh, TWILL_A_IFNAME)), "twill0");
	a = attr(nlh, TWILL_A_LOCAL);
	CHECK(a && mnl_attr_get_payload_len(a) == 0);
	CHECK(mnl_attr_get_u32(attr(nlh, TWILL_A_LINK)) == 0);
	p = mnl_attr_get_payload(attr(nlh, TWILL_A_PEERS));
	a = nested(p, TWILL_PEER_A_ENDPOINT);
	CHECK(mnl_attr_get_payload_len(a) == sizeof(struct sockaddr_in6));
	s6 = mnl_attr_get_payload(a);
	CHECK(s6->sin6_family == AF_INET6 && ntohs(s6->sin6_port) == 8472);
	/* an empty replace list clears the peer's prefixes */
	CHECK(mnl_attr_get_u32(nested(p, TWILL_PEER_A_FLAGS)) ==
	      TWILL_PEER_F_REPLACE_PREFIXES);
	CHECK(nested(p, TWILL_PEER_A_PREFIXES) &&
	      count_nested(nested(p, TWILL_PEER_A_PREFIXES)) == 0);
	batch_free(&batch);
	dev_free(&d);
}

/* Builds a config of `npeers` peers with `per` prefixes each. */
static void make_big(struct tw_device *d, size_t npeers, size_t per)
{
	union tw_sockaddr ep;
	struct tw_prefix p;
	struct tw_peer *peer;
	size_t i, k, n = 0;
	char buf[64];

	for (i = 0; i < npeers; i++) {
		snprintf(buf, sizeof(buf), "192.0.%zu.%zu", i >> 8, i & 255);
		parse_endpoint(buf, &ep);
		peer = dev_add_peer(d, &ep);
		peer->mode = TW_PFX_REPLACE;
		for (k = 0; k < per; k++, n++) {
			snprintf(buf, sizeof(buf), "10.%zu.%zu.%zu/32",
				 n >> 16 & 255, n >> 8 & 255, n & 255);
			parse_prefix(buf, &p);
			CHECK(dev_add_prefix(d, peer, &p) == 0);
		}
	}
}

struct reassembled {
	size_t prefixes, peer_entries, continuations;
	bool order_ok;
};

/* Walks one message's peers checking continuation rules. */
static void walk_peers(const struct nlmsghdr *nlh, const struct tw_device *d,
		       size_t *pi, size_t *ki, struct reassembled *r, bool first)
{
	const struct nlattr *peers = attr(nlh, TWILL_A_PEERS), *p, *x;
	union tw_sockaddr ep;
	struct tw_prefix want;
	uint32_t flags;
	bool first_peer = true;

	mnl_attr_for_each_nested(p, peers) {
		memset(&ep, 0, sizeof(ep));
		memcpy(&ep, mnl_attr_get_payload(nested(p, TWILL_PEER_A_ENDPOINT)),
		       mnl_attr_get_payload_len(nested(p, TWILL_PEER_A_ENDPOINT)));
		flags = mnl_attr_get_u32(nested(p, TWILL_PEER_A_FLAGS));
		r->peer_entries++;
		if (*ki > 0 && *ki < d->peers[*pi].npfx) {
			/* a continuation: first in its message, no replace */
			r->continuations++;
			if ((flags & TWILL_PEER_F_REPLACE_PREFIXES) ||
			    !first_peer || first)
				r->order_ok = false;
		} else {
			if (*ki > 0) {
				(*pi)++;
				*ki = 0;
			}
			if (!(flags & TWILL_PEER_F_REPLACE_PREFIXES))
				r->order_ok = false;
		}
		if (!ep_equal(&ep, &d->peers[*pi].ep))
			r->order_ok = false;
		mnl_attr_for_each_nested(x, nested(p, TWILL_PEER_A_PREFIXES)) {
			want = d->peers[*pi].pfx[(*ki)++];
			if (mnl_attr_get_u8(nested(x, TWILL_PREFIX_A_CIDR)) != want.cidr ||
			    memcmp(mnl_attr_get_payload(nested(x, TWILL_PREFIX_A_ADDR)),
				   want.addr, 4))
				r->order_ok = false;
			r->prefixes++;
		}
		first_peer = false;
	}
}

static void test_chunking_100k(void)
{
	struct tw_device d;
	struct tw_build b = { .family = FAMILY, .seq = 1 };
	struct tw_batch batch;
	struct reassembled r = { .order_ok = true };
	size_t i, pi = 0, ki = 0;
	double t;

	dev_init(&d);
	d.ifindex = 3;
	d.flags = TWILL_F_REPLACE_PEERS;
	d.mask = TW_BIT(TW_VNI);
	d.vni = 9;
	/* 7 peers, one with most of the prefixes so it spans many messages */
	make_big(&d, 7, 14286);
	CHECK(peer_total_prefixes(&d) == 100002);
	t = now_sec();
	build_set(&d, &b, &batch);
	printf("     100,002 prefixes -> %zu messages in %.3f s\n", batch.n,
	       now_sec() - t);
	CHECK(batch.n > 50 && batch.n < 200);
	for (i = 0; i < batch.n; i++) {
		const struct nlmsghdr *nlh = (const void *)batch.msgs[i].buf;
		uint32_t f = msg_flags(&batch.msgs[i]);

		CHECK(batch.msgs[i].len <= TW_MSG_MAX);
		CHECK(nlh->nlmsg_seq == 1 + i);
		CHECK(!!(f & TWILL_F_STAGE) == (i + 1 < batch.n));
		CHECK(!!(f & TWILL_F_REPLACE_PEERS) == (i == 0));
		CHECK(!!attr(nlh, TWILL_A_VNI) == (i == 0));
		CHECK(mnl_attr_get_u32(attr(nlh, TWILL_A_IFINDEX)) == 3);
		walk_peers(nlh, &d, &pi, &ki, &r, i == 0);
	}
	CHECK(r.prefixes == 100002);
	CHECK(r.order_ok);
	CHECK(r.continuations >= 6);
	CHECK(pi == 6 && ki == d.peers[6].npfx);
	batch_free(&batch);
	dev_free(&d);
}

static void test_chunking_small_limit(void)
{
	struct tw_device d;
	struct tw_build b = { .family = FAMILY, .seq = 1, .max_len = 1024 };
	struct tw_batch batch;
	size_t i, total = 0;

	dev_init(&d);
	d.ifindex = 1;
	make_big(&d, 40, 3);
	build_set(&d, &b, &batch);
	CHECK(batch.n > 3);
	for (i = 0; i < batch.n; i++) {
		struct tw_device back;

		CHECK(batch.msgs[i].len <= 1024);
		/* what we send parses back with the dump parser too */
		dev_init(&back);
		CHECK(parse_device_msg((const void *)batch.msgs[i].buf, &back,
				       NULL) == 0);
		total += peer_total_prefixes(&back);
		dev_free(&back);
	}
	CHECK(total == 120);
	batch_free(&batch);
	dev_free(&d);
}

/* ---- kernel-like replies ---- */

struct kpeer {
	const char *ep;
	const char *pfx[8];
	uint64_t rx_bytes;
};

static size_t put_reply(char *buf, uint8_t cmd, uint32_t gen,
			const struct kpeer *peers, size_t n, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	struct nlattr *ps, *p, *pf, *x, *dr;
	union tw_sockaddr ep;
	struct tw_prefix pr;
	size_t i, k;

	nlh->nlmsg_type = FAMILY;
	nlh->nlmsg_flags = flags;
	g->cmd = cmd;
	mnl_attr_put_u32(nlh, TWILL_A_IFINDEX, 5);
	mnl_attr_put_strz(nlh, TWILL_A_IFNAME, "twill0");
	mnl_attr_put_u32(nlh, TWILL_A_GENERATION, gen);
	mnl_attr_put_u16(nlh, TWILL_A_LISTEN_PORT, 8472);
	mnl_attr_put_u32(nlh, TWILL_A_VNI, 1);
	mnl_attr_put(nlh, TWILL_A_LOCAL, 0, NULL);
	mnl_attr_put_u8(nlh, TWILL_A_DF, TWILL_DF_SET);
	dr = mnl_attr_nest_start(nlh, TWILL_A_DROPS);
	mnl_attr_put_u64(nlh, TWILL_DROP_NO_PEER, 3);
	mnl_attr_nest_end(nlh, dr);
	ps = mnl_attr_nest_start(nlh, TWILL_A_PEERS);
	for (i = 0; i < n; i++) {
		p = mnl_attr_nest_start(nlh, 0);
		parse_endpoint(peers[i].ep, &ep);
		mnl_attr_put(nlh, TWILL_PEER_A_ENDPOINT,
			     ep.sa.sa_family == AF_INET ? sizeof(ep.in) :
			     sizeof(ep.in6), &ep);
		mnl_attr_put_u64(nlh, TWILL_PEER_A_RX_BYTES, peers[i].rx_bytes);
		pf = mnl_attr_nest_start(nlh, TWILL_PEER_A_PREFIXES);
		for (k = 0; peers[i].pfx[k]; k++) {
			parse_prefix(peers[i].pfx[k], &pr);
			x = mnl_attr_nest_start(nlh, 0);
			mnl_attr_put_u16(nlh, TWILL_PREFIX_A_FAMILY, pr.family);
			mnl_attr_put(nlh, TWILL_PREFIX_A_ADDR,
				     pr.family == AF_INET ? 4 : 16, pr.addr);
			mnl_attr_put_u8(nlh, TWILL_PREFIX_A_CIDR, pr.cidr);
			mnl_attr_nest_end(nlh, x);
		}
		mnl_attr_nest_end(nlh, pf);
		mnl_attr_nest_end(nlh, p);
	}
	mnl_attr_nest_end(nlh, ps);
	return nlh->nlmsg_len;
}

static void test_dump_merge(void)
{
	static const struct kpeer m1[] = {
		{ "192.0.2.1", { "10.0.0.0/24", NULL }, 100 },
		{ "192.0.2.2:9", { "10.1.0.0/24", "10.1.1.0/24", NULL }, 7 },
	};
	static const struct kpeer m2[] = {
		{ "192.0.2.2:9", { "10.1.2.0/24", NULL }, 7 },
		{ "[fd00::1]:5", { "fd10::/64", NULL }, 0 },
	};
	char buf[4096];
	struct tw_device d;
	char x[TW_PREFIX_STRLEN];

	dev_init(&d);
	put_reply(buf, TWILL_CMD_GET_DEVICE, 4, m1, 2, NLM_F_MULTI);
	CHECK(parse_device_msg((const void *)buf, &d, NULL) == 0);
	put_reply(buf, TWILL_CMD_GET_DEVICE, 4, m2, 2, NLM_F_MULTI);
	CHECK(parse_device_msg((const void *)buf, &d, NULL) == 0);
	CHECK(d.npeers == 3);
	CHECK(d.ifindex == 5 && !strcmp(d.ifname, "twill0") &&
	      d.generation == 4 && d.listen_port == 8472);
	CHECK(TW_HAS(&d, TW_LOCAL) && d.local.family == 0);
	CHECK(d.drops[TWILL_DROP_NO_PEER] == 3);
	CHECK(d.peers[1].npfx == 3 && d.peers[1].rx_bytes == 7);
	CHECK_STR(fmt_prefix(&d.peers[1].pfx[2], x), "10.1.2.0/24");
	CHECK(d.peers[2].ep.sa.sa_family == AF_INET6);
	dev_free(&d);
}

/* NPEERS peers, each split over two dump messages; the work it took. */
static unsigned long dump_merge(size_t npeers)
{
	struct kpeer kp = { "192.0.2.1", { "10.0.0.0/32", NULL }, 0 };
	char buf[1024], eps[32], x[TW_PREFIX_STRLEN], e[TW_EP_STRLEN];
	struct tw_device d;
	unsigned long ops = 0;
	size_t i;
	double t;

	dev_init(&d);
	t = now_sec();
	for (i = 0; i < 2 * npeers; i++) {
		snprintf(eps, sizeof(eps), "10.%zu.%zu.1", i / 2 >> 8,
			 i / 2 & 255);
		kp.ep = eps;
		/* the two halves of a peer carry different prefixes */
		kp.pfx[0] = i % 2 ? "10.0.0.1/32" : "10.0.0.0/32";
		put_reply(buf, TWILL_CMD_GET_DEVICE, 1, &kp, 1, NLM_F_MULTI);
		t_ops = 0;
		CHECK(parse_device_msg((const void *)buf, &d, NULL) == 0);
		ops += t_ops;
	}
	t = now_sec() - t;
	printf("     merged %zu entries into %zu peers in %.3f s\n", 2 * npeers,
	       d.npeers, t);
	CHECK(d.npeers == npeers);
	if (d.npeers == npeers) {
		/* the last peer, whole: both halves' prefixes, in order */
		snprintf(eps, sizeof(eps), "10.%zu.%zu.1", (npeers - 1) >> 8,
			 (npeers - 1) & 255);
		CHECK_STR(fmt_endpoint(&d.peers[npeers - 1].ep, e), eps);
		CHECK(d.peers[npeers - 1].npfx == 2);
		CHECK_STR(fmt_prefix(&d.peers[npeers - 1].pfx[0], x), "10.0.0.0/32");
		CHECK_STR(fmt_prefix(&d.peers[npeers - 1].pfx[1], x), "10.0.0.1/32");
	}
	dev_free(&d);
	return ops;
}

static void test_dump_merge_linear(void)
{
	unsigned long ops1 = dump_merge(2000), ops10 = dump_merge(20000);

	CHECK(check_growth("dump merge", ops1, ops10));
}

static void test_parse_malformed(void)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tw_device d;
	struct nlattr *ps, *p;

	mnl_nlmsg_put_extra_header(nlh, sizeof(struct genlmsghdr));
	ps = mnl_attr_nest_start(nlh, TWILL_A_PEERS);
	p = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, TWILL_PEER_A_ENDPOINT, 3, "abc");
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, ps);
	dev_init(&d);
	CHECK(parse_device_msg(nlh, &d, NULL) < 0);
	dev_free(&d);
	nlh = mnl_nlmsg_put_header(buf);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct genlmsghdr));
	mnl_attr_put_u8(nlh, TWILL_A_VNI, 1);	/* wrong size */
	CHECK(parse_device_msg(nlh, &d, NULL) < 0);
	dev_free(&d);
}

const struct test msg_tests[] = {
	{ "msg/build_small", test_build_small },
	{ "msg/build_ifname_v6_local_clear", test_build_ifname_v6_local_clear },
	{ "msg/chunking_100k", test_chunking_100k },
	{ "msg/chunking_small_limit", test_chunking_small_limit },
	{ "msg/dump_merge", test_dump_merge },
	{ "msg/dump_merge_linear", test_dump_merge_linear },
	{ "msg/parse_malformed", test_parse_malformed },
};
const size_t msg_tests_count = sizeof(msg_tests) / sizeof(msg_tests[0]);
