// SPDX-License-Identifier: GPL-2.0
/* show (human, JSON, dump) and monitor output. */
#include "test.h"
#include "config.h"
#include "events.h"
#include "json.h"
#include "parse.h"
#include "show.h"
#include "util.h"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <stdlib.h>

static void sample(struct tw_device *d)
{
	static const char text[] =
		"[Device]\nListenPort = 8472\nVNI = 1\nFwMark = 0\n"
		"Local = none\nLink = none\nMAC = 02:00:00:00:00:01\n"
		"PortRange = 1000-2000\nTTL = inherit\nTOS = inherit\n"
		"DF = set\nUDPChecksum = on\nMaxPeers = 10\nMaxPrefixes = 100\n"
		"Direct = auto\n"
		"[Peer]\nEndpoint = 192.0.2.2:9\nMAC = 02:00:00:00:00:02\n"
		"Direct = on\n"
		"Prefixes = 10.0.0.0/24, 10.0.1.0/24\n";

	dev_init(d);
	CHECK(config_parse("s", text, strlen(text), d) == 0);
	snprintf(d->ifname, sizeof(d->ifname), "tw\"0");
	d->ifindex = 5;
	d->mask |= TW_BIT(TW_NUM_PEERS) | TW_BIT(TW_NUM_PREFIXES);
	d->num_peers = 1;
	d->num_prefixes = 2;
	d->drops[TWILL_DROP_NO_PEER] = 4;
	d->peers[0].rx_bytes = 2048;
	d->peers[0].rx_packets = 2;
	d->peers[0].last_rx_ns = 1000ULL * 1000000000ULL;
	d->peers[0].drops[TWILL_DROP_SPOOFED] = 1;
}

static void human_cb(FILE *f, const void *arg)
{
	show_human(f, arg, 1065);
}

static void json_cb(FILE *f, const void *arg)
{
	struct json j;

	json_init(&j, f, false);
	json_arr_open(&j, NULL);
	show_json(&j, arg);
	json_arr_close(&j);
	json_end(&j);
}

static void pretty_cb(FILE *f, const void *arg)
{
	struct json j;

	json_init(&j, f, true);
	show_json(&j, arg);
	json_end(&j);
}

static void dump_cb(FILE *f, const void *arg)
{
	show_dump(f, arg, false);
}

static void test_human(void)
{
	struct tw_device d;
	char *s;

	sample(&d);
	s = capture(human_cb, &d);
	CHECK_CONTAINS(s, "interface: tw\"0\n  listen port: 8472\n  vni: 1\n");
	CHECK_CONTAINS(s, "  mac: 02:00:00:00:00:01\n");
	CHECK_CONTAINS(s, "  ttl: inherit\n  tos: inherit\n  df: set\n");
	CHECK_CONTAINS(s, "  df: set\n  udp checksum: on\n  max peers: 10\n"
		       "  max prefixes: 100\n  direct: auto\n");
	/* unset optional settings are left out */
	CHECK(!strstr(s, "local:") && !strstr(s, "link:"));
	CHECK_CONTAINS(s, "  peers: 1, prefixes: 2\n  drops: no_peer 4\n");
	CHECK_CONTAINS(s, "\npeer: 192.0.2.2:9\n  mac: 02:00:00:00:00:02\n"
		       "  direct: on\n"
		       "  prefixes: 10.0.0.0/24, 10.0.1.0/24\n");
	CHECK_CONTAINS(s, "  transfer: 2.00 KiB received (2 packets), 0 B sent (0 packets)\n");
	CHECK_CONTAINS(s, "  last rx: 1 minute, 5 seconds ago\n  drops: spoofed 1\n");
	CHECK(!strstr(s, "fwmark"));
	free(s);
	dev_free(&d);
}

