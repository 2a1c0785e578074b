// SPDX-License-Identifier: GPL-2.0
/*
 * NAT: `nat set` arguments and their merge, the TWILL_A_NAT nest both ways,
 * `nat show` and `nat flows` output from canned kernel messages, the
 * config file keys and the syncconf diff.
 */
#include "test.h"
#include "config.h"
#include "diff.h"
#include "events.h"
#include "flow.h"
#include "json.h"
#include "msg.h"
#include "nat.h"
#include "parse.h"
#include "show.h"
#include "util.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <stdlib.h>

#define FAMILY 0x42

/* ---- helpers ---- */

static int nat_args(struct tw_nat *n, const char *args)
{
	char buf[4096], *argv[64], *tok, *save = NULL;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", args);
	for (tok = strtok_r(buf, " ", &save); tok && argc < 64;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	return nat_parse_args(argc, argv, n);
}

static void put_pfx(struct nlmsghdr *nlh, const char *s)
{
	struct tw_prefix p;

	CHECK(parse_prefix(s, &p) == 0);
	msg_put_prefix(nlh, &p);
}

static struct nlmsghdr *genl_msg(char *buf, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	nlh->nlmsg_type = FAMILY;
	g->cmd = cmd;
	g->version = TWILL_GENL_VERSION;
	return nlh;
}

/* The TWILL_A_NAT nest as the kernel sends it, the brief's example. */
static void put_kernel_nat(struct nlmsghdr *nlh, bool to)
{
	struct nlattr *nat = mnl_attr_nest_start(nlh, TWILL_A_NAT), *l, *st;
	unsigned int i;

	l = mnl_attr_nest_start(nlh, TWILL_NAT_A_MASQUERADE);
	put_pfx(nlh, "fd00:244::/48");	/* the kernel's order: sorted back */
	put_pfx(nlh, "10.244.0.0/16");
	mnl_attr_nest_end(nlh, l);
	l = mnl_attr_nest_start(nlh, TWILL_NAT_A_EXCLUDE);
	put_pfx(nlh, "10.244.0.0/16");
	mnl_attr_nest_end(nlh, l);
	if (to) {
		mnl_attr_put(nlh, TWILL_NAT_A_TO4, 4, "\xc0\x00\x02\x01");
		mnl_attr_put(nlh, TWILL_NAT_A_TO6, 16,
			     "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01");
	}
	mnl_attr_put_u16(nlh, TWILL_NAT_A_PORT_MIN, 1024);
	mnl_attr_put_u16(nlh, TWILL_NAT_A_PORT_MAX, 65535);
	mnl_attr_put_u32(nlh, TWILL_NAT_A_MAX_FLOWS, 131072);
	mnl_attr_put_u32(nlh, TWILL_NAT_A_NUM_FLOWS, 12);
	mnl_attr_put_u32(nlh, TWILL_NAT_A_BUCKETS, 131072);
	st = mnl_attr_nest_start(nlh, TWILL_NAT_A_STATS);
	for (i = 1; i < __TWILL_NAT_STAT_MAX; i++)
		mnl_attr_put_u64(nlh, (uint16_t)i, 0);
	mnl_attr_put_u64(nlh, TWILL_NAT_STAT_TX_PACKETS, 100);
	mnl_attr_put_u64(nlh, TWILL_NAT_STAT_RX_PACKETS, 98);
	mnl_attr_put_u64(nlh, TWILL_NAT_STAT_ICMP_ERRORS, 2);
	mnl_attr_put_u64(nlh, TWILL_NAT_STAT_FLOWS_CREATED, 12);
	mnl_attr_put_u64(nlh, TWILL_NAT_STAT_DROP_NO_PORT, 3);
	mnl_attr_put(nlh, 0, 4, "\0\0\0\0");	/* padding */
	mnl_attr_nest_end(nlh, st);
	mnl_attr_nest_end(nlh, nat);
}

/* A GET_DEVICE reply of twill0 with NAT (or without). */
static void kernel_device(struct tw_device *d, bool nat, bool to)
{
	static char buf[8192];
	struct nlmsghdr *nlh = genl_msg(buf, TWILL_CMD_GET_DEVICE);

	mnl_attr_put_u32(nlh, TWILL_A_IFINDEX, 5);
	mnl_attr_put_strz(nlh, TWILL_A_IFNAME, "twill0");
	mnl_attr_put_u32(nlh, TWILL_A_NUM_PEERS, 0);
	mnl_attr_put_u32(nlh, TWILL_A_NUM_PREFIXES, 0);
	if (nat)
		put_kernel_nat(nlh, to);
	dev_init(d);
	CHECK(parse_device_msg(nlh, d, NULL) == 0);
}

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

	mnl_attr_for_each_nested(a, n)
		c++;
	return c;
}

static char *fmt_nat(const struct tw_nat *n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	nat_print_args(f, n);
	fclose(f);
	return buf;
}

/* ---- nat set arguments ---- */

