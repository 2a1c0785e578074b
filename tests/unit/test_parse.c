// SPDX-License-Identifier: GPL-2.0
/* Value parsers and formatters; the set command line. */
#include "test.h"
#include "parse.h"
#include "setargs.h"
#include "settings.h"
#include "util.h"

#include <arpa/inet.h>

/* Parses `value` as the setting named `arg` into a fresh device. */
static int setting(struct tw_device *d, const char *arg, const char *value)
{
	const struct tw_setting *s = setting_by_arg(arg);

	dev_free(d);
	CHECK(s != NULL);
	return s ? setting_parse(s, d, value, arg) : -1;
}

static void test_numbers(void)
{
	struct tw_device d;
	uint32_t v = 7;

	dev_init(&d);
	CHECK(parse_u32("0", 0, 10, &v) == 0 && v == 0);
	CHECK(parse_u32("0x10", 0, 100, &v) == 0 && v == 16);
	CHECK(parse_u32("4294967295", 0, UINT32_MAX, &v) == 0 &&
	      v == UINT32_MAX);
	CHECK(parse_u32("4294967296", 0, UINT32_MAX, &v) < 0);
	CHECK(parse_u32("-1", 0, 10, &v) < 0);
	CHECK(parse_u32(" 1", 0, 10, &v) < 0);
	CHECK(parse_u32("1x", 0, 10, &v) < 0);
	CHECK(parse_u32("", 0, 10, &v) < 0);
	CHECK(parse_u32("0x", 0, 10, &v) < 0);
	CHECK(setting(&d, "listen-port", "8472") == 0 &&
	      d.listen_port == 8472 && TW_HAS(&d, TW_LISTEN_PORT));
	CHECK(setting(&d, "listen-port", "70000") < 0);
	CHECK_STR(tw_errmsg, "invalid listen-port '70000' (expected 1-65535)");
	CHECK(!TW_HAS(&d, TW_LISTEN_PORT));
	CHECK(setting(&d, "listen-port", "0") < 0);
	CHECK(setting(&d, "vni", "16777215") == 0 && d.vni == 16777215);
	CHECK(setting(&d, "vni", "16777216") < 0);
	CHECK_CONTAINS(tw_errmsg, "16777216");
	CHECK(setting(&d, "fwmark", "0xff") == 0 && d.fwmark == 255);
	CHECK(setting(&d, "fwmark", "off") == 0 && d.fwmark == 0);
	CHECK(setting(&d, "fwmark", "mark") < 0);
	CHECK_STR(tw_errmsg, "invalid fwmark 'mark' (expected 0x0-0xffffffff or off)");
	/* the kernel's bounds (kmod/netlink.c policy) */
	CHECK(setting(&d, "max-peers", "0") < 0);
	CHECK(setting(&d, "max-peers", "100") == 0 && d.max_peers == 100);
	CHECK(setting(&d, "max-peers", "1048576") == 0);
	CHECK(setting(&d, "max-peers", "1048577") < 0);
	CHECK_STR(tw_errmsg, "invalid max-peers '1048577' (expected 1-1048576)");
	CHECK(setting(&d, "max-prefixes", "67108864") == 0 &&
	      d.max_prefixes == 67108864);
	CHECK(setting(&d, "max-prefixes", "67108865") < 0);
	CHECK_CONTAINS(tw_errmsg, "expected 1-67108864");
	dev_free(&d);
}

