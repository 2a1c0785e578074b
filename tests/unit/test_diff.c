// SPDX-License-Identifier: GPL-2.0
/* syncconf: the difference between the kernel's state and a file. */
#include "test.h"
#include "config.h"
#include "diff.h"
#include "parse.h"
#include "util.h"

#include <stdlib.h>

static void load(struct tw_device *d, const char *text)
{
	dev_init(d);
	CHECK(config_parse("t", text, strlen(text), d) == 0);
}

/* The dump side: like a config, plus read-only fields. */
static const char cur_text[] =
	"[Device]\nListenPort = 8472\nVNI = 1\nMAC = 02:00:00:00:00:01\n"
	"[Peer]\nEndpoint = 192.0.2.1\nMAC = 02:00:00:00:00:11\n"
	"Prefixes = 10.1.0.0/24, 10.1.1.0/24\n"
	"[Peer]\nEndpoint = 192.0.2.2:8472\nPrefixes = 10.2.0.0/24\n"
	"[Peer]\nEndpoint = 192.0.2.3\nPrefixes = 10.3.0.0/24, 10.3.1.0/24\n"
	"[Peer]\nEndpoint = 192.0.2.4\nPrefixes = 10.4.0.0/24\n";

static void test_no_change(void)
{
	struct tw_device cur, want, out;

	load(&cur, cur_text);
	load(&want, cur_text);
	dev_init(&out);
	CHECK(sync_diff(&cur, &want, &out) == 0);
	CHECK(out.npeers == 0 && (out.mask & TW_WRITABLE) == 0);
	dev_free(&cur);
	dev_free(&want);
	dev_free(&out);
}

static void test_changes(void)
{
	static const char want_text[] =
		"[Device]\nListenPort = 8472\nVNI = 2\nMAC = 02:00:00:00:00:01\n"
		"TTL = 9\n"
		/* unchanged, listed with prefixes in another order */
		"[Peer]\nEndpoint = 192.0.2.1\nMAC = 02:00:00:00:00:11\n"
		"Prefixes = 10.1.1.0/24, 10.1.0.0/24\n"
		/* port-less form of 192.0.2.2:8472: the same peer */
		"[Peer]\nEndpoint = 192.0.2.2\nPrefixes = 10.2.0.0/24\n"
		/* one prefix kept, one removed, one added, MAC set */
		"[Peer]\nEndpoint = 192.0.2.3\nMAC = 02:00:00:00:00:33\n"
		"Prefixes = 10.3.0.0/24, 10.3.9.0/24, 10.4.0.0/24\n"
		/* new */
		"[Peer]\nEndpoint = 192.0.2.5\nPrefixes = 10.5.0.0/24\n";
	struct tw_device cur, want, out;
	char e[TW_EP_STRLEN], x[TW_PREFIX_STRLEN];
	const struct tw_peer *p;

	load(&cur, cur_text);
	load(&want, want_text);
	dev_init(&out);
	/* VNI, TTL, peer .4 removed, .3 changed, .5 added */
	CHECK(sync_diff(&cur, &want, &out) == 5);
	CHECK((out.mask & TW_WRITABLE) == (TW_BIT(TW_VNI) | TW_BIT(TW_TTL)));
	CHECK(out.vni == 2 && out.ttl == 9);
	CHECK(out.npeers == 3);
	/* removals come first */
	p = &out.peers[0];
	CHECK_STR(fmt_endpoint(&p->ep, e), "192.0.2.4");
	CHECK(p->flags == TWILL_PEER_F_REMOVE && p->npfx == 0);
	p = &out.peers[1];
	CHECK_STR(fmt_endpoint(&p->ep, e), "192.0.2.3");
	CHECK(p->flags == 0 && p->mode == TW_PFX_DELTA && p->has_mac &&
	      p->mac[5] == 0x33);
	CHECK(p->npfx == 3);
	if (p->npfx == 3) {
		CHECK_STR(fmt_prefix(&p->pfx[0], x), "10.3.9.0/24");
		CHECK(!p->pfx[0].remove);
		/* moving from the removed peer .4 */
		CHECK_STR(fmt_prefix(&p->pfx[1], x), "10.4.0.0/24");
		CHECK(!p->pfx[1].remove);
		CHECK_STR(fmt_prefix(&p->pfx[2], x), "10.3.1.0/24");
		CHECK(p->pfx[2].remove);
	}
	p = &out.peers[2];
	CHECK_STR(fmt_endpoint(&p->ep, e), "192.0.2.5");
	CHECK(p->mode == TW_PFX_REPLACE && p->npfx == 1 && p->flags == 0);
	dev_free(&cur);
	dev_free(&want);
	dev_free(&out);
}