static void test_args_ok(void)
{
	struct tw_nat a, cur, out;
	char *s;

	CHECK(nat_args(&a, "masquerade 10.244.0.0/16,fd00:244::/48 exclude "
		       "10.96.0.0/12,10.244.0.0/16 to 2001:db8::1,192.0.2.1 "
		       "ports 2000-3000 max-flows 1000") == 0);
	CHECK(a.on && a.masq.n == 2 && a.excl.n == 2);
	CHECK(a.given == (1U << TW_NK_COUNT) - 1);
	CHECK(a.to4.family == AF_INET && a.to6.family == AF_INET6);
	CHECK(a.port_min == 2000 && a.port_max == 3000 && a.max_flows == 1000);
	s = fmt_nat(&a);
	CHECK_STR(s, " masquerade 10.244.0.0/16,fd00:244::/48 exclude "
		  "10.96.0.0/12,10.244.0.0/16 to 192.0.2.1,2001:db8::1 ports "
		  "2000-3000 max-flows 1000");
	free(s);

	/* NAT off: masquerade is needed, the rest takes its defaults */
	CHECK(nat_args(&a, "masquerade 10.0.0.0/8 to 192.0.2.9") == 0);
	CHECK(nat_merge(NULL, &a, &out) == 0);
	s = fmt_nat(&out);
	CHECK_STR(s, " masquerade 10.0.0.0/8 exclude none to 192.0.2.9 ports "
		  "1024-65535 max-flows 131072");
	free(s);
	cur = out;
	CHECK(nat_args(&a, "ports 5000-6000") == 0);
	CHECK(nat_merge(NULL, &a, &out) < 0);
	CHECK_CONTAINS(tw_errmsg, "NAT is off: 'masquerade PREFIX[,PREFIX...]' turns it on");

	/* NAT on: the keys given replace, the others stay */
	cur.num_flows = 7;
	CHECK(nat_merge(&cur, &a, &out) == 0);
	s = fmt_nat(&out);
	CHECK_STR(s, " masquerade 10.0.0.0/8 exclude none to 192.0.2.9 ports "
		  "5000-6000 max-flows 131072");
	free(s);
	cur = out;
	CHECK(nat_args(&a, "exclude 10.96.0.0/12 to auto") == 0);
	CHECK(nat_merge(&cur, &a, &out) == 0);
	s = fmt_nat(&out);
	CHECK_STR(s, " masquerade 10.0.0.0/8 exclude 10.96.0.0/12 to auto ports "
		  "5000-6000 max-flows 131072");
	free(s);
	cur = out;
	CHECK(nat_args(&a, "exclude none masquerade fd00::/8") == 0);
	CHECK(nat_merge(&cur, &a, &out) == 0);
	s = fmt_nat(&out);
	CHECK_STR(s, " masquerade fd00::/8 exclude none to auto ports "
		  "5000-6000 max-flows 131072");
	free(s);
	/* off: an empty configuration, whatever was there */
	CHECK(nat_args(&a, "off") == 0);
	CHECK(!a.on && a.given == 1U << TW_NK_MASQUERADE);
	CHECK(nat_merge(&cur, &a, &out) == 0);
	CHECK(!out.on && !out.masq.n);
	CHECK(nat_merge(NULL, &a, &out) == 0 && !out.on);
	/* one address per family, in either order */
	CHECK(nat_args(&a, "masquerade 10.0.0.0/8 to 2001:db8::5") == 0);
	CHECK(!a.to4.family && a.to6.family == AF_INET6);
}

static void expect_args_error(const char *args, const char *msg)
{
	struct tw_nat a;

	CHECK(nat_args(&a, args) < 0);
	CHECK_CONTAINS(tw_errmsg, msg);
	CHECK(!strchr(tw_errmsg, '\n'));
}

static void test_args_bad(void)
{
	char many[4096];
	size_t off = 0;
	int i;

	expect_args_error("", "nothing to set");
	expect_args_error("masquerade", "'masquerade' needs a value");
	expect_args_error("bogus 1", "unknown argument 'bogus'");
	expect_args_error("off exclude none", "'off' cannot be combined with other arguments");
	expect_args_error("exclude none off", "'off' cannot be combined with other arguments");
	expect_args_error("masquerade off to auto", "'to' cannot be combined with 'off'");
	expect_args_error("masquerade 10.0.0.0/8 masquerade 10.1.0.0/16",
			  "'masquerade' given twice");
	expect_args_error("masquerade 10.0.0.1/8",
			  "invalid prefix '10.0.0.1/8' (host bits set; did you mean 10.0.0.0/8?)");
	expect_args_error("masquerade 10.0.0.0/33",
			  "invalid prefix '10.0.0.0/33' (prefix length must be 0-32)");
	expect_args_error("masquerade 10.0.0.0/8,,10.1.0.0/16",
			  "empty prefix in list '10.0.0.0/8,,10.1.0.0/16'");
	expect_args_error("masquerade 10.0.0.0/8,", "empty prefix in list");
	expect_args_error("masquerade 10.0.0.0/8,10.0.0.0/8",
			  "duplicate prefix 10.0.0.0/8 in masquerade");
	expect_args_error("masquerade 10.0.0.0/8 exclude nonsense",
			  "invalid prefix 'nonsense' (bad address)");
	expect_args_error("to 192.0.2.1,192.0.2.2",
			  "to: more than one IPv4 address ('192.0.2.2')");
	expect_args_error("to 2001:db8::1,2001:db8::2",
			  "to: more than one IPv6 address ('2001:db8::2')");
	expect_args_error("to 224.0.0.1", "invalid to address '224.0.0.1' (multicast)");
	expect_args_error("to 0.0.0.0", "invalid to address '0.0.0.0' (zero address)");
	expect_args_error("to ff02::1", "invalid to address 'ff02::1' (multicast)");
	expect_args_error("to 10.0.0.0/8", "invalid to address '10.0.0.0/8'");
	expect_args_error("ports 5-1", "invalid ports '5-1' (MIN > MAX)");
	expect_args_error("ports 0-100", "invalid ports '0-100' (ports must be 1-65535)");
	expect_args_error("ports 100", "invalid ports '100' (expected MIN-MAX)");
	expect_args_error("ports 1-65536", "invalid ports '1-65536'");
	expect_args_error("max-flows 0", "invalid max-flows '0' (expected 1-16777216)");
	expect_args_error("max-flows 16777217", "invalid max-flows '16777217'");
	expect_args_error("max-flows -1", "invalid max-flows '-1'");
	/* the kernel's limit per list */
	off += (size_t)snprintf(many, sizeof(many), "masquerade ");
	for (i = 0; i <= TWILL_NAT_MAX_PREFIXES; i++)
		off += (size_t)snprintf(many + off, sizeof(many) - off, "%s10.%d.0.0/16",
					i ? "," : "", i);
	expect_args_error(many, "too many prefixes in masquerade (at most");
}