static void test_settings_words(void)
{
	struct tw_device d;

	dev_init(&d);
	CHECK(setting(&d, "ttl", "inherit") == 0 && d.ttl == 0);
	CHECK(setting(&d, "ttl", "64") == 0 && d.ttl == 64);
	CHECK(setting(&d, "ttl", "0") < 0);
	CHECK_STR(tw_errmsg, "invalid ttl '0' (expected 1-255 or inherit)");
	CHECK(setting(&d, "ttl", "256") < 0);
	CHECK(setting(&d, "tos", "inherit") == 0 && d.tos == 1);
	CHECK(setting(&d, "tos", "0x10") == 0 && d.tos == 16);
	CHECK(setting(&d, "tos", "300") < 0);
	CHECK(setting(&d, "df", "SET") == 0 && d.df == TWILL_DF_SET);
	CHECK(setting(&d, "df", "unset") == 0 && d.df == TWILL_DF_UNSET);
	CHECK(setting(&d, "df", "inherit") == 0 && d.df == TWILL_DF_INHERIT);
	CHECK(setting(&d, "df", "maybe") < 0);
	CHECK_STR(tw_errmsg, "invalid df 'maybe' (expected unset, set or inherit)");
	CHECK(setting(&d, "df", "1") < 0);
	CHECK(setting(&d, "udp-csum", "on") == 0 && d.udp_csum == 1);
	CHECK(setting(&d, "udp-csum", "off") == 0 && d.udp_csum == 0);
	CHECK(setting(&d, "udp-csum", "yes") < 0);
	CHECK(setting(&d, "port-range", "1000-2000") == 0 &&
	      d.port_min == 1000 && d.port_max == 2000);
	CHECK(setting(&d, "port-range", "2000-1000") < 0);
	CHECK_CONTAINS(tw_errmsg, "MIN > MAX");
	CHECK(setting(&d, "port-range", "1000") < 0);
	CHECK(setting(&d, "port-range", "1-70000") < 0);
	CHECK(setting(&d, "port-range", "-5") < 0);
	/* a device MAC must be unicast and not zero */
	CHECK(setting(&d, "mac", "02:00:00:00:00:01") == 0);
	CHECK(setting(&d, "mac", "00:00:00:00:00:00") < 0);
	CHECK_CONTAINS(tw_errmsg, "must not be zero");
	CHECK(setting(&d, "mac", "01:00:5e:00:00:01") < 0);
	CHECK_CONTAINS(tw_errmsg, "multicast");
	/* link: a name for the kernel to resolve, an ifindex, or none */
	CHECK(setting(&d, "link", "eth0") == 0 && !d.link &&
	      !strcmp(d.link_name, "eth0"));
	CHECK(setting(&d, "link", "7") == 0 && d.link == 7 && !d.link_name[0]);
	CHECK(setting(&d, "link", "none") == 0 && !d.link && !d.link_name[0] &&
	      TW_HAS(&d, TW_LINK));
	CHECK(setting(&d, "link", "a/b") < 0);
	CHECK(setting(&d, "local", "none") == 0 && !d.local.family);
	CHECK(setting(&d, "local", "fd00::1") == 0 &&
	      d.local.family == AF_INET6);
	CHECK(setting(&d, "local", "fd00::x") < 0);
	dev_free(&d);
}

static void test_mac(void)
{
	uint8_t mac[6];
	char buf[TW_MAC_STRLEN];

	CHECK(parse_mac("02:00:5e:AA:bb:01", mac) == 0);
	CHECK_STR(fmt_mac(mac, buf), "02:00:5e:aa:bb:01");
	CHECK(parse_mac("02:00:5e:aa:bb", mac) < 0);
	CHECK(parse_mac("02:00:5e:aa:bb:0g", mac) < 0);
	CHECK(parse_mac("02-00-5e-aa-bb-01", mac) < 0);
	CHECK(parse_mac("02:00:5e:aa:bb:011", mac) < 0);
	CHECK(parse_mac("01:00:5e:00:00:01", mac) < 0);
	CHECK_CONTAINS(tw_errmsg, "multicast");
	CHECK(parse_mac("garbage", mac) < 0);
	CHECK_CONTAINS(tw_errmsg, "'garbage'");
}

static void test_addr(void)
{
	struct tw_addr a;
	char buf[TW_ADDR_STRLEN];

	CHECK(parse_addr("192.0.2.1", &a) == 0 && a.family == AF_INET);
	CHECK_STR(fmt_addr(&a, buf), "192.0.2.1");
	CHECK(parse_addr("2001:db8::1", &a) == 0 && a.family == AF_INET6);
	CHECK_STR(fmt_addr(&a, buf), "2001:db8::1");
	CHECK(parse_addr("192.0.2.256", &a) < 0);
	CHECK(parse_addr("host.example", &a) < 0);
	CHECK(parse_addr("", &a) < 0);
}

