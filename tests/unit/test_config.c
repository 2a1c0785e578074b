// SPDX-License-Identifier: GPL-2.0
/* The config file reader and writer. */
#include "test.h"
#include "config.h"
#include "diff.h"
#include "msg.h"
#include "parse.h"
#include "settings.h"
#include "util.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
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
	"Direct = off\n"
	"\n"
	"[peer]\n"
	"Endpoint = 192.0.2.2\n"
	"MAC = 02:00:00:00:00:02\n"
	"direct = On\n"
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
	      d.peers[0].line == 18 && d.peers[0].mode == TW_PFX_REPLACE);
	CHECK(d.peers[0].has_direct && d.peers[0].direct == 1 &&
	      !d.peers[1].has_direct);
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
		     "f.conf:4: invalid ListenPort '70000' (expected 1-65535)");
	expect_error("[Device]\nVNI = 16777216\n", "f.conf:2: invalid VNI");
	expect_error("[Device]\nMAC = 02:00:00:00:00\n", "f.conf:2: invalid MAC");
	expect_error("[Peer]\nEndpoint = 1.2.3.4\nMAC = xx\n", "f.conf:3: invalid MAC");
	expect_error("[Peer]\nEndpoint = 1.2.3.4\nDirect = yes\n",
		     "f.conf:3: invalid Direct 'yes' (expected on or off)");
	expect_error("[Peer]\nEndpoint = 1.2.3.4\nDirect = on\nDirect = on\n",
		     "f.conf:4: duplicate key 'Direct'");
	expect_error("[Device]\nDirect = on\n", "f.conf:2: invalid Direct 'on'");
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
	expect_error("[Device]\nUDPChecksum = yes\n", "f.conf:2: invalid UDPChecksum 'yes' (expected off or on)");
	expect_error("[Device]\nPortRange = 5-1\n", "f.conf:2: invalid PortRange '5-1' (MIN > MAX)");
	/* everything the kernel refuses, refused first with file and line */
	expect_error("[Device]\nMaxPeers = 1048577\n",
		     "f.conf:2: invalid MaxPeers '1048577' (expected 1-1048576)");
	expect_error("[Device]\n\nMaxPrefixes = 67108865\n",
		     "f.conf:3: invalid MaxPrefixes '67108865' (expected 1-67108864)");
	expect_error("[Device]\nMAC = 00:00:00:00:00:00\n",
		     "f.conf:2: invalid MAC '00:00:00:00:00:00' (the device's MAC must not be zero)");
	expect_error("[Device]\nMAC = 33:33:00:00:00:01\n",
		     "f.conf:2: invalid MAC address '33:33:00:00:00:01' (multicast)");
	expect_error("[Peer]\nEndpoint = 1.2.3.4\nMAC = 01:00:5e:00:00:01\n",
		     "f.conf:3: invalid MAC address '01:00:5e:00:00:01' (multicast)");
	expect_error("[Peer]\nEndpoint = 224.1.2.3\n",
		     "f.conf:2: invalid endpoint '224.1.2.3' (multicast)");
	expect_error("[Peer]\nEndpoint = 0.0.0.0:8472\n",
		     "f.conf:2: invalid endpoint '0.0.0.0:8472' (zero address)");
	expect_error("[Peer]\n# v6\nEndpoint = [::]:8472\n",
		     "f.conf:3: invalid endpoint '[::]:8472' (zero address)");
	expect_error("[Peer]\nEndpoint = [fe80::1%eth0]:8472\n",
		     "f.conf:2: invalid endpoint '[fe80::1%eth0]:8472' (link-local endpoints are not supported)");
	expect_error("[Peer]\nEndpoint = fe80::2\n",
		     "f.conf:2: invalid endpoint 'fe80::2' (link-local endpoints are not supported)");
	/* one peer per address: the port does not make another peer */
	expect_error("[Peer]\nEndpoint = 1.2.3.4\n\n[Peer]\nEndpoint = 1.2.3.4:8472\n",
		     "f.conf:5: peer 1.2.3.4:8472: address already used by the peer on line 1");
	expect_error("[Device]\nVNI = 1\n[Peer]\nEndpoint = 192.0.2.2:8472\n"
		     "[Peer]\nEndpoint = 192.0.2.3\n[Peer]\nPrefixes = 10.0.0.0/8\n"
		     "Endpoint = 192.0.2.2:9000\n",
		     "f.conf:9: peer 192.0.2.2:9000: address already used by the peer on line 3");
	expect_error("[Peer]\nEndpoint = [2001:db8::1]:1\n[Peer]\nEndpoint = 2001:db8::1\n",
		     "f.conf:4: peer 2001:db8::1: address already used by the peer on line 1");
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
		       "MAC = 02:00:00:00:00:02\nDirect = on\n"
		       "Prefixes = 10.0.0.0/24\n"
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