/* ---- the nest both ways ---- */

static void test_build(void)
{
	struct tw_device d;
	struct tw_build b = { .family = FAMILY, .seq = 1 };
	struct tw_batch batch;
	const struct nlmsghdr *nlh;
	const struct nlattr *nat, *a;
	struct tw_nat back;

	dev_init(&d);
	d.ifindex = 5;
	CHECK(nat_args(&d.nat, "masquerade fd00::/8,10.0.0.0/8 to 192.0.2.1 "
		       "ports 2000-3000") == 0);
	d.mask = TW_BIT(TW_NAT);
	build_set(&d, &b, &batch);
	CHECK(batch.n == 1);
	nlh = (const void *)batch.msgs[0].buf;
	CHECK(mnl_attr_get_u32(attr(nlh, TWILL_A_FLAGS)) == 0);
	nat = attr(nlh, TWILL_A_NAT);
	CHECK(nat && (nat->nla_type & NLA_F_NESTED));
	a = nested(nat, TWILL_NAT_A_MASQUERADE);
	CHECK(a && count_nested(a) == 2);
	CHECK(!nested(nat, TWILL_NAT_A_EXCLUDE) && !nested(nat, TWILL_NAT_A_TO6));
	a = nested(nat, TWILL_NAT_A_TO4);
	CHECK(a && mnl_attr_get_payload_len(a) == 4 &&
	      !memcmp(mnl_attr_get_payload(a), "\xc0\x00\x02\x01", 4));
	CHECK(mnl_attr_get_u16(nested(nat, TWILL_NAT_A_PORT_MIN)) == 2000);
	CHECK(mnl_attr_get_u16(nested(nat, TWILL_NAT_A_PORT_MAX)) == 3000);
	CHECK(mnl_attr_get_u32(nested(nat, TWILL_NAT_A_MAX_FLOWS)) == 131072);
	CHECK(!nested(nat, TWILL_NAT_A_NUM_FLOWS) &&
	      !nested(nat, TWILL_NAT_A_STATS));
	/* and read back as a reply */
	CHECK(nat_parse_attr(nat, &back) == 0);
	CHECK(back.on && nat_same(&back, &d.nat));
	CHECK(mnl_attr_get_payload_len(nat) <= nat_put_size(&d.nat));
	batch_free(&batch);

	/* off: an empty nest */
	CHECK(nat_args(&d.nat, "off") == 0);
	build_set(&d, &b, &batch);
	nat = attr((const void *)batch.msgs[0].buf, TWILL_A_NAT);
	CHECK(nat && mnl_attr_get_payload_len(nat) == 0);
	CHECK(nat_parse_attr(nat, &back) == 0 && !back.on);
	batch_free(&batch);
	dev_free(&d);
}

/* Full lists in a transaction of small messages: the nest goes whole into
 * the first message, which grows to hold it; the peers follow. */
static void test_build_big(void)
{
	struct tw_device d;
	struct tw_build b = { .family = FAMILY, .seq = 1, .max_len = 512 };
	struct tw_batch batch;
	const struct nlattr *nat;
	union tw_sockaddr ep;
	struct tw_peer *peer;
	struct tw_prefix p;
	char list[4096];
	size_t off = 0, i;
	int k;

	dev_init(&d);
	d.ifindex = 5;
	off += (size_t)snprintf(list, sizeof(list), "masquerade ");
	for (k = 0; k < TWILL_NAT_MAX_PREFIXES; k++)
		off += (size_t)snprintf(list + off, sizeof(list) - off,
					"%sfd00:%x::/32", k ? "," : "", k);
	off += (size_t)snprintf(list + off, sizeof(list) - off, " exclude ");
	for (k = 0; k < TWILL_NAT_MAX_PREFIXES; k++)
		off += (size_t)snprintf(list + off, sizeof(list) - off,
					"%sfd01:%x::/32", k ? "," : "", k);
	CHECK(nat_args(&d.nat, list) == 0);
	d.mask = TW_BIT(TW_NAT) | TW_BIT(TW_VNI);
	d.vni = 9;
	CHECK(parse_endpoint("192.0.2.2", &ep) == 0);
	peer = dev_add_peer(&d, &ep);
	peer->mode = TW_PFX_REPLACE;
	for (k = 0; k < 200; k++) {
		snprintf(list, sizeof(list), "10.%d.%d.0/24", k / 256, k % 256);
		CHECK(parse_prefix(list, &p) == 0);
		peer_push_prefix(peer, &p);
	}
	build_set(&d, &b, &batch);
	CHECK(batch.n > 2);
	nat = attr((const void *)batch.msgs[0].buf, TWILL_A_NAT);
	CHECK(nat && count_nested(nested(nat, TWILL_NAT_A_MASQUERADE)) ==
	      TWILL_NAT_MAX_PREFIXES);
	CHECK(count_nested(nested(nat, TWILL_NAT_A_EXCLUDE)) ==
	      TWILL_NAT_MAX_PREFIXES);
	CHECK(batch.msgs[0].len <= nat_put_size(&d.nat) + 1024);
	for (i = 1; i < batch.n; i++)
		CHECK(!attr((const void *)batch.msgs[i].buf, TWILL_A_NAT));
	batch_free(&batch);
	dev_free(&d);
}