static void test_prefix(void)
{
	struct tw_prefix p;
	char buf[TW_PREFIX_STRLEN];

	CHECK(parse_prefix("10.0.0.0/24", &p) == 0 && p.family == AF_INET &&
	      p.cidr == 24);
	CHECK_STR(fmt_prefix(&p, buf), "10.0.0.0/24");
	CHECK(parse_prefix("10.0.0.7", &p) == 0 && p.cidr == 32);
	CHECK(parse_prefix("0.0.0.0/0", &p) == 0 && p.cidr == 0);
	CHECK(parse_prefix("fd00::/8", &p) == 0 && p.family == AF_INET6 &&
	      p.cidr == 8 && p.addr[0] == 0xfd);
	CHECK(parse_prefix("fd00::1", &p) == 0 && p.cidr == 128);
	CHECK(parse_prefix("10.0.0.0/33", &p) < 0);
	CHECK_CONTAINS(tw_errmsg, "'10.0.0.0/33'");
	CHECK(parse_prefix("fd00::/129", &p) < 0);
	CHECK(parse_prefix("10.0.0.1/24", &p) < 0);
	CHECK_CONTAINS(tw_errmsg, "'10.0.0.1/24'");
	CHECK_CONTAINS(tw_errmsg, "10.0.0.0/24?");
	CHECK(parse_prefix("10.0.0.128/25", &p) == 0);
	CHECK(parse_prefix("10.0.0.129/25", &p) < 0);
	CHECK(parse_prefix("fd00::1/64", &p) < 0);
	CHECK_CONTAINS(tw_errmsg, "fd00::/64");
	CHECK(parse_prefix("10.0.0.0/", &p) < 0);
	CHECK(parse_prefix("10.0.0.0/-1", &p) < 0);
	CHECK(parse_prefix("10.0.0.0/0x8", &p) < 0);
	CHECK(parse_prefix("10.0.0.0/24/1", &p) < 0);
	CHECK(parse_prefix("/24", &p) < 0);
	CHECK(parse_prefix("garbage", &p) < 0);
	CHECK_CONTAINS(tw_errmsg, "garbage");
}

static void test_endpoint(void)
{
	union tw_sockaddr ep;
	char buf[TW_EP_STRLEN];

	CHECK(parse_endpoint("192.0.2.1:4789", &ep) == 0 &&
	      ep.sa.sa_family == AF_INET && ntohs(ep.in.sin_port) == 4789);
	CHECK_STR(fmt_endpoint(&ep, buf), "192.0.2.1:4789");
	CHECK(parse_endpoint("192.0.2.1", &ep) == 0 && ep.in.sin_port == 0);
	CHECK_STR(fmt_endpoint(&ep, buf), "192.0.2.1");
	CHECK(parse_endpoint("[2001:db8::1]:8472", &ep) == 0 &&
	      ep.sa.sa_family == AF_INET6 &&
	      ntohs(ep.in6.sin6_port) == 8472);
	CHECK_STR(fmt_endpoint(&ep, buf), "[2001:db8::1]:8472");
	CHECK(parse_endpoint("2001:db8::1", &ep) == 0 &&
	      ep.in6.sin6_port == 0);
	CHECK_STR(fmt_endpoint(&ep, buf), "2001:db8::1");
	CHECK(parse_endpoint("[2001:db8::1]", &ep) == 0);
	CHECK(parse_endpoint("192.0.2.1:70000", &ep) < 0);
	CHECK_CONTAINS(tw_errmsg, "192.0.2.1:70000");
	CHECK(parse_endpoint("192.0.2.1:0", &ep) < 0);
	CHECK(parse_endpoint("192.0.2.1:", &ep) < 0);
	CHECK(parse_endpoint("[192.0.2.1]:80", &ep) < 0);
	CHECK(parse_endpoint("[2001:db8::1]x", &ep) < 0);
	CHECK(parse_endpoint("[2001:db8::1", &ep) < 0);
	CHECK(parse_endpoint("host:80", &ep) < 0);
	CHECK(parse_endpoint("", &ep) < 0);
	/* what the kernel refuses: zero, multicast, link-local, scope ids */
	CHECK(parse_endpoint("0.0.0.0", &ep) < 0);
	CHECK_STR(tw_errmsg, "invalid endpoint '0.0.0.0' (zero address)");
	CHECK(parse_endpoint("0.1.2.3:5", &ep) < 0);
	CHECK(parse_endpoint("224.0.0.1:8472", &ep) < 0);
	CHECK_STR(tw_errmsg, "invalid endpoint '224.0.0.1:8472' (multicast)");
	CHECK(parse_endpoint("239.255.255.255", &ep) < 0);
	CHECK(parse_endpoint("223.255.255.255", &ep) == 0);
	CHECK(parse_endpoint("::", &ep) < 0);
	CHECK_CONTAINS(tw_errmsg, "zero address");
	CHECK(parse_endpoint("[ff02::1]:8472", &ep) < 0);
	CHECK_CONTAINS(tw_errmsg, "multicast");
	CHECK(parse_endpoint("[fe80::1]:8472", &ep) < 0);
	CHECK_STR(tw_errmsg, "invalid endpoint '[fe80::1]:8472' "
		  "(link-local endpoints are not supported)");
	CHECK(parse_endpoint("febf::1", &ep) < 0);
	CHECK(parse_endpoint("fec0::1", &ep) == 0);
	CHECK(parse_endpoint("[fe80::1%eth0]:8472", &ep) < 0);
	CHECK_CONTAINS(tw_errmsg, "link-local endpoints are not supported");
	CHECK(parse_endpoint("[2001:db8::1%2]:8472", &ep) < 0);
	CHECK_CONTAINS(tw_errmsg, "'[2001:db8::1%2]:8472'");
}

