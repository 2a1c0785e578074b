// SPDX-License-Identifier: GPL-2.0
/* The config file reader and writer. */
#include "test.h"
#include "config.h"
#include "parse.h"
#include "util.h"

#include <stdlib.h>

static const char good[] =
	"# a comment\n"
	"[Device]\n"
	"ListenPort = 4789\n"
	"vni=42   # trailing comment\n"
	"FwMark = 0x10\n"
	"Local = 192.0.2.1\n"
	"Link = none\n"
	"MAC = 02:00:00:00:00:01\n"
	"PortRange = 1000-2000\n"
	"TTL = 64\n"
	"TOS = inherit\n"
	"DF = unset\n"
	"UDPChecksum = off\n"
	"MaxPeers = 100\n"
	"MaxPrefixes = 1000\n"
	"\n"
	"[peer]\n"
	"Endpoint = 192.0.2.2\n"
	"MAC = 02:00:00:00:00:02\n"
	"Prefixes = 10.0.0.0/24, 10.0.1.0/24\n"
	"prefixes = 10.0.2.0/24\n"
	"\r\n"
	"[Peer]\n"
	"Prefixes = fd00:1::/64\n"
	"Endpoint = [2001:db8::2]:8472\n"
	"[Peer]\n"
	"Endpoint = 192.0.2.3:9999\n"
	"Prefixes =\n";

static int parse(struct tw_device *d, const char *text)
{
	dev_free(d);
	return config_parse("f.conf", text, strlen(text), d);
}

static void test_good(void)
{
	struct tw_device d;

	dev_init(&d);
	CHECK(parse(&d, good) == 0);
	CHECK(d.listen_port == 4789 && d.vni == 42 && d.fwmark == 16);
	CHECK(d.local.family == AF_INET && TW_HAS(&d, TW_LINK) &&
	      !d.link_name[0]);
	CHECK(d.port_min == 1000 && d.ttl == 64 && d.tos == 1 &&
	      d.df == TWILL_DF_UNSET && d.udp_csum == 0);
	CHECK(d.max_peers == 100 && d.max_prefixes == 1000);
	CHECK((d.mask & TW_WRITABLE) == TW_WRITABLE);
	CHECK(d.npeers == 3);
	CHECK(d.peers[0].npfx == 3 && d.peers[0].has_mac &&
	      d.peers[0].line == 17 && d.peers[0].mode == TW_PFX_REPLACE);
	CHECK(d.peers[1].npfx == 1 && d.peers[1].ep.sa.sa_family == AF_INET6);
	CHECK(d.peers[2].npfx == 0 && d.peers[2].mode == TW_PFX_REPLACE);
	dev_free(&d);
}

static void expect_error(const char *text, const char *msg)
{
	struct tw_device d;

	dev_init(&d);
	CHECK(parse(&d, text) < 0);
	CHECK_CONTAINS(tw_errmsg, msg);
	/* one line */
	CHECK(!strchr(tw_errmsg, '\n'));
	dev_free(&d);
}