static void test_parse_reply(void)
{
	struct tw_device d;
	char buf[256];
	struct nlmsghdr *nlh;
	struct nlattr *n, *l;

	kernel_device(&d, true, false);
	CHECK(TW_HAS(&d, TW_NAT) && d.nat.on);
	CHECK(d.nat.masq.n == 2 && d.nat.excl.n == 1);
	CHECK(d.nat.masq.p[0].family == AF_INET);	/* sorted */
	CHECK(d.nat.num_flows == 12 && d.nat.buckets == 131072);
	CHECK(d.nat.stats[TWILL_NAT_STAT_TX_PACKETS] == 100 &&
	      d.nat.stats[TWILL_NAT_STAT_DROP_NO_PORT] == 3);
	dev_free(&d);
	kernel_device(&d, false, false);
	CHECK(!TW_HAS(&d, TW_NAT) && !d.nat.on);
	dev_free(&d);

	/* malformed: a 5-byte TO4, a prefix with a bad length */
	nlh = genl_msg(buf, TWILL_CMD_GET_DEVICE);
	n = mnl_attr_nest_start(nlh, TWILL_A_NAT);
	mnl_attr_put(nlh, TWILL_NAT_A_TO4, 5, "\1\2\3\4\5");
	mnl_attr_nest_end(nlh, n);
	dev_init(&d);
	CHECK(parse_device_msg(nlh, &d, NULL) < 0);
	CHECK_CONTAINS(tw_errmsg, "malformed attribute");
	dev_free(&d);
	nlh = genl_msg(buf, TWILL_CMD_GET_DEVICE);
	n = mnl_attr_nest_start(nlh, TWILL_A_NAT);
	l = mnl_attr_nest_start(nlh, TWILL_NAT_A_MASQUERADE);
	put_pfx(nlh, "10.0.0.0/8");
	mnl_attr_nest_end(nlh, l);
	mnl_attr_put_u32(nlh, TWILL_NAT_A_PORT_MIN, 1);	/* u16 expected */
	mnl_attr_nest_end(nlh, n);
	dev_init(&d);
	CHECK(parse_device_msg(nlh, &d, NULL) < 0);
	dev_free(&d);
}

/* ---- nat show ---- */

static void human_cb(FILE *f, const void *arg)
{
	const struct tw_device *d = arg;

	nat_show_human(f, d->ifname, &d->nat);
}

static void json_cb(FILE *f, const void *arg)
{
	const struct tw_device *d = arg;
	struct json j;

	json_init(&j, f, false);
	json_arr_open(&j, NULL);
	nat_show_json(&j, d->ifname, &d->nat);
	json_arr_close(&j);
	json_end(&j);
}

static void test_show(void)
{
	struct tw_device d;
	char *s;

	kernel_device(&d, true, false);
	s = capture(human_cb, &d);
	CHECK_STR(s, "nat twill0\n"
		  "  masquerade: 10.244.0.0/16, fd00:244::/48\n"
		  "  exclude: 10.244.0.0/16\n"
		  "  to: auto\n"
		  "  ports: 1024-65535\n"
		  "  flows: 12 / 131072 (buckets 131072)\n"
		  "  translated: tx 100 rx 98 icmp-errors 2\n"
		  "  flows created: 12 expired 0\n"
		  "  drops: full 0 no-port 3 no-address 0 bad 0 nomem 0\n");
	free(s);
	s = capture(json_cb, &d);
	CHECK_STR(s, "[{\"ifname\":\"twill0\",\"nat\":true,"
		  "\"masquerade\":[\"10.244.0.0/16\",\"fd00:244::/48\"],"
		  "\"exclude\":[\"10.244.0.0/16\"],\"to\":[],"
		  "\"port_min\":1024,\"port_max\":65535,\"max_flows\":131072,"
		  "\"num_flows\":12,\"buckets\":131072,\"stats\":{"
		  "\"tx_packets\":100,\"rx_packets\":98,\"icmp_errors\":2,"
		  "\"flows_created\":12,\"flows_expired\":0,\"drop_full\":0,"
		  "\"drop_no_port\":3,\"drop_no_addr\":0,\"drop_bad\":0,"
		  "\"drop_nomem\":0}}]\n");
	free(s);
	dev_free(&d);

	kernel_device(&d, true, true);
	s = capture(human_cb, &d);
	CHECK_CONTAINS(s, "  to: 192.0.2.1, 2001:db8::1\n");
	free(s);
	s = capture(json_cb, &d);
	CHECK_CONTAINS(s, "\"to\":[\"192.0.2.1\",\"2001:db8::1\"],");
	free(s);
	dev_free(&d);

	kernel_device(&d, false, false);
	s = capture(human_cb, &d);
	CHECK_STR(s, "nat twill0: off\n");
	free(s);
	s = capture(json_cb, &d);
	CHECK_STR(s, "[{\"ifname\":\"twill0\",\"nat\":false}]\n");
	free(s);
	dev_free(&d);
}

static void show_cb(FILE *f, const void *arg)
{
	show_human(f, arg, 0);
}

static void show_json_cb(FILE *f, const void *arg)
{
	struct json j;

	json_init(&j, f, false);
	show_json(&j, arg);
	json_end(&j);
}