static void test_json(void)
{
	struct tw_device d;
	char *s;

	sample(&d);
	s = capture(json_cb, &d);
	CHECK_CONTAINS(s, "[{\"ifname\":\"tw\\\"0\",\"ifindex\":5,\"listen_port\":8472,");
	CHECK_CONTAINS(s, "\"local\":null,\"link\":null,\"mac\":\"02:00:00:00:00:01\"");
	CHECK_CONTAINS(s, "\"df\":\"set\",\"udp_csum\":true");
	CHECK_CONTAINS(s, "\"drops\":{\"no_peer\":4,");
	CHECK_CONTAINS(s, "\"max_prefixes\":100,\"direct\":\"auto\",");
	CHECK_CONTAINS(s, "\"peers\":[{\"endpoint\":\"192.0.2.2:9\",\"mac\":\"02:00:00:00:00:02\","
		       "\"prefixes\":[\"10.0.0.0/24\",\"10.0.1.0/24\"],\"direct\":true,\"rx_bytes\":2048,");
	CHECK_CONTAINS(s, "\"last_rx\":1000,");
	CHECK_CONTAINS(s, "}]}]\n");
	free(s);
	s = capture(pretty_cb, &d);
	CHECK_CONTAINS(s, "{\n    \"ifname\": \"tw\\\"0\",\n    \"ifindex\": 5,\n");
	CHECK_CONTAINS(s, "    \"peers\": [\n        {\n            \"endpoint\": ");
	free(s);
	dev_free(&d);
}

static void test_dump_format(void)
{
	struct tw_device d;
	char *s;

	sample(&d);
	s = capture(dump_cb, &d);
	CHECK_STR(s, "8472\t1\t0x0\tnone\tnone\t02:00:00:00:00:01\t1000-2000\t"
		  "inherit\tinherit\tset\ton\t10\t100\t1\t2\t0\t4\tauto\n"
		  "192.0.2.2:9\t02:00:00:00:00:02\t10.0.0.0/24,10.0.1.0/24\t"
		  "2048\t2\t0\t0\t1000\t1\ton\n");
	free(s);
	dev_free(&d);
}

static void test_ago_bytes(void)
{
	char b[96];

	fmt_ago(b, sizeof(b), 0, 100);
	CHECK_STR(b, "never");
	fmt_ago(b, sizeof(b), 95ULL * 1000000000ULL, 100);
	CHECK_STR(b, "5 seconds ago");
	fmt_ago(b, sizeof(b), 100ULL * 1000000000ULL, 100 + 86400 + 3600 + 1);
	CHECK_STR(b, "1 day, 1 hour, 1 second ago");
	fmt_bytes(b, sizeof(b), 1023);
	CHECK_STR(b, "1023 B");
	fmt_bytes(b, sizeof(b), 3ULL << 30);
	CHECK_STR(b, "3.00 GiB");
}

static size_t put_event(char *buf, uint8_t cmd, const char *ifname,
			uint32_t pflags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	struct nlattr *ps, *p, *pf, *x;
	union tw_sockaddr ep;
	struct tw_prefix pr;

	g->cmd = cmd;
	mnl_attr_put_u32(nlh, TWILL_A_IFINDEX, 5);
	mnl_attr_put_strz(nlh, TWILL_A_IFNAME, ifname);
	mnl_attr_put_u32(nlh, TWILL_A_GENERATION, 12);
	if (cmd == TWILL_CMD_DEVICE_CHANGED) {
		/* every setting, as the kernel sends them (no local: unset) */
		mnl_attr_put_u16(nlh, TWILL_A_LISTEN_PORT, 4789);
		mnl_attr_put_u32(nlh, TWILL_A_VNI, 42);
		mnl_attr_put_u32(nlh, TWILL_A_FWMARK, 0);
		mnl_attr_put_u32(nlh, TWILL_A_LINK, 3);
		mnl_attr_put(nlh, TWILL_A_MAC, 6, "\x02\0\0\0\0\xaa");
		mnl_attr_put_u16(nlh, TWILL_A_PORT_MIN, 1000);
		mnl_attr_put_u16(nlh, TWILL_A_PORT_MAX, 2000);
		mnl_attr_put_u8(nlh, TWILL_A_TTL, 0);
		mnl_attr_put_u8(nlh, TWILL_A_TOS, 1);
		mnl_attr_put_u8(nlh, TWILL_A_DF, TWILL_DF_SET);
		mnl_attr_put_u8(nlh, TWILL_A_UDP_CSUM, 1);
		mnl_attr_put_u32(nlh, TWILL_A_MAX_PEERS, 16384);
		mnl_attr_put_u32(nlh, TWILL_A_MAX_PREFIXES, 2097152);
		mnl_attr_put_u32(nlh, TWILL_A_NUM_PEERS, 3);
		mnl_attr_put_strz(nlh, TWILL_A_LINK_NAME, "eth0");
		return nlh->nlmsg_len;
	}
	ps = mnl_attr_nest_start(nlh, TWILL_A_PEERS);
	p = mnl_attr_nest_start(nlh, 0);
	parse_endpoint("192.0.2.9:4", &ep);
	mnl_attr_put(nlh, TWILL_PEER_A_ENDPOINT, sizeof(ep.in), &ep.in);
	mnl_attr_put(nlh, TWILL_PEER_A_MAC, 6, "\x02\0\0\0\0\x09");
	mnl_attr_put_u32(nlh, TWILL_PEER_A_FLAGS, pflags);
	pf = mnl_attr_nest_start(nlh, TWILL_PEER_A_PREFIXES);
	parse_prefix("10.9.0.0/16", &pr);
	x = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put_u16(nlh, TWILL_PREFIX_A_FAMILY, AF_INET);
	mnl_attr_put(nlh, TWILL_PREFIX_A_ADDR, 4, pr.addr);
	mnl_attr_put_u8(nlh, TWILL_PREFIX_A_CIDR, 16);
	mnl_attr_nest_end(nlh, x);
	mnl_attr_nest_end(nlh, pf);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, ps);
	return nlh->nlmsg_len;
}