/* Every setting, spelled differently from what the writer prints. */
static const char all_settings[] =
	"[Device]\n"
	"listenport = 0x1000\n"
	"VNI = 0\n"
	"FwMark = 4294967295\n"
	"Local = 2001:DB8::1\n"
	"Link = eth1\n"
	"MAC = 02:AB:00:00:00:01\n"
	"PortRange = 1-65535\n"
	"TTL = 255\n"
	"TOS = 0\n"
	"DF = INHERIT\n"
	"UDPChecksum = On\n"
	"MaxPeers = 1048576\n"
	"MaxPrefixes = 67108864\n"
	"Direct = AUTO\n";

static const char all_written[] =
	"[Device]\n"
	"ListenPort = 4096\n"
	"VNI = 0\n"
	"FwMark = 0xffffffff\n"
	"Local = 2001:db8::1\n"
	"Link = eth1\n"
	"MAC = 02:ab:00:00:00:01\n"
	"PortRange = 1-65535\n"
	"TTL = 255\n"
	"TOS = 0\n"
	"DF = inherit\n"
	"UDPChecksum = on\n"
	"MaxPeers = 1048576\n"
	"MaxPrefixes = 67108864\n"
	"Direct = auto\n";

static void pretty_settings_cb(FILE *f, const void *arg)
{
	const struct tw_setting *s;
	struct json j;

	json_init(&j, f, false);
	json_obj_open(&j, NULL);
	tw_for_each_setting(s)
		setting_json(s, &j, arg);
	json_obj_close(&j);
	json_end(&j);
}

/* Whether two devices hold the same value for every setting. */
static bool same_settings(const struct tw_device *a, const struct tw_device *b)
{
	const struct tw_setting *s;
	bool same = true;

	tw_for_each_setting(s) {
		if (!setting_same(s, a, b) || !setting_same(s, b, a) ||
		    TW_HAS(a, s->field) != TW_HAS(b, s->field)) {
			fprintf(stderr, "  setting %s differs\n", s->key);
			same = false;
		}
	}
	return same;
}