/* `twill show`: one line, and "nat" in its JSON (null when off). */
static void test_show_device(void)
{
	struct tw_device d;
	char *s;

	kernel_device(&d, true, false);
	s = capture(show_cb, &d);
	CHECK_CONTAINS(s, "  peers: 0, prefixes: 0\n  nat: on, 12 flows\n");
	free(s);
	s = capture(show_json_cb, &d);
	CHECK_CONTAINS(s, "\"generation\":0,\"nat\":{\"masquerade\":"
		       "[\"10.244.0.0/16\",\"fd00:244::/48\"],");
	CHECK_CONTAINS(s, "\"drop_nomem\":0}},\"drops\":{");
	free(s);
	dev_free(&d);
	kernel_device(&d, false, false);
	s = capture(show_cb, &d);
	CHECK(!strstr(s, "nat"));
	free(s);
	s = capture(show_json_cb, &d);
	CHECK_CONTAINS(s, "\"generation\":0,\"nat\":null,\"drops\":{");
	free(s);
	dev_free(&d);
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
	static char buf[8192];
	struct monitor_opts text = { NULL, false }, js = { NULL, true };
	struct nlmsghdr *nlh = genl_msg(buf, TWILL_CMD_DEVICE_CHANGED);
	struct ev e = { buf, &text, 0 };
	char *s;

	mnl_attr_put_u32(nlh, TWILL_A_IFINDEX, 5);
	mnl_attr_put_strz(nlh, TWILL_A_IFNAME, "twill0");
	mnl_attr_put_u32(nlh, TWILL_A_GENERATION, 3);
	put_kernel_nat(nlh, true);
	s = capture(event_cb, &e);
	CHECK(e.ret == 1);
	CHECK_STR(s, "twill0: device_changed generation 3 local none nat "
		  "masquerade 10.244.0.0/16,fd00:244::/48 exclude 10.244.0.0/16 "
		  "to 192.0.2.1,2001:db8::1 ports 1024-65535 max-flows 131072\n");
	free(s);
	e.o = &js;
	s = capture(event_cb, &e);
	CHECK_CONTAINS(s, "\"local\":null,\"nat\":{\"masquerade\":[\"10.244.0.0/16\","
		       "\"fd00:244::/48\"],\"exclude\":[\"10.244.0.0/16\"],"
		       "\"to\":[\"192.0.2.1\",\"2001:db8::1\"],\"port_min\":1024,");
	CHECK_CONTAINS(s, "\"num_flows\":12,\"buckets\":131072,\"stats\":{");
	free(s);
}

/* ---- nat flows ---- */

struct kflow {
	uint16_t family;
	uint8_t proto, state;
	const char *osrc, *odst, *rsrc, *rdst;
	uint16_t osport, odport, rsport, rdport;
	uint32_t timeout;
};

static void put_addr(struct nlmsghdr *nlh, uint16_t type, const char *s)
{
	struct tw_addr a;

	CHECK(parse_addr(s, &a) == 0);
	mnl_attr_put(nlh, type, a.family == AF_INET ? 4 : 16, a.addr);
}

static void put_flow(struct nlmsghdr *nlh, const struct kflow *k)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, 0);

	mnl_attr_put_u16(nlh, TWILL_FLOW_A_FAMILY, k->family);
	mnl_attr_put_u8(nlh, TWILL_FLOW_A_PROTO, k->proto);
	put_addr(nlh, TWILL_FLOW_A_ORIG_SRC, k->osrc);
	put_addr(nlh, TWILL_FLOW_A_ORIG_DST, k->odst);
	mnl_attr_put_u16(nlh, TWILL_FLOW_A_ORIG_SPORT, k->osport);
	mnl_attr_put_u16(nlh, TWILL_FLOW_A_ORIG_DPORT, k->odport);
	put_addr(nlh, TWILL_FLOW_A_REPLY_SRC, k->rsrc);
	put_addr(nlh, TWILL_FLOW_A_REPLY_DST, k->rdst);
	mnl_attr_put_u16(nlh, TWILL_FLOW_A_REPLY_SPORT, k->rsport);
	mnl_attr_put_u16(nlh, TWILL_FLOW_A_REPLY_DPORT, k->rdport);
	mnl_attr_put_u8(nlh, TWILL_FLOW_A_STATE, k->state);
	mnl_attr_put_u32(nlh, TWILL_FLOW_A_TIMEOUT, k->timeout);
	mnl_attr_nest_end(nlh, n);
}

static const struct kflow kflows[] = {
	{ AF_INET, 6, TWILL_FLOW_S_ESTABLISHED, "10.244.1.11", "203.0.113.1",
	  "203.0.113.1", "192.0.2.1", 40000, 80, 80, 40001, 21599999 },
	{ AF_INET, 1, TWILL_FLOW_S_REPLIED, "10.244.1.11", "203.0.113.1",
	  "203.0.113.1", "192.0.2.1", 5, 0, 0, 5, 29500 },
	{ AF_INET, 47, TWILL_FLOW_S_UNREPLIED, "10.244.1.11", "203.0.113.1",
	  "203.0.113.1", "192.0.2.1", 0, 0, 0, 0, 29000 },
	/* a service's flow and a client's affinity entry */
	{ AF_INET, 6, TWILL_FLOW_S_ESTABLISHED, "10.244.1.11", "10.96.0.10",
	  "10.244.2.12", "10.244.1.11", 45000, 80, 8080, 45000, 5000 },
	{ AF_INET, 6, TWILL_FLOW_S_AFFINITY, "10.244.1.11", "10.96.0.10",
	  "10.244.2.12", "10.244.1.11", 0, 80, 8080, 80, 10799000 },
	{ AF_INET6, 17, TWILL_FLOW_S_UNREPLIED, "fd00:244::11", "2001:db8::53",
	  "2001:db8::53", "2001:db8::1", 5353, 53, 53, 1024, 999 },
	{ AF_INET6, 58, TWILL_FLOW_S_CLOSED, "fd00:244::11", "2001:db8::53",
	  "2001:db8::53", "2001:db8::1", 7, 0, 0, 9, 10000 },
};