struct ev {
	const void *msg;
	const struct monitor_opts *o;
	int ret;
};

static void event_cb(FILE *f, const void *arg)
{
	struct ev *e = (struct ev *)arg;

	e->ret = event_print(f, e->msg, e->o);
}

static void test_events(void)
{
	char buf[1024], *s;
	struct monitor_opts all = { NULL, false }, js = { "twill0", true };
	struct monitor_opts other = { "twill1", false };
	struct ev e = { buf, &all, 0 };

	put_event(buf, TWILL_CMD_PEER_ADDED, "twill0", 0);
	s = capture(event_cb, &e);
	CHECK(e.ret == 1);
	CHECK_STR(s, "twill0: peer_added generation 12 peer 192.0.2.9:4 mac "
		  "02:00:00:00:00:09 prefixes 10.9.0.0/16\n");
	free(s);
	e.o = &js;
	s = capture(event_cb, &e);
	CHECK_STR(s, "{\"event\":\"peer_added\",\"ifname\":\"twill0\",\"ifindex\":5,"
		  "\"generation\":12,\"endpoint\":\"192.0.2.9:4\",\"mac\":"
		  "\"02:00:00:00:00:09\",\"prefixes\":[\"10.9.0.0/16\"],"
		  "\"truncated\":false}\n");
	free(s);
	e.o = &other;
	s = capture(event_cb, &e);
	CHECK(e.ret == 0 && !*s);
	free(s);
	e.o = &all;
	put_event(buf, TWILL_CMD_PEER_CHANGED, "twill0", TWILL_PEER_F_TRUNCATED);
	s = capture(event_cb, &e);
	CHECK_CONTAINS(s, "peer_changed generation 12 peer 192.0.2.9:4 mac "
		       "02:00:00:00:00:09 prefixes (truncated)\n");
	free(s);
	/* device_changed prints the settings, as `twill set` takes them */
	put_event(buf, TWILL_CMD_DEVICE_CHANGED, "twill0", 0);
	s = capture(event_cb, &e);
	CHECK_STR(s, "twill0: device_changed generation 12 listen-port 4789 "
		  "vni 42 fwmark 0x0 local none link eth0 mac 02:00:00:00:00:aa "
		  "port-range 1000-2000 ttl inherit tos inherit df set udp-csum on "
		  "max-peers 16384 max-prefixes 2097152 nat off\n");
	free(s);
	e.o = &js;
	s = capture(event_cb, &e);
	CHECK_STR(s, "{\"event\":\"device_changed\",\"ifname\":\"twill0\","
		  "\"ifindex\":5,\"generation\":12,\"listen_port\":4789,"
		  "\"vni\":42,\"fwmark\":0,\"local\":null,\"link\":\"eth0\","
		  "\"mac\":\"02:00:00:00:00:aa\",\"port_min\":1000,"
		  "\"port_max\":2000,\"ttl\":0,\"tos\":1,\"df\":\"set\","
		  "\"udp_csum\":true,\"max_peers\":16384,"
		  "\"max_prefixes\":2097152,\"nat\":null}\n");
	free(s);
	e.o = &all;
	put_event(buf, TWILL_CMD_GET_DEVICE, "twill0", 0);
	s = capture(event_cb, &e);
	CHECK(e.ret == 0);
	free(s);
}

const struct test output_tests[] = {
	{ "output/human", test_human },
	{ "output/json", test_json },
	{ "output/dump", test_dump_format },
	{ "output/ago_bytes", test_ago_bytes },
	{ "output/events", test_events },
};
const size_t output_tests_count = sizeof(output_tests) / sizeof(output_tests[0]);