/* parse -> config writer -> parse, JSON, and netlink put -> reply parse */
static void test_settings_roundtrip(void)
{
	static const char none_text[] =
		"[Device]\nFwMark = off\nLocal = none\nLink = none\n"
		"TTL = inherit\nTOS = inherit\nDF = unset\nUDPChecksum = off\n";
	struct tw_build b = { .family = 0x42, .seq = 1 };
	struct tw_device a, c;
	const struct tw_setting *s;
	struct tw_batch batch;
	char *t, *js;

	dev_init(&a);
	dev_init(&c);
	CHECK(parse(&a, all_settings) == 0);
	/* the table covers every writable field, nothing else */
	CHECK((a.mask & TW_WRITABLE) == TW_WRITABLE && a.mask == TW_WRITABLE);
	CHECK(tw_nsettings == TW_NUM_PEERS);
	t = capture(write_cb, &a);
	CHECK_STR(t, all_written);
	CHECK(parse(&c, t) == 0 && same_settings(&a, &c));
	free(t);
	js = capture(pretty_settings_cb, &a);
	CHECK_STR(js, "{\"listen_port\":4096,\"vni\":0,\"fwmark\":4294967295,"
		  "\"local\":\"2001:db8::1\",\"link\":\"eth1\","
		  "\"mac\":\"02:ab:00:00:00:01\",\"port_min\":1,"
		  "\"port_max\":65535,\"ttl\":255,\"tos\":0,\"df\":\"inherit\","
		  "\"udp_csum\":true,\"max_peers\":1048576,"
		  "\"max_prefixes\":67108864,\"direct\":\"auto\"}\n");
	free(js);
	/* a request carries exactly what parses back into the same values
	 * (the link by name: the kernel resolves it) */
	build_set(&a, &b, &batch);
	CHECK(batch.n == 1);
	dev_free(&c);
	CHECK(parse_device_msg((const void *)batch.msgs[0].buf, &c, NULL) == 0);
	CHECK(same_settings(&a, &c));
	batch_free(&batch);
	/* the words: none, off, inherit */
	CHECK(parse(&a, none_text) == 0);
	t = capture(write_cb, &a);
	CHECK_STR(t, "[Device]\nFwMark = 0x0\nLocal = none\nLink = none\n"
		  "TTL = inherit\nTOS = inherit\nDF = unset\nUDPChecksum = off\n");
	dev_free(&c);
	CHECK(parse(&c, t) == 0 && same_settings(&a, &c));
	free(t);
	js = capture(pretty_settings_cb, &a);
	CHECK_CONTAINS(js, "\"fwmark\":0,\"local\":null,\"link\":null,");
	CHECK_CONTAINS(js, "\"ttl\":0,\"tos\":1,\"df\":\"unset\",\"udp_csum\":false,");
	free(js);
	/* every setting has a key, a word, a label, a JSON key, an attribute */
	tw_for_each_setting(s) {
		CHECK(s->key && s->arg && s->label && s->json && s->attr);
		CHECK(setting_by_key(s->key) == s && setting_by_arg(s->arg) == s &&
		      setting_by_attr(s->attr) == s);
		CHECK(s->attr < TWILL_A_NUM_PEERS || s->attr == TWILL_A_LINK_NAME ||
		      s->attr == TWILL_A_DIRECT);
	}
	dev_free(&a);
	dev_free(&c);
}

/* The link: by name (resolved by the kernel), by ifindex, or none. */
static void test_link_name(void)
{
	struct tw_build b = { .family = 0x42, .seq = 1 };
	const struct nlmsghdr *nlh;
	const struct nlattr *at;
	struct tw_device want, cur;
	struct tw_batch batch;
	bool name = false, idx = false;
	uint32_t link = 99;

	dev_init(&want);
	dev_init(&cur);
	CHECK(parse(&want, "[Device]\nLink = eth1\n") == 0);
	build_set(&want, &b, &batch);
	nlh = (const void *)batch.msgs[0].buf;
	mnl_attr_for_each(at, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(at) == TWILL_A_LINK_NAME)
			name = !strcmp(mnl_attr_get_str(at), "eth1");
		if (mnl_attr_get_type(at) == TWILL_A_LINK)
			idx = true;
	}
	CHECK(name && !idx);
	batch_free(&batch);
	/* syncconf: the kernel's name of its link is what counts */
	CHECK(parse(&cur, "[Device]\nLink = 7\n") == 0);
	snprintf(cur.link_name, sizeof(cur.link_name), "eth1");
	CHECK(setting_same(setting_by_key("Link"), &cur, &want));
	CHECK(parse(&want, "[Device]\nLink = 7\n") == 0);
	CHECK(setting_same(setting_by_key("Link"), &cur, &want));
	CHECK(parse(&want, "[Device]\nLink = none\n") == 0);
	CHECK(!setting_same(setting_by_key("Link"), &cur, &want));
	build_set(&want, &b, &batch);
	nlh = (const void *)batch.msgs[0].buf;
	mnl_attr_for_each(at, nlh, sizeof(struct genlmsghdr)) {
		CHECK(mnl_attr_get_type(at) != TWILL_A_LINK_NAME);
		if (mnl_attr_get_type(at) == TWILL_A_LINK)
			link = mnl_attr_get_u32(at);
	}
	CHECK(link == 0);
	batch_free(&batch);
	dev_free(&want);
	dev_free(&cur);
}