/* GET_FLOWS replies: the flows split over two messages. */
static size_t flows_msgs(char *buf, size_t split)
{
	struct nlmsghdr *nlh;
	struct nlattr *fl;
	size_t i, len = 0, m;

	for (m = 0; m < 2; m++) {
		nlh = genl_msg(buf + len, TWILL_CMD_GET_FLOWS);
		nlh->nlmsg_flags = NLM_F_MULTI;
		mnl_attr_put_u32(nlh, TWILL_A_IFINDEX, 5);
		mnl_attr_put_strz(nlh, TWILL_A_IFNAME, "twill0");
		fl = mnl_attr_nest_start(nlh, TWILL_A_FLOWS);
		for (i = m ? split : 0; i < (m ? TW_ARRAY_SIZE(kflows) : split); i++)
			put_flow(nlh, &kflows[i]);
		mnl_attr_nest_end(nlh, fl);
		len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return len;
}

struct flow_out {
	FILE *f;
	struct json j;
	bool json;
	int n;
};

static int flow_cb(const struct tw_flow *fl, void *arg)
{
	struct flow_out *o = arg;

	o->n++;
	if (o->json)
		flow_json(&o->j, fl);
	else
		flow_print(o->f, fl);
	return 0;
}

static void flows_cb(FILE *f, const void *arg)
{
	const bool *json = arg;
	static char buf[8192];
	struct flow_out o = { f, { 0 }, *json, 0 };
	size_t len = flows_msgs(buf, 2);
	const struct nlmsghdr *nlh = (const void *)buf;
	int rlen = (int)len;

	json_init(&o.j, f, false);
	if (o.json)
		json_arr_open(&o.j, NULL);
	for (; mnl_nlmsg_ok(nlh, rlen); nlh = mnl_nlmsg_next(nlh, &rlen))
		CHECK(parse_flows_msg(nlh, flow_cb, &o) == 0);
	CHECK(o.n == (int)TW_ARRAY_SIZE(kflows));
	if (o.json) {
		json_arr_close(&o.j);
		json_end(&o.j);
	}
}

static void test_flows(void)
{
	bool json = false;
	char *s;

	s = capture(flows_cb, &json);
	CHECK_STR(s, "tcp 10.244.1.11:40000 -> 203.0.113.1:80 as 192.0.2.1:40001 established 21599s\n"
		  "icmp 10.244.1.11 id 5 -> 203.0.113.1 as 192.0.2.1 id 5 replied 29s\n"
		  "proto 47 10.244.1.11 -> 203.0.113.1 as 192.0.2.1 unreplied 29s\n"
		  "tcp 10.244.1.11:45000 -> 10.96.0.10:80 to 10.244.2.12:8080 as 10.244.1.11:45000 established 5s\n"
		  "tcp 10.244.1.11:0 -> 10.96.0.10:80 to 10.244.2.12:8080 as 10.244.1.11:80 affinity 10799s\n"
		  "udp [fd00:244::11]:5353 -> [2001:db8::53]:53 as [2001:db8::1]:1024 unreplied 0s\n"
		  "icmpv6 fd00:244::11 id 7 -> 2001:db8::53 as 2001:db8::1 id 9 closed 10s\n");
	free(s);
	json = true;
	s = capture(flows_cb, &json);
	CHECK_CONTAINS(s, "[{\"family\":\"inet\",\"proto\":\"tcp\",\"orig\":{"
		       "\"src\":\"10.244.1.11\",\"dst\":\"203.0.113.1\",\"sport\":40000,"
		       "\"dport\":80},\"reply\":{\"src\":\"203.0.113.1\",\"dst\":"
		       "\"192.0.2.1\",\"sport\":80,\"dport\":40001},\"state\":"
		       "\"established\",\"timeout_ms\":21599999},");
	CHECK_CONTAINS(s, "{\"family\":\"inet\",\"proto\":47,\"orig\":");
	CHECK_CONTAINS(s, "\"reply\":{\"src\":\"10.244.2.12\",\"dst\":\"10.244.1.11\","
		       "\"sport\":8080,\"dport\":80},\"state\":\"affinity\"");
	CHECK_CONTAINS(s, "{\"family\":\"inet6\",\"proto\":\"icmpv6\",\"orig\":"
		       "{\"src\":\"fd00:244::11\",\"dst\":\"2001:db8::53\",\"sport\":7,"
		       "\"dport\":0},\"reply\":{\"src\":\"2001:db8::53\",\"dst\":"
		       "\"2001:db8::1\",\"sport\":0,\"dport\":9},\"state\":\"closed\","
		       "\"timeout_ms\":10000}]\n");
	free(s);
}

static int count_cb(const struct tw_flow *fl, void *arg)
{
	(void)fl;
	++*(int *)arg;
	return 0;
}

static void test_flows_malformed(void)
{
	static char buf[1024];
	struct kflow k = kflows[0];
	struct nlmsghdr *nlh;
	struct nlattr *fl, *n;
	int count = 0;

	/* an IPv6 reply address in an IPv4 flow */
	k.rdst = "2001:db8::1";
	nlh = genl_msg(buf, TWILL_CMD_GET_FLOWS);
	fl = mnl_attr_nest_start(nlh, TWILL_A_FLOWS);
	put_flow(nlh, &kflows[0]);
	put_flow(nlh, &k);
	mnl_attr_nest_end(nlh, fl);
	CHECK(parse_flows_msg(nlh, count_cb, &count) < 0);
	CHECK(count == 1);
	CHECK_CONTAINS(tw_errmsg, "malformed flow in reply from the kernel");
	/* a flow without addresses */
	nlh = genl_msg(buf, TWILL_CMD_GET_FLOWS);
	fl = mnl_attr_nest_start(nlh, TWILL_A_FLOWS);
	n = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put_u8(nlh, TWILL_FLOW_A_PROTO, 6);
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, fl);
	CHECK(parse_flows_msg(nlh, count_cb, &count) < 0);
	/* no flows at all: nothing, no error */
	nlh = genl_msg(buf, TWILL_CMD_GET_FLOWS);
	mnl_attr_put_u32(nlh, TWILL_A_IFINDEX, 5);
	count = 0;
	CHECK(parse_flows_msg(nlh, count_cb, &count) == 0 && count == 0);
}