static void test_bad(void)
{
	expect_error("[Device]\nFoo = 1\n", "f.conf:2: unknown key 'Foo' in [Device]");
	expect_error("[Peer]\nEndpoint = 1.2.3.4\nVNI = 3\n",
		     "f.conf:3: unknown key 'VNI' in [Peer]");
	expect_error("\n[Interface]\n", "f.conf:2: unknown section '[Interface]'");
	expect_error("[Device]\n[Device]\n", "f.conf:2: duplicate [Device]");
	expect_error("VNI = 3\n", "f.conf:1: key 'VNI' outside of a section");
	expect_error("[Device]\nVNI 3\n", "f.conf:2: expected 'Key = Value'");
	expect_error("[Device]\nVNI =\n", "f.conf:2: missing value for 'VNI'");
	expect_error("[Device]\nVNI = 1\nVNI = 2\n", "f.conf:3: duplicate key 'VNI'");
	expect_error("[Device]\n\n\nListenPort = 70000\n",
		     "f.conf:4: invalid port '70000'");
	expect_error("[Device]\nVNI = 16777216\n", "f.conf:2: invalid VNI");
	expect_error("[Device]\nMAC = 02:00:00:00:00\n", "f.conf:2: invalid MAC");
	expect_error("[Peer]\nEndpoint = 1.2.3.4\nMAC = xx\n", "f.conf:3: invalid MAC");
	expect_error("[Peer]\nEndpoint = 1.2.3.4\nPrefixes = 10.0.0.0/33\n",
		     "f.conf:3: invalid prefix '10.0.0.0/33'");
	expect_error("[Peer]\nEndpoint = 1.2.3.4\nPrefixes = 10.0.0.0/8, 10.0.0.1/24\n",
		     "f.conf:3: invalid prefix '10.0.0.1/24' (host bits set; did you mean 10.0.0.0/24?)");
	expect_error("[Peer]\nEndpoint = 1.2.3.4\nPrefixes = +10.0.0.0/8\n",
		     "f.conf:3: invalid prefix '+10.0.0.0/8'");
	expect_error("[Peer]\nEndpoint = 1.2.3.4\nPrefixes = 10.0.0.0/8\n"
		     "[Peer]\nEndpoint = 1.2.3.5\n# x\nPrefixes = 10.1.0.0/16,10.0.0.0/8\n",
		     "f.conf:7: duplicate prefix 10.0.0.0/8 (also on another peer at line 3)");
	expect_error("[Peer]\nEndpoint = 1.2.3.4\nPrefixes = 10.0.0.0/8\n"
		     "Prefixes = 10.0.0.0/8\n",
		     "f.conf:4: duplicate prefix 10.0.0.0/8 (listed twice at line 3)");
	expect_error("[Peer]\nEndpoint = 1.2.3.4\n[Peer]\nEndpoint = 1.2.3.4\n",
		     "f.conf:4: duplicate peer 1.2.3.4 (first at line 1)");
	expect_error("[Peer]\nEndpoint = 1.2.3.4\nEndpoint = 1.2.3.5\n",
		     "f.conf:3: duplicate key 'Endpoint'");
	expect_error("[Device]\nVNI = 1\n[Peer]\nPrefixes = 10.0.0.0/8\n",
		     "f.conf:3: [Peer] has no Endpoint");
	expect_error("[Device]\n[Peer]\nPrefixes = 10.0.0.0/8\n[Peer]\n",
		     "f.conf:2: [Peer] has no Endpoint");
	expect_error("[Peer]\nEndpoint = 1.2.3.4:70000\n",
		     "f.conf:2: invalid endpoint '1.2.3.4:70000'");
	expect_error("garbage\n", "f.conf:1: expected 'Key = Value'");
	expect_error("[Device]\nTTL = 300\n", "f.conf:2: invalid TTL");
	expect_error("[Device]\nDF = maybe\n", "f.conf:2: invalid DF");
	expect_error("[Device]\nUDPChecksum = yes\n", "f.conf:2: invalid value 'yes'");
	expect_error("[Device]\nPortRange = 5-1\n", "f.conf:2: invalid port range");
}

static void test_nul_byte(void)
{
	static const char text[] = "[Device]\nVNI = 1\0 x\n";
	struct tw_device d;

	dev_init(&d);
	CHECK(config_parse("f.conf", text, sizeof(text) - 1, &d) < 0);
	CHECK_CONTAINS(tw_errmsg, "f.conf:2: NUL byte");
	dev_free(&d);
}

static void write_cb(FILE *f, const void *arg)
{
	config_write(f, arg);
}