/* The peers of a SET message: has_mac and mac of each. */
static void macs_sent(const struct tw_device *d, bool *has, uint8_t (*mac)[6])
{
	struct tw_build b = { .family = 0x42, .seq = 1 };
	struct tw_batch batch;
	struct tw_device back;
	size_t i;

	build_set(d, &b, &batch);
	dev_init(&back);
	CHECK(batch.n == 1 &&
	      parse_device_msg((const void *)batch.msgs[0].buf, &back, NULL) == 0);
	CHECK(back.npeers == d->npeers);
	for (i = 0; i < back.npeers && i < d->npeers; i++) {
		has[i] = back.peers[i].has_mac;
		memcpy(mac[i], back.peers[i].mac, 6);
	}
	batch_free(&batch);
	dev_free(&back);
}

/* A [Peer] without MAC has none for setconf and syncconf alike. */
static void test_mac_semantics(void)
{
	static const char file[] =
		"[Peer]\nEndpoint = 192.0.2.1\nMAC = 02:00:00:00:00:01\n"
		"[Peer]\nEndpoint = 192.0.2.2\n";
	static const char kernel[] =
		"[Peer]\nEndpoint = 192.0.2.1\nMAC = 02:00:00:00:00:01\n"
		"[Peer]\nEndpoint = 192.0.2.2\nMAC = 02:00:00:00:00:02\n";
	struct tw_device d, cur, out;
	bool has[2] = { false, false };
	uint8_t mac[2][6];

	dev_init(&d);
	CHECK(parse(&d, file) == 0);
	config_prepare(&d, TW_CONF_SET);
	CHECK(d.flags & TWILL_F_REPLACE_PEERS);
	macs_sent(&d, has, mac);
	CHECK(has[0] && mac[0][5] == 1);
	CHECK(has[1] && mac_is_zero(mac[1]));	/* cleared */
	/* addconf leaves a MAC the file does not give */
	CHECK(parse(&d, file) == 0);
	config_prepare(&d, TW_CONF_ADD);
	CHECK(!(d.flags & TWILL_F_REPLACE_PEERS));
	macs_sent(&d, has, mac);
	CHECK(has[0] && !has[1]);
	/* syncconf clears it too */
	CHECK(parse(&d, file) == 0);
	config_prepare(&d, TW_CONF_SYNC);
	CHECK(!(d.flags & TWILL_F_REPLACE_PEERS));
	dev_init(&cur);
	dev_init(&out);
	CHECK(config_parse("k", kernel, strlen(kernel), &cur) == 0);
	CHECK(sync_diff(&cur, &d, &out) == 1);
	CHECK(out.npeers == 1 && out.peers[0].has_mac &&
	      mac_is_zero(out.peers[0].mac) && out.peers[0].ep.in.sin_addr.s_addr ==
	      htonl(0xc0000202));
	dev_free(&cur);
	dev_free(&out);
	dev_free(&d);
}

/* A full disk is an error, not a truncated file (showconf > f). */
static void test_write_error(void)
{
	struct tw_device d;
	FILE *f = fopen("/dev/full", "w");
	FILE *ok = tmpfile();

	dev_init(&d);
	CHECK(parse(&d, good) == 0);
	CHECK(f != NULL && ok != NULL);
	if (f) {
		config_write(f, &d);
		CHECK(tw_close_output(f, "f") < 0);
		CHECK_STR(tw_errmsg, "error writing f: No space left on device");
	}
	if (ok) {
		config_write(ok, &d);
		CHECK(tw_close_output(ok, "ok") == 0);
	}
	dev_free(&d);
}

const struct test config_tests[] = {
	{ "config/good", test_good },
	{ "config/bad", test_bad },
	{ "config/nul_byte", test_nul_byte },
	{ "config/roundtrip", test_roundtrip },
	{ "config/big_helper", test_big_helper },
	{ "config/million_prefixes", test_million_prefixes },
	{ "settings/roundtrip", test_settings_roundtrip },
	{ "settings/link_name", test_link_name },
	{ "config/mac_semantics", test_mac_semantics },
	{ "config/write_error", test_write_error },
};
const size_t config_tests_count = sizeof(config_tests) / sizeof(config_tests[0]);