/* ---- config file and syncconf ---- */

static const char natconf[] =
	"[Device]\n"
	"VNI = 1\n"
	"Masquerade = fd00:244::/48, 10.244.0.0/16\n"
	"MasqueradeExclude = 10.96.0.0/12,10.244.0.0/16\n"
	"MasqueradeTo = 192.0.2.1\n"
	"MasqueradePorts = 2000-3000\n"
	"MaxFlows = 1000\n";

static void write_cb(FILE *f, const void *arg)
{
	config_write(f, arg);
}

static int conf(struct tw_device *d, const char *text)
{
	dev_init(d);
	return config_parse("n.conf", text, strlen(text), d);
}

static void test_config(void)
{
	struct tw_device a, b;
	char *t1, *t2;

	CHECK(conf(&a, natconf) == 0);
	CHECK(TW_HAS(&a, TW_NAT) && a.nat.on && a.nat.masq.n == 2);
	t1 = capture(write_cb, &a);
	CHECK_STR(t1, "[Device]\nVNI = 1\n"
		  "Masquerade = 10.244.0.0/16, fd00:244::/48\n"
		  "MasqueradeExclude = 10.96.0.0/12, 10.244.0.0/16\n"
		  "MasqueradeTo = 192.0.2.1\n"
		  "MasqueradePorts = 2000-3000\n"
		  "MaxFlows = 1000\n");
	CHECK(conf(&b, t1) == 0);
	t2 = capture(write_cb, &b);
	CHECK_STR(t2, t1);
	CHECK(nat_same(&a.nat, &b.nat));
	free(t1);
	free(t2);
	dev_free(&a);
	dev_free(&b);

	/* keys left out take their defaults, and showconf prints them all */
	CHECK(conf(&a, "[device]\nmasquerade = 10.0.0.0/8\n") == 0);
	t1 = capture(write_cb, &a);
	CHECK_STR(t1, "[Device]\nMasquerade = 10.0.0.0/8\n"
		  "MasqueradeExclude = none\nMasqueradeTo = auto\n"
		  "MasqueradePorts = 1024-65535\nMaxFlows = 131072\n");
	free(t1);
	dev_free(&a);

	/* an explicit off is written back; no key at all writes nothing */
	CHECK(conf(&a, "[Device]\nMasquerade = off\n") == 0);
	CHECK(TW_HAS(&a, TW_NAT) && !a.nat.on);
	t1 = capture(write_cb, &a);
	CHECK_STR(t1, "[Device]\nMasquerade = off\n");
	free(t1);
	dev_free(&a);
	CHECK(conf(&a, "[Device]\nVNI = 2\n") == 0 && !TW_HAS(&a, TW_NAT));
	dev_free(&a);

	/* a dump with NAT off (no TWILL_A_NAT) writes no NAT key */
	kernel_device(&a, false, false);
	t1 = capture(write_cb, &a);
	CHECK(!strstr(t1, "Masquerade"));
	free(t1);
	dev_free(&a);
	kernel_device(&a, true, true);
	t1 = capture(write_cb, &a);
	CHECK_CONTAINS(t1, "Masquerade = 10.244.0.0/16, fd00:244::/48\n"
		       "MasqueradeExclude = 10.244.0.0/16\n"
		       "MasqueradeTo = 192.0.2.1, 2001:db8::1\n"
		       "MasqueradePorts = 1024-65535\nMaxFlows = 131072\n");
	free(t1);
	dev_free(&a);
}

static void expect_conf_error(const char *text, const char *msg)
{
	struct tw_device d;

	CHECK(conf(&d, text) < 0);
	CHECK_CONTAINS(tw_errmsg, msg);
	CHECK(!strchr(tw_errmsg, '\n'));
	dev_free(&d);
}