static void test_mac_cleared_and_moves(void)
{
	static const char want_text[] =
		"[Peer]\nEndpoint = 192.0.2.1\n"
		"Prefixes = 10.1.0.0/24, 10.1.1.0/24, 10.2.0.0/24\n"
		"[Peer]\nEndpoint = 192.0.2.2:8472\n"
		"[Peer]\nEndpoint = 192.0.2.3\nPrefixes = 10.3.0.0/24, 10.3.1.0/24\n"
		"[Peer]\nEndpoint = 192.0.2.4\nPrefixes = 10.4.0.0/24\n";
	struct tw_device cur, want, out;
	const struct tw_peer *p;

	load(&cur, cur_text);
	load(&want, want_text);
	dev_init(&out);
	CHECK(sync_diff(&cur, &want, &out) == 2);
	CHECK(out.npeers == 2 && (out.mask & TW_WRITABLE) == 0);
	p = &out.peers[0];
	/* MAC cleared with zeros, prefix moved in */
	CHECK(p->has_mac && mac_is_zero(p->mac));
	CHECK(p->npfx == 1 && !p->pfx[0].remove);
	p = &out.peers[1];
	CHECK(p->npfx == 1 && p->pfx[0].remove && !p->has_mac);
	dev_free(&cur);
	dev_free(&want);
	dev_free(&out);
}

/* A changed direct flag is a peer change; peers that keep theirs are not. */
static void test_direct(void)
{
	static const char cur_direct[] =
		"[Peer]\nEndpoint = 192.0.2.1\nDirect = on\nPrefixes = 10.1.0.0/24\n"
		"[Peer]\nEndpoint = 192.0.2.2\nPrefixes = 10.2.0.0/24\n"
		"[Peer]\nEndpoint = 192.0.2.3\nDirect = on\nPrefixes = 10.3.0.0/24\n"
		"[Peer]\nEndpoint = 192.0.2.4\nDirect = off\nPrefixes = 10.4.0.0/24\n";
	static const char want_text[] =
		"[Peer]\nEndpoint = 192.0.2.1\nPrefixes = 10.1.0.0/24\n"
		"[Peer]\nEndpoint = 192.0.2.2\nDirect = on\nPrefixes = 10.2.0.0/24\n"
		"[Peer]\nEndpoint = 192.0.2.3\nDirect = on\nPrefixes = 10.3.0.0/24\n"
		"[Peer]\nEndpoint = 192.0.2.4\nPrefixes = 10.4.0.0/24\n"
		"[Peer]\nEndpoint = 192.0.2.5\nDirect = on\nPrefixes = 10.5.0.0/24\n";
	struct tw_device cur, want, out;
	char e[TW_EP_STRLEN];
	const struct tw_peer *p;

	load(&cur, cur_direct);
	load(&want, want_text);
	config_prepare(&want, TW_CONF_SYNC);
	dev_init(&out);
	/* .1 off, .2 on, .5 new; .3 and .4 unchanged */
	CHECK(sync_diff(&cur, &want, &out) == 3);
	CHECK(out.npeers == 3);
	p = &out.peers[0];
	CHECK_STR(fmt_endpoint(&p->ep, e), "192.0.2.1");
	CHECK(p->has_direct && p->direct == 0 && p->npfx == 0 && !p->has_mac);
	p = &out.peers[1];
	CHECK_STR(fmt_endpoint(&p->ep, e), "192.0.2.2");
	CHECK(p->has_direct && p->direct == 1 && p->npfx == 0);
	p = &out.peers[2];
	CHECK_STR(fmt_endpoint(&p->ep, e), "192.0.2.5");
	CHECK(p->has_direct && p->direct == 1 && p->mode == TW_PFX_REPLACE);
	dev_free(&cur);
	dev_free(&want);
	dev_free(&out);
}