static int set_args(struct tw_device *dev, const char *line)
{
	char buf[512], *argv[64], *tok, *save = NULL;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (tok = strtok_r(buf, " ", &save); tok && argc < 64;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	dev_free(dev);
	return parse_set_args(argc, argv, dev);
}

static void test_set_args_ok(void)
{
	struct tw_device d;

	dev_init(&d);
	CHECK(set_args(&d, "listen-port 4789 vni 42 fwmark 0x10 local none "
		       "link eth0 mac 02:00:00:00:00:01 port-range 1000-2000 "
		       "ttl inherit tos 0x10 df inherit udp-csum on "
		       "max-peers 10 max-prefixes 100 direct auto") == 0);
	CHECK(d.listen_port == 4789 && d.vni == 42 && d.fwmark == 16);
	CHECK(TW_HAS(&d, TW_LOCAL) && d.local.family == 0);
	CHECK(!strcmp(d.link_name, "eth0") && d.port_max == 2000);
	CHECK(d.df == TWILL_DF_INHERIT && d.udp_csum == 1 &&
	      d.max_prefixes == 100 && d.direct == TWILL_DIRECT_AUTO);
	CHECK((d.mask & TW_WRITABLE) == TW_WRITABLE);
	CHECK(set_args(&d, "peer 192.0.2.1 mac 02:00:00:00:00:02 prefixes "
		       "10.0.0.0/24,10.0.1.0/24 direct on peer [fd00::1]:9 "
		       "prefixes +fd10::/64,-fd11::/64 update-only direct off "
		       "peer 192.0.2.3 remove") == 0);
	CHECK(d.npeers == 3 && d.mask == 0);
	CHECK(d.peers[0].mode == TW_PFX_REPLACE && d.peers[0].npfx == 2 &&
	      d.peers[0].has_mac && d.peers[0].has_direct &&
	      d.peers[0].direct == 1);
	CHECK(d.peers[1].has_direct && d.peers[1].direct == 0);
	CHECK(!d.peers[2].has_direct);
	CHECK(d.peers[1].mode == TW_PFX_DELTA && d.peers[1].npfx == 2 &&
	      !d.peers[1].pfx[0].remove && d.peers[1].pfx[1].remove &&
	      d.peers[1].flags == TWILL_PEER_F_UPDATE_ONLY);
	CHECK(d.peers[2].flags == TWILL_PEER_F_REMOVE &&
	      d.peers[2].mode == TW_PFX_NONE);
	CHECK(set_args(&d, "peer 192.0.2.1 prefixes ''") < 0);
	dev_free(&d);
}

static void expect_set_error(const char *args, const char *msg)
{
	struct tw_device d;

	dev_init(&d);
	CHECK(set_args(&d, args) < 0);
	CHECK_CONTAINS(tw_errmsg, msg);
	dev_free(&d);
}

static void test_set_args_bad(void)
{
	expect_set_error("listen-port 70000", "70000");
	expect_set_error("vni 16777216", "16777216");
	expect_set_error("mac 02:00", "02:00");
	expect_set_error("garbage", "'garbage'");
	expect_set_error("peer 192.0.2.1 direct maybe",
			 "invalid direct 'maybe' (expected on or off)");
	expect_set_error("peer 192.0.2.1 direct on direct off",
			 "'direct' given twice");
	expect_set_error("peer 192.0.2.1 direct on remove", "cannot be combined");
	expect_set_error("direct on", "invalid direct 'on'");
	expect_set_error("vni", "'vni' needs a value");
	expect_set_error("vni 1 vni 2", "twice");
	expect_set_error("peer", "needs a value");
	expect_set_error("peer 1.2.3.4 prefixes 10.0.0.0/33", "10.0.0.0/33");
	expect_set_error("peer 1.2.3.4 prefixes 10.0.0.1/24", "10.0.0.0/24");
	expect_set_error("peer 1.2.3.4 prefixes 10.0.0.0/24 peer 1.2.3.5 "
			 "prefixes 10.0.0.0/24", "duplicate prefix 10.0.0.0/24");
	expect_set_error("peer 1.2.3.4 prefixes 10.0.0.0/24,10.0.0.0/24",
			 "listed twice");
	expect_set_error("peer 1.2.3.4 prefixes +10.0.0.0/24,-10.0.0.0/24",
			 "both added and removed");
	expect_set_error("peer 1.2.3.4 peer 1.2.3.4", "duplicate peer 1.2.3.4");
	expect_set_error("peer 1.2.3.4 prefixes 10.0.0.0/8,+10.1.0.0/16",
			 "cannot mix");
	expect_set_error("peer 1.2.3.4 prefixes -10.0.0.0/8,10.1.0.0/16",
			 "cannot mix");
	expect_set_error("peer 1.2.3.4 prefixes 10.0.0.0/8, ",
			 "empty prefix");
	expect_set_error("peer 1.2.3.4 remove prefixes 10.0.0.0/8", "remove");
	expect_set_error("peer 1.2.3.4 vni 5", "unknown peer argument 'vni'");
	expect_set_error("peer 1.2.3.4:99999", "1.2.3.4:99999");
	expect_set_error("peer 1.2.3.4 mac 01:00:00:00:00:00", "multicast");
	/* one peer per address, whatever the ports */
	expect_set_error("peer 192.0.2.2:8472 peer 192.0.2.2:9000",
			 "peer 192.0.2.2:9000: address already used by peer 192.0.2.2:8472");
	expect_set_error("peer 192.0.2.2 peer 192.0.2.2:8472",
			 "peer 192.0.2.2:8472: address already used by peer 192.0.2.2");
	expect_set_error("peer [2001:db8::1]:1 peer [2001:db8::1]:2",
			 "address already used");
	expect_set_error("peer 224.0.0.1", "multicast");
	expect_set_error("peer [fe80::1]:8472", "link-local");
	expect_set_error("max-peers 1048577", "'1048577'");
	expect_set_error("mac 00:00:00:00:00:00", "must not be zero");
}

static void test_set_args_same_address(void)
{
	struct tw_device d;

	/* a port change: the old peer goes, the new one takes its address */
	dev_init(&d);
	CHECK(set_args(&d, "peer 192.0.2.2:8472 remove peer 192.0.2.2:9000 "
		       "prefixes 10.0.0.0/24") == 0);
	CHECK(set_args(&d, "peer 192.0.2.2:9000 peer 192.0.2.2:8472 remove") == 0);
	CHECK(set_args(&d, "peer 192.0.2.2:9000 peer 192.0.2.3:9000") == 0);
	/* a peer MAC of zero clears it (the kernel's meaning) */
	CHECK(set_args(&d, "peer 192.0.2.2 mac 00:00:00:00:00:00") == 0 &&
	      d.peers[0].has_mac && mac_is_zero(d.peers[0].mac));
	dev_free(&d);
}

static void test_set_args_move_prefix(void)
{
	struct tw_device d;

	/* moving a prefix: removed from one peer, added to another */
	dev_init(&d);
	CHECK(set_args(&d, "peer 1.2.3.4 prefixes -10.0.0.0/24 peer 1.2.3.5 "
		       "prefixes +10.0.0.0/24") == 0);
	CHECK(d.npeers == 2);
	if (d.npeers == 2) {
		char x[TW_PREFIX_STRLEN];

		CHECK(d.peers[0].npfx == 1 && d.peers[0].pfx[0].remove);
		CHECK_STR(fmt_prefix(&d.peers[0].pfx[0], x), "10.0.0.0/24");
		CHECK(d.peers[1].npfx == 1 && !d.peers[1].pfx[0].remove);
		CHECK_STR(fmt_prefix(&d.peers[1].pfx[0], x), "10.0.0.0/24");
	}
	dev_free(&d);
}

const struct test parse_tests[] = {
	{ "parse/numbers", test_numbers },
	{ "parse/settings_words", test_settings_words },
	{ "parse/mac", test_mac },
	{ "parse/addr", test_addr },
	{ "parse/prefix", test_prefix },
	{ "parse/endpoint", test_endpoint },
	{ "setargs/ok", test_set_args_ok },
	{ "setargs/bad", test_set_args_bad },
	{ "setargs/same_address", test_set_args_same_address },
	{ "setargs/move_prefix", test_set_args_move_prefix },
};
const size_t parse_tests_count = sizeof(parse_tests) / sizeof(parse_tests[0]);