static void test_config_bad(void)
{
	expect_conf_error("[Device]\nMasqueradeTo = 192.0.2.1\n",
			  "n.conf:2: MasqueradeTo needs Masquerade (a file gives the whole NAT configuration)");
	expect_conf_error("[Device]\nVNI = 1\nMaxFlows = 5\nMasqueradePorts = 1-2\n",
			  "n.conf:4: MasqueradePorts needs Masquerade");
	expect_conf_error("[Device]\nMasquerade = off\n\nMasqueradeExclude = none\n",
			  "n.conf:4: MasqueradeExclude cannot be combined with Masquerade = off");
	expect_conf_error("[Device]\nMasquerade = 10.0.0.0/8\nmasquerade = 10.0.0.0/8\n",
			  "n.conf:3: duplicate key 'Masquerade'");
	expect_conf_error("[Device]\nMasquerade = 10.0.0.1/8\n",
			  "n.conf:2: invalid prefix '10.0.0.1/8' (host bits set");
	expect_conf_error("[Device]\nMasquerade = 10.0.0.0/8\nMasqueradeTo = 1.2.3.4, 5.6.7.8\n",
			  "n.conf:3: MasqueradeTo: more than one IPv4 address ('5.6.7.8')");
	expect_conf_error("[Device]\nMasquerade = 10.0.0.0/8\nMasqueradePorts = 9-8\n",
			  "n.conf:3: invalid MasqueradePorts '9-8' (MIN > MAX)");
	expect_conf_error("[Device]\nMasquerade = 10.0.0.0/8\nMaxFlows = 0\n",
			  "n.conf:3: invalid MaxFlows '0' (expected 1-16777216)");
	expect_conf_error("[Device]\nMasquerade = 10.0.0.0/8, ,\n",
			  "n.conf:2: empty prefix in list");
	expect_conf_error("[Peer]\nEndpoint = 192.0.2.2\nMasquerade = 10.0.0.0/8\n",
			  "n.conf:3: unknown key 'Masquerade' in [Peer]");
}

/* setconf: the NAT nest in the transaction's first message, with the
 * settings and the peers (one commit). */
static void test_setconf_atomic(void)
{
	struct tw_device d;
	struct tw_build b = { .family = FAMILY, .seq = 1 };
	struct tw_batch batch;
	const struct nlmsghdr *nlh;
	char text[256];

	snprintf(text, sizeof(text), "%s[Peer]\nEndpoint = 192.0.2.2\n"
		 "Prefixes = 10.244.1.0/24\n", natconf);
	CHECK(conf(&d, text) == 0);
	config_prepare(&d, TW_CONF_SET);
	build_set(&d, &b, &batch);
	CHECK(batch.n == 1);
	nlh = (const void *)batch.msgs[0].buf;
	CHECK(mnl_attr_get_u32(attr(nlh, TWILL_A_FLAGS)) == TWILL_F_REPLACE_PEERS);
	CHECK(attr(nlh, TWILL_A_NAT) && attr(nlh, TWILL_A_PEERS) &&
	      attr(nlh, TWILL_A_VNI));
	batch_free(&batch);
	dev_free(&d);
}

static size_t diff(struct tw_device *cur, const char *want_text,
		   struct tw_device *out)
{
	struct tw_device want;
	size_t n;

	CHECK(conf(&want, want_text) == 0);
	dev_init(out);
	n = sync_diff(cur, &want, out);
	dev_free(&want);
	return n;
}

static void test_diff(void)
{
	struct tw_device cur, out;

	/* off -> off, and no NAT key: nothing */
	kernel_device(&cur, false, false);
	CHECK(diff(&cur, "[Device]\nMasquerade = off\n", &out) == 0);
	CHECK(!TW_HAS(&out, TW_NAT));
	dev_free(&out);
	CHECK(diff(&cur, "[Device]\n", &out) == 0);
	dev_free(&out);
	/* off -> on */
	CHECK(diff(&cur, "[Device]\nMasquerade = 10.0.0.0/8\n", &out) == 1);
	CHECK(TW_HAS(&out, TW_NAT) && out.nat.on && out.nat.masq.n == 1);
	dev_free(&out);
	dev_free(&cur);

	/* on -> the same in another order: nothing; -> off; -> other ports */
	kernel_device(&cur, true, false);
	CHECK(diff(&cur, "[Device]\nMasquerade = fd00:244::/48,10.244.0.0/16\n"
		   "MasqueradeExclude = 10.244.0.0/16\n", &out) == 0);
	dev_free(&out);
	CHECK(diff(&cur, "[Device]\n", &out) == 0);
	dev_free(&out);
	CHECK(diff(&cur, "[Device]\nMasquerade = off\n", &out) == 1);
	CHECK(TW_HAS(&out, TW_NAT) && !out.nat.on);
	dev_free(&out);
	CHECK(diff(&cur, "[Device]\nMasquerade = fd00:244::/48,10.244.0.0/16\n"
		   "MasqueradeExclude = 10.244.0.0/16\nMasqueradePorts = 1-9\n",
		   &out) == 1);
	CHECK(out.nat.port_min == 1 && out.nat.masq.n == 2 && out.nat.excl.n == 1);
	dev_free(&out);
	/* a file without MasqueradeExclude: none (the file is the whole NAT) */
	CHECK(diff(&cur, "[Device]\nMasquerade = fd00:244::/48,10.244.0.0/16\n",
		   &out) == 1);
	CHECK(out.nat.excl.n == 0);
	dev_free(&out);
	dev_free(&cur);
}

const struct test nat_tests[] = {
	{ "nat/args_ok", test_args_ok },
	{ "nat/args_bad", test_args_bad },
	{ "nat/build", test_build },
	{ "nat/build_big", test_build_big },
	{ "nat/parse_reply", test_parse_reply },
	{ "nat/show", test_show },
	{ "nat/show_device", test_show_device },
	{ "nat/events", test_events },
	{ "nat/flows", test_flows },
	{ "nat/flows_malformed", test_flows_malformed },
	{ "nat/config", test_config },
	{ "nat/config_bad", test_config_bad },
	{ "nat/setconf_atomic", test_setconf_atomic },
	{ "nat/diff", test_diff },
};
const size_t nat_tests_count = sizeof(nat_tests) / sizeof(nat_tests[0]);