static void test_empty_want(void)
{
	struct tw_device cur, want, out;
	size_t i;

	load(&cur, cur_text);
	load(&want, "[Device]\nVNI = 1\n");
	dev_init(&out);
	CHECK(sync_diff(&cur, &want, &out) == 4);
	for (i = 0; i < out.npeers; i++)
		CHECK(out.peers[i].flags == TWILL_PEER_F_REMOVE);
	dev_free(&cur);
	dev_free(&want);
	dev_free(&out);
}

/* NP peers of PER /32 prefixes against the same plus one prefix on the last
 * peer: the diff is that one prefix.  Returns the work sync_diff did. */
static unsigned long big_diff(size_t np, size_t per)
{
	size_t cap = 64 + np * (40 + per * 32), len = 0;
	char *a = malloc(cap), *b;
	size_t i, k, n = 0;
	struct tw_device cur, want, out;
	unsigned long ops;
	double t;

	len += (size_t)sprintf(a, "[Device]\nVNI = 1\n");
	for (i = 0; i < np; i++) {
		len += (size_t)sprintf(a + len, "[Peer]\nEndpoint = 192.0.%zu.%zu\n",
				       i >> 8, i & 255);
		for (k = 0; k < per; k++, n++)
			len += (size_t)sprintf(a + len, "Prefixes = 10.%zu.%zu.%zu/32\n",
					       n >> 16 & 255, n >> 8 & 255, n & 255);
	}
	b = malloc(len + 64);
	/* one more prefix on the last peer */
	sprintf(b, "%sPrefixes = 11.0.0.0/32\n", a);
	load(&cur, a);
	load(&want, b);
	CHECK(cur.npeers == np && want.npeers == np);
	dev_init(&out);
	t_ops = 0;
	t = now_sec();
	CHECK(sync_diff(&cur, &want, &out) == 1);
	t = now_sec() - t;
	ops = t_ops;
	printf("     diffed %zu prefixes on %zu peers in %.3f s\n", n, np, t);
	/* the result: the last peer, gaining exactly 11.0.0.0/32 */
	CHECK(out.npeers == 1 && out.peers[0].npfx == 1);
	if (out.npeers == 1 && out.peers[0].npfx == 1) {
		char x[TW_PREFIX_STRLEN], e[TW_EP_STRLEN], want_ep[32];

		snprintf(want_ep, sizeof(want_ep), "192.0.%zu.%zu", (np - 1) >> 8,
			 (np - 1) & 255);
		CHECK_STR(fmt_prefix(&out.peers[0].pfx[0], x), "11.0.0.0/32");
		CHECK(!out.peers[0].pfx[0].remove);
		CHECK_STR(fmt_endpoint(&out.peers[0].ep, e), want_ep);
	}
	dev_free(&cur);
	dev_free(&want);
	dev_free(&out);
	free(a);
	free(b);
	return ops;
}

static void test_big_diff_linear(void)
{
	/* 20,000 and 200,000 prefixes, peers and prefixes per peer both x3.16 */
	unsigned long ops1 = big_diff(63, 317), ops10 = big_diff(200, 1000);

	CHECK(check_growth("sync_diff", ops1, ops10));
}

const struct test diff_tests[] = {
	{ "diff/no_change", test_no_change },
	{ "diff/changes", test_changes },
	{ "diff/mac_cleared_and_moves", test_mac_cleared_and_moves },
	{ "diff/direct", test_direct },
	{ "diff/empty_want", test_empty_want },
	{ "diff/big_linear", test_big_diff_linear },
};
const size_t diff_tests_count = sizeof(diff_tests) / sizeof(diff_tests[0]);