static void test_roundtrip(void)
{
	struct tw_device a, b;
	char *t1, *t2;

	dev_init(&a);
	dev_init(&b);
	CHECK(parse(&a, good) == 0);
	t1 = capture(write_cb, &a);
	CHECK(config_parse("t1", t1, strlen(t1), &b) == 0);
	t2 = capture(write_cb, &b);
	CHECK_STR(t2, t1);
	CHECK_CONTAINS(t1, "[Device]\nListenPort = 4789\nVNI = 42\n"
		       "FwMark = 0x10\nLocal = 192.0.2.1\nLink = none\n");
	CHECK_CONTAINS(t1, "TOS = inherit\nDF = unset\nUDPChecksum = off\n");
	CHECK_CONTAINS(t1, "\n[Peer]\nEndpoint = 192.0.2.2\n"
		       "MAC = 02:00:00:00:00:02\nPrefixes = 10.0.0.0/24\n"
		       "Prefixes = 10.0.1.0/24\nPrefixes = 10.0.2.0/24\n");
	CHECK_CONTAINS(t1, "Endpoint = [2001:db8::2]:8472\n"
		       "Prefixes = fd00:1::/64\n");
	CHECK(b.npeers == 3 && b.peers[0].npfx == 3);
	free(t1);
	free(t2);
	dev_free(&a);
	dev_free(&b);
}

static char *big_config(size_t npeers, size_t per_peer)
{
	size_t cap = 64 + npeers * (48 + per_peer * 32), len = 0, i, k, n = 0;
	char *buf = malloc(cap);

	len += (size_t)sprintf(buf + len, "[Device]\nVNI = 7\n");
	for (i = 0; i < npeers; i++) {
		len += (size_t)sprintf(buf + len, "[Peer]\nEndpoint = 10.%zu.%zu.%zu\n",
				       i >> 16 & 255, i >> 8 & 255, i & 255);
		for (k = 0; k < per_peer; k++, n++)
			len += (size_t)sprintf(buf + len, "Prefixes = 100.%zu.%zu.0/24\n",
					       n >> 8 & 255, n & 255);
	}
	(void)n;
	return buf;
}

static void test_million_prefixes(void)
{
	/* 1,000,000 /32s spread over 1000 peers, one per line */
	size_t npeers = 1000, per = 1000, cap = 40u * 1024 * 1024, len = 0;
	size_t i, k, n = 0;
	char *buf = malloc(cap);
	struct tw_device d;
	double t;

	len += (size_t)sprintf(buf, "[Device]\nVNI = 7\n");
	for (i = 0; i < npeers; i++) {
		len += (size_t)sprintf(buf + len, "[Peer]\nEndpoint = 192.0.%zu.%zu\n",
				       i >> 8, i & 255);
		for (k = 0; k < per; k++, n++)
			len += (size_t)sprintf(buf + len, "Prefixes = 10.%zu.%zu.%zu/32\n",
					       n >> 16 & 255, n >> 8 & 255, n & 255);
	}
	dev_init(&d);
	t = now_sec();
	CHECK(config_parse("big", buf, len, &d) == 0);
	t = now_sec() - t;
	printf("     parsed 1,000,000 prefixes in %.3f s\n", t);
	CHECK(peer_total_prefixes(&d) == 1000000);
	/* a duplicate at the very end is still caught */
	len += (size_t)sprintf(buf + len, "Prefixes = 10.0.0.5/32\n");
	dev_free(&d);
	CHECK(config_parse("big", buf, len, &d) < 0);
	CHECK_CONTAINS(tw_errmsg, "duplicate prefix 10.0.0.5/32");
	dev_free(&d);
	free(buf);
}

static void test_big_helper(void)
{
	char *t = big_config(3, 2);
	struct tw_device d;

	dev_init(&d);
	CHECK(config_parse("x", t, strlen(t), &d) == 0);
	CHECK(d.npeers == 3 && peer_total_prefixes(&d) == 6);
	dev_free(&d);
	free(t);
}

const struct test config_tests[] = {
	{ "config/good", test_good },
	{ "config/bad", test_bad },
	{ "config/nul_byte", test_nul_byte },
	{ "config/roundtrip", test_roundtrip },
	{ "config/big_helper", test_big_helper },
	{ "config/million_prefixes", test_million_prefixes },
};
const size_t config_tests_count = sizeof(config_tests) / sizeof(config_tests[0]);
