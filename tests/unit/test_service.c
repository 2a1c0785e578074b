// SPDX-License-Identifier: GPL-2.0
/*
 * Services: `service set` words (key, backends, affinity, remove) and
 * their merge, the SET_SERVICES request, GET_SERVICES replies (continued
 * services merged) and `service show` output.
 */
#include "test.h"
#include "config.h"
#include "events.h"
#include "json.h"
#include "msg.h"
#include "service.h"
#include "util.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/twill.h>
#include <netinet/in.h>
#include <stdlib.h>

static int svc_args(struct tw_service *s, const char *key, const char *args)
{
	static char buf[32768];
	static char *argv[2200];
	char *tok, *save = NULL;
	int argc = 0;

	service_init(s);
	if (service_parse_key(key, s))
		return -1;
	snprintf(buf, sizeof(buf), "%s", args);
	for (tok = strtok_r(buf, " ", &save); tok && argc < 2200;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	return service_parse_args(argc, argv, s);
}

static bool addr_is(const struct tw_addr *a, const char *s)
{
	char buf[64];

	return a->family && inet_ntop(a->family, a->addr, buf, sizeof(buf)) &&
	       !strcmp(buf, s);
}

static void test_key(void)
{
	struct tw_service s;

	service_init(&s);
	CHECK(service_parse_key("10.96.0.10:53/udp", &s) == 0);
	CHECK(addr_is(&s.vip, "10.96.0.10") && s.port == 53 &&
	      s.proto == IPPROTO_UDP);
	CHECK(service_parse_key("[fd00::10]:80/tcp", &s) == 0);
	CHECK(addr_is(&s.vip, "fd00::10") && s.port == 80 &&
	      s.proto == IPPROTO_TCP);
	CHECK(service_parse_key("10.96.0.10:53", &s) == -1);
	CHECK_CONTAINS(tw_errmsg, "expected ADDR:PORT/tcp");
	CHECK(service_parse_key("10.96.0.10:53/sctp", &s) == -1);
	CHECK_CONTAINS(tw_errmsg, "tcp or udp");
	CHECK(service_parse_key("10.96.0.10/tcp", &s) == -1);
	CHECK_CONTAINS(tw_errmsg, "no port");
	CHECK(service_parse_key("10.96.0.10:0/tcp", &s) == -1);
	CHECK_CONTAINS(tw_errmsg, "1-65535");
	CHECK(service_parse_key("10.96.0.10:65536/tcp", &s) == -1);
	CHECK(service_parse_key("fd00::10:80/tcp", &s) == -1);
	CHECK(service_parse_key("[fd00::10:80/tcp", &s) == -1);
	CHECK(service_parse_key("224.0.0.1:80/tcp", &s) == -1);
	CHECK_CONTAINS(tw_errmsg, "multicast");
	CHECK(service_parse_key("0.0.0.0:80/tcp", &s) == -1);
	CHECK(service_parse_key("[::]:80/tcp", &s) == -1);
	CHECK(service_parse_key("web:80/tcp", &s) == -1);
}

static void test_args_ok(void)
{
	struct tw_service s;

	CHECK(svc_args(&s, "10.96.0.10:80/tcp",
		       "affinity 10800 backend 10.244.1.5:8080 weight 3 "
		       "backend 10.244.2.7 state terminating "
		       "backend 10.244.3.9:8081 state maintenance weight 0") == 0);
	CHECK(s.has_affinity && s.affinity == 10800 && s.has_backends);
	CHECK(s.nbackends == 3);
	CHECK(addr_is(&s.backends[0].addr, "10.244.1.5") &&
	      s.backends[0].port == 8080 && s.backends[0].weight == 3 &&
	      s.backends[0].state == TWILL_BACKEND_S_ACTIVE);
	/* no port: the service's (0 on the wire) */
	CHECK(s.backends[1].port == 0 && s.backends[1].weight == 1 &&
	      s.backends[1].state == TWILL_BACKEND_S_TERMINATING);
	CHECK(s.backends[2].weight == 0 &&
	      s.backends[2].state == TWILL_BACKEND_S_MAINTENANCE);
	service_free(&s);

	CHECK(svc_args(&s, "[fd00::10]:80/tcp",
		       "backend [fd00:244::5]:8080 backend fd00:244::6 "
		       "affinity off") == 0);
	CHECK(s.nbackends == 2 && s.backends[0].port == 8080 &&
	      addr_is(&s.backends[1].addr, "fd00:244::6") &&
	      s.backends[1].port == 0);
	CHECK(s.has_affinity && s.affinity == 0);
	service_free(&s);

	CHECK(svc_args(&s, "10.96.0.10:80/tcp", "remove") == 0);
	CHECK(s.remove && !s.has_backends);
	service_free(&s);
	/* nothing but the key: keeps what the service has */
	CHECK(svc_args(&s, "10.96.0.10:80/udp", "") == 0);
	CHECK(!s.has_backends && !s.has_affinity && !s.remove);
	service_free(&s);
}

static void expect_bad(const char *key, const char *args, const char *needle)
{
	struct tw_service s;

	CHECK(svc_args(&s, key, args) == -1);
	CHECK_CONTAINS(tw_errmsg, needle);
	service_free(&s);
}

static void test_args_bad(void)
{
	const char *k4 = "10.96.0.10:80/tcp";

	expect_bad(k4, "backend fd00::5", "not of the service's address family");
	expect_bad("[fd00::10]:80/tcp", "backend 10.0.0.5:80",
		   "not of the service's address family");
	expect_bad(k4, "backend 10.0.0.5 weight 65536", "0-65535");
	expect_bad(k4, "backend 10.0.0.5 weight", "weight needs a value");
	expect_bad(k4, "backend 10.0.0.5 weight 2 weight 3", "given twice");
	expect_bad(k4, "backend 10.0.0.5 state draining", "invalid state");
	expect_bad(k4, "backend 10.0.0.5:80 backend 10.0.0.5", "given twice");
	expect_bad(k4, "backend 10.0.0.5:8080 backend 10.0.0.5:8080",
		   "given twice");
	expect_bad(k4, "backend 10.0.0.5:0", "1-65535");
	expect_bad(k4, "backend 224.0.0.5", "multicast");
	expect_bad(k4, "backend", "backend needs an address");
	expect_bad(k4, "affinity", "affinity needs");
	expect_bad(k4, "affinity 0", "1-86400");
	expect_bad(k4, "affinity 86401", "1-86400");
	expect_bad(k4, "affinity 10 affinity 20", "affinity given twice");
	expect_bad(k4, "remove backend 10.0.0.5", "remove takes no");
	expect_bad(k4, "remove affinity 5", "remove takes no");
	expect_bad(k4, "weight 3", "unknown service argument 'weight'");
	{
		static char many[1100 * 24];
		struct tw_service s;
		size_t len = 0;
		int i;

		for (i = 0; i < 1025; i++)
			len += (size_t)snprintf(many + len, sizeof(many) - len,
						"backend 10.1.%d.%d ", i / 250,
						i % 250 + 1);
		expect_bad(k4, many, "more than 1024 backends");
		many[len - strlen("backend 10.1.4.25 ")] = '\0';
		CHECK(svc_args(&s, k4, many) == 0 && s.nbackends == 1024);
		service_free(&s);
		/* different ports of one address are two backends */
		CHECK(svc_args(&s, k4, "backend 10.0.0.5:80 backend 10.0.0.5:81") == 0);
		CHECK(s.nbackends == 2);
		service_free(&s);
	}
}

static void test_merge(void)
{
	struct tw_service cur, args, out;

	CHECK(svc_args(&cur, "10.96.0.10:80/tcp",
		       "affinity 60 backend 10.0.0.1 backend 10.0.0.2") == 0);
	/* affinity only: backends kept */
	CHECK(svc_args(&args, "10.96.0.10:80/tcp", "affinity off") == 0);
	CHECK(service_merge(&cur, &args, &out) == 0);
	CHECK(out.affinity == 0 && out.nbackends == 2 && out.has_backends);
	service_free(&out);
	service_free(&args);
	/* backends only: affinity kept, list replaced */
	CHECK(svc_args(&args, "10.96.0.10:80/tcp", "backend 10.0.0.3") == 0);
	CHECK(service_merge(&cur, &args, &out) == 0);
	CHECK(out.affinity == 60 && out.nbackends == 1 &&
	      addr_is(&out.backends[0].addr, "10.0.0.3"));
	service_free(&out);
	service_free(&args);
	/* a new service without backends: none */
	CHECK(svc_args(&args, "10.96.0.11:80/tcp", "") == 0);
	CHECK(service_merge(NULL, &args, &out) == 0);
	CHECK(out.nbackends == 0 && out.affinity == 0 && !out.remove);
	service_free(&out);
	service_free(&args);
	service_free(&cur);
}

static const struct nlattr *find(const struct nlattr *n, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, n)
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static void test_build(void)
{
	struct tw_device dev;
	struct tw_service s;
	const struct nlattr *a, *list = NULL, *svc, *bl, *b;
	struct nlmsghdr *nlh;
	char *buf;
	size_t n = 0;

	dev_init(&dev);
	snprintf(dev.ifname, sizeof(dev.ifname), "twill0");
	CHECK(svc_args(&s, "[fd00::10]:443/tcp",
		       "affinity 30 backend [fd00::5]:8443 weight 7 "
		       "backend fd00::6 state terminating") == 0);
	buf = calloc(1, build_set_service_size(&s));
	build_set_service(buf, 0x42, 9, &dev, &s);
	nlh = (struct nlmsghdr *)buf;
	CHECK(((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd ==
	      TWILL_CMD_SET_SERVICES);
	CHECK(nlh->nlmsg_flags & NLM_F_ACK);
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == TWILL_A_SERVICES)
			list = a;
	CHECK(list != NULL);
	if (!list)
		goto out;
	svc = mnl_attr_get_payload(list);
	CHECK(mnl_attr_get_u16(find(svc, TWILL_SERVICE_A_FAMILY)) == AF_INET6);
	CHECK(mnl_attr_get_payload_len(find(svc, TWILL_SERVICE_A_ADDR)) == 16);
	CHECK(mnl_attr_get_u16(find(svc, TWILL_SERVICE_A_PORT)) == 443);
	CHECK(mnl_attr_get_u8(find(svc, TWILL_SERVICE_A_PROTO)) == IPPROTO_TCP);
	CHECK(mnl_attr_get_u32(find(svc, TWILL_SERVICE_A_AFFINITY)) == 30);
	CHECK(!find(svc, TWILL_SERVICE_A_FLAGS));
	bl = find(svc, TWILL_SERVICE_A_BACKENDS);
	CHECK(bl != NULL);
	if (bl) {
		mnl_attr_for_each_nested(b, bl)
			n++;
		CHECK(n == 2);
		b = mnl_attr_get_payload(bl);
		CHECK(mnl_attr_get_u16(find(b, TWILL_BACKEND_A_PORT)) == 8443);
		CHECK(mnl_attr_get_u32(find(b, TWILL_BACKEND_A_WEIGHT)) == 7);
	}
out:
	free(buf);
	service_free(&s);
	/* removal: the key and the flag only */
	CHECK(svc_args(&s, "10.96.0.10:53/udp", "remove") == 0);
	buf = calloc(1, build_set_service_size(&s));
	build_set_service(buf, 0x42, 9, &dev, &s);
	nlh = (struct nlmsghdr *)buf;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == TWILL_A_SERVICES)
			list = a;
	svc = mnl_attr_get_payload(list);
	CHECK(mnl_attr_get_u32(find(svc, TWILL_SERVICE_A_FLAGS)) ==
	      TWILL_SERVICE_F_REMOVE);
	CHECK(!find(svc, TWILL_SERVICE_A_BACKENDS));
	free(buf);
	service_free(&s);
	dev_free(&dev);
}

/*
 * `service set`'s read of the one service: a GET_SERVICES dump whose
 * filter is the key alone, whatever else the arguments give.
 */
static void test_build_filter(void)
{
	const struct nlattr *a, *svc, *k;
	struct tw_device dev;
	struct tw_service s;
	struct nlmsghdr *nlh;
	char buf[512];
	size_t len, lists = 0, svcs = 0, attrs = 0;

	dev_init(&dev);
	dev.ifindex = 7;
	CHECK(svc_args(&s, "[fd00::10]:443/tcp",
		       "affinity 30 backend [fd00::5]:8443 weight 7") == 0);
	len = build_dump_service(buf, 0x42, 9, &dev, &s);
	nlh = (struct nlmsghdr *)buf;
	CHECK(len == nlh->nlmsg_len);
	CHECK(nlh->nlmsg_type == 0x42 && nlh->nlmsg_seq == 9);
	CHECK((nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP);
	CHECK(!(nlh->nlmsg_flags & NLM_F_ACK));
	CHECK(((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd ==
	      TWILL_CMD_GET_SERVICES);
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == TWILL_A_IFINDEX)
			CHECK(mnl_attr_get_u32(a) == 7);
		else if (mnl_attr_get_type(a) != TWILL_A_SERVICES)
			CHECK(!"an attribute the filter does not need");
		else
			lists++;
		if (mnl_attr_get_type(a) != TWILL_A_SERVICES)
			continue;
		mnl_attr_for_each_nested(svc, a) {
			svcs++;
			mnl_attr_for_each_nested(k, svc)
				attrs++;
			CHECK(mnl_attr_get_u16(find(svc,
				TWILL_SERVICE_A_FAMILY)) == AF_INET6);
			CHECK(mnl_attr_get_payload_len(find(svc,
				TWILL_SERVICE_A_ADDR)) == 16);
			CHECK(mnl_attr_get_u16(find(svc,
				TWILL_SERVICE_A_PORT)) == 443);
			CHECK(mnl_attr_get_u8(find(svc,
				TWILL_SERVICE_A_PROTO)) == IPPROTO_TCP);
		}
	}
	/* one service of the four key attributes: no backends, affinity */
	CHECK(lists == 1 && svcs == 1 && attrs == 4);
	service_free(&s);
	dev_free(&dev);
}

/* A GET_SERVICES reply: settings, then services as the kernel puts them. */
static struct nlmsghdr *reply(char *buf, const char *const *svcs,
			      const char *const *args, size_t n)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	struct nlattr *list;
	struct tw_service s;
	size_t i, k;

	nlh->nlmsg_type = 0x42;
	g->cmd = TWILL_CMD_GET_SERVICES;
	mnl_attr_put_u32(nlh, TWILL_A_IFINDEX, 5);
	mnl_attr_put_strz(nlh, TWILL_A_IFNAME, "twill0");
	mnl_attr_put_u32(nlh, TWILL_A_MAX_SERVICES, 16384);
	mnl_attr_put_u32(nlh, TWILL_A_MAX_BACKENDS, 131072);
	mnl_attr_put_u32(nlh, TWILL_A_MAGLEV_SIZE, 16381);
	mnl_attr_put_u32(nlh, TWILL_A_NUM_SERVICES, 2);
	mnl_attr_put_u32(nlh, TWILL_A_NUM_BACKENDS, 3);
	list = mnl_attr_nest_start(nlh, TWILL_A_SERVICES);
	for (i = 0; i < n; i++) {
		CHECK(svc_args(&s, svcs[i], args[i]) == 0);
		/* the kernel says every backend's port */
		for (k = 0; k < s.nbackends; k++)
			if (!s.backends[k].port)
				s.backends[k].port = s.port;
		service_put(nlh, &s);
		service_free(&s);
	}
	mnl_attr_nest_end(nlh, list);
	return nlh;
}

static void test_parse_reply(void)
{
	static const char *const k1[] = { "10.96.0.10:53/udp",
					  "10.96.0.1:443/tcp" };
	static const char *const a1[] = { "backend 10.244.1.2 backend 10.244.2.2",
					  "affinity 10800 backend 192.0.2.1:6443" };
	static const char *const k2[] = { "10.96.0.1:443/tcp" };
	static const char *const a2[] = { "backend 192.0.2.2:6443 weight 2" };
	struct tw_services all = { 0 };
	struct tw_service key, *s;
	static char buf[8192];

	CHECK(service_parse_msg(reply(buf, k1, a1, 2), &all) == 0);
	/* the next message continues the last service */
	CHECK(service_parse_msg(reply(buf, k2, a2, 1), &all) == 0);
	CHECK(all.n == 2 && all.maglev_size == 16381 &&
	      all.num_services == 2 && all.max_services == 16384);
	service_init(&key);
	CHECK(service_parse_key("10.96.0.1:443/tcp", &key) == 0);
	s = service_find(&all, &key);
	CHECK(s && s->nbackends == 2 && s->affinity == 10800);
	if (s && s->nbackends == 2)
		CHECK(s->backends[1].weight == 2 && s->backends[1].port == 6443);
	service_free(&key);
	services_free(&all);
}

static const struct tw_services *shown;

static void show_human(FILE *f, const void *arg)
{
	(void)arg;
	service_show_human(f, "twill0", shown);
}

static void show_json(FILE *f, const void *arg)
{
	struct json j;

	(void)arg;
	json_init(&j, f, false);
	service_show_json(&j, "twill0", shown);
	json_end(&j);
}

static void test_show(void)
{
	static const char *const k[] = { "[fd00::10]:80/tcp",
					 "10.96.0.10:53/udp" };
	static const char *const a[] = {
		"backend [fd00::5]:8080 state terminating",
		"affinity 60 backend 10.244.1.2 weight 3" };
	struct tw_services all = { 0 };
	static char buf[8192];
	char *out;

	CHECK(service_parse_msg(reply(buf, k, a, 2), &all) == 0);
	shown = &all;
	out = capture(show_human, NULL);
	CHECK_STR(out, "twill0: 2 services, 3 backends (max 16384, 131072); maglev 16381\n"
		  "  service 10.96.0.10:53/udp affinity 60\n"
		  "    backend 10.244.1.2:53 weight 3 state active\n"
		  "  service [fd00::10]:80/tcp\n"
		  "    backend [fd00::5]:8080 weight 1 state terminating\n");
	free(out);
	out = capture(show_json, NULL);
	CHECK_CONTAINS(out, "\"ifname\":\"twill0\"");
	CHECK_CONTAINS(out, "{\"address\":\"10.96.0.10\",\"port\":53,\"protocol\":\"udp\",\"affinity\":60,\"backends\":[{\"address\":\"10.244.1.2\",\"port\":53,\"weight\":3,\"state\":\"active\"}]}");
	free(out);
	services_free(&all);
}

static int config_args(struct tw_service_config *c, const char *args)
{
	char buf[256], *argv[16], *tok, *save = NULL;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", args);
	for (tok = strtok_r(buf, " ", &save); tok && argc < 16;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	return service_parse_config(argc, argv, c);
}

static void test_config(void)
{
	struct tw_service_config c;
	struct tw_device dev;
	struct nlmsghdr *nlh;
	const struct nlattr *a;
	char buf[512];
	int n = 0;

	CHECK(config_args(&c, "max-services 20000 maglev-size 65521") == 0);
	CHECK(c.max_services == 20000 && c.maglev_size == 65521 &&
	      !c.max_backends);
	CHECK(config_args(&c, "maglev-size 251 max-backends 1") == 0);
	CHECK(config_args(&c, "") == -1);
	CHECK_CONTAINS(tw_errmsg, "nothing to configure");
	CHECK(config_args(&c, "maglev-size 16383") == -1);
	CHECK_CONTAINS(tw_errmsg, "a prime");
	CHECK(config_args(&c, "maglev-size 131101") == -1);
	CHECK(config_args(&c, "maglev-size 5") == -1);
	CHECK(config_args(&c, "max-services 0") == -1);
	CHECK(config_args(&c, "max-services 1048577") == -1);
	CHECK(config_args(&c, "max-backends 16777217") == -1);
	CHECK(config_args(&c, "max-services 5 max-services 6") == -1);
	CHECK_CONTAINS(tw_errmsg, "given twice");
	CHECK(config_args(&c, "max-services") == -1);
	CHECK(config_args(&c, "max-flows 5") == -1);
	CHECK_CONTAINS(tw_errmsg, "unknown service config key 'max-flows'");

	dev_init(&dev);
	dev.ifindex = 7;
	CHECK(config_args(&c, "max-backends 200000") == 0);
	nlh = (struct nlmsghdr *)buf;
	build_service_config(buf, 0x42, 1, &dev, &c);
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		n++;
		CHECK(mnl_attr_get_type(a) == TWILL_A_IFINDEX ||
		      (mnl_attr_get_type(a) == TWILL_A_MAX_BACKENDS &&
		       mnl_attr_get_u32(a) == 200000));
	}
	CHECK(n == 2);
	dev_free(&dev);
}

struct ev {
	const struct nlmsghdr *nlh;
	struct monitor_opts o;
	int ret;
};

static void print_event(FILE *f, const void *arg)
{
	struct ev *e = (struct ev *)arg;

	e->ret = event_print(f, e->nlh, &e->o);
}

static void test_event(void)
{
	static char buf[1024];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	struct ev e = { nlh, { NULL, false }, 0 };
	char *out;

	nlh->nlmsg_type = 0x42;
	g->cmd = TWILL_CMD_SERVICES_CHANGED;
	mnl_attr_put_u32(nlh, TWILL_A_IFINDEX, 5);
	mnl_attr_put_strz(nlh, TWILL_A_IFNAME, "twill0");
	mnl_attr_put_u32(nlh, TWILL_A_GENERATION, 7);
	mnl_attr_put_u32(nlh, TWILL_A_NUM_SERVICES, 2);
	mnl_attr_put_u32(nlh, TWILL_A_NUM_BACKENDS, 3);
	out = capture(print_event, &e);
	CHECK(e.ret == 1);
	CHECK_STR(out, "twill0: services_changed generation 7\n");
	free(out);
	e.o.json = true;
	out = capture(print_event, &e);
	CHECK_STR(out, "{\"event\":\"services_changed\",\"ifname\":\"twill0\","
		  "\"ifindex\":5,\"generation\":7}\n");
	free(out);
}

/* An agent's replace-all: 10,000 services in one staged transaction. */
static void test_build_many(void)
{
	struct tw_build b = { .family = 0x42, .seq = 100 };
	struct tw_services back = { 0 };
	struct tw_service *svcs = calloc(10000, sizeof(*svcs));
	struct tw_device dev;
	struct tw_batch batch;
	char key[64];
	size_t i;

	dev_init(&dev);
	dev.ifindex = 3;
	for (i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "10.96.%zu.%zu:80/tcp", i / 250,
			 i % 250 + 1);
		CHECK(svc_args(&svcs[i], key, i == 7 ? "" :
			       "backend 10.244.1.5:8080 backend 10.244.2.7 weight 3") == 0);
	}
	build_set_services(&dev, svcs, 10000, true, &b, &batch);
	CHECK(batch.n > 10 && batch.n < 100);
	for (i = 0; i < batch.n; i++) {
		const struct nlmsghdr *nlh = (const void *)batch.msgs[i].buf;
		const struct nlattr *a;
		uint32_t flags = 0;

		CHECK(batch.msgs[i].len <= TW_MSG_MAX &&
		      nlh->nlmsg_len == batch.msgs[i].len);
		CHECK(nlh->nlmsg_seq == 100 + i);
		mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
			if (mnl_attr_get_type(a) == TWILL_A_FLAGS)
				flags = mnl_attr_get_u32(a);
		CHECK(!!(flags & TWILL_F_STAGE) == (i + 1 < batch.n));
		CHECK(!!(flags & TWILL_F_REPLACE_SERVICES) == (i == 0));
		CHECK(service_parse_msg(nlh, &back) == 0);
	}
	CHECK(back.n == 10000);
	if (back.n == 10000)
		CHECK(back.svcs[9999].nbackends == 2 &&
		      back.svcs[9999].backends[1].weight == 3 &&
		      back.svcs[7].nbackends == 0);
	batch_free(&batch);
	services_free(&back);
	/* nothing: one message that empties the table */
	build_set_services(&dev, NULL, 0, true, &b, &batch);
	CHECK(batch.n == 1);
	batch_free(&batch);
	for (i = 0; i < 10000; i++)
		service_free(&svcs[i]);
	free(svcs);
	dev_free(&dev);
}

static const char conf[] =
	"[Device]\nVNI = 5\n\n"
	"[Service]\nAddress = 10.96.0.10:80/tcp\nAffinity = 60\n"
	"Backend = 10.244.2.7 weight 2\n"
	"Backend = 10.244.1.5:8080 state terminating\n\n"
	"[Service]\naddress = [fd00::10]:53/udp\n";

static void test_config_file(void)
{
	struct tw_device d, again;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	dev_init(&d);
	CHECK(config_parse("t.conf", conf, sizeof(conf) - 1, &d) == 0);
	CHECK(d.has_services && d.nsvcs == 2);
	if (d.nsvcs == 2) {
		CHECK(d.svcs[0].affinity == 60 && d.svcs[0].nbackends == 2 &&
		      d.svcs[0].has_backends && d.svcs[0].has_affinity);
		CHECK(d.svcs[0].backends[0].weight == 2 &&
		      d.svcs[0].backends[1].state == TWILL_BACKEND_S_TERMINATING);
		/* no Backend: none; no Affinity: off */
		CHECK(d.svcs[1].nbackends == 0 && d.svcs[1].has_backends &&
		      d.svcs[1].affinity == 0);
	}
	/* written back, it reads the same */
	f = open_memstream(&buf, &len);
	config_write(f, &d);
	fclose(f);
	CHECK_CONTAINS(buf, "[Service]\nAddress = 10.96.0.10:80/tcp\n"
		       "Affinity = 60\nBackend = 10.244.2.7 weight 2\n"
		       "Backend = 10.244.1.5:8080 state terminating\n");
	dev_init(&again);
	CHECK(config_parse("w.conf", buf, len, &again) == 0);
	CHECK(again.nsvcs == 2);
	for (i = 0; i < 2 && again.nsvcs == 2; i++)
		CHECK(service_same(&d.svcs[i], &again.svcs[i]));
	free(buf);
	dev_free(&again);
	/* setconf replaces the services; without any it leaves them */
	config_prepare(&d, TW_CONF_SET);
	CHECK(d.flags & TWILL_F_REPLACE_SERVICES);
	dev_free(&d);
	dev_init(&d);
	CHECK(config_parse("t.conf", "[Device]\nVNI = 5\n", 16, &d) == 0);
	config_prepare(&d, TW_CONF_SET);
	CHECK(!d.has_services && !(d.flags & TWILL_F_REPLACE_SERVICES));
	dev_free(&d);
}

static void conf_bad(const char *text, const char *needle)
{
	struct tw_device d;

	dev_init(&d);
	CHECK(config_parse("b.conf", text, strlen(text), &d) == -1);
	CHECK_CONTAINS(tw_errmsg, needle);
	dev_free(&d);
}

static void test_config_bad(void)
{
	conf_bad("[Service]\nBackend = 10.0.0.1\n", "b.conf:2: 'Backend' before Address");
	conf_bad("[Service]\nAffinity = 5\n", "before Address");
	conf_bad("[Service]\n\n[Peer]\nEndpoint = 192.0.2.1\n",
		 "b.conf:1: [Service] has no Address");
	conf_bad("[Service]\n", "[Service] has no Address");
	conf_bad("[Service]\nAddress = 10.96.0.1:80/tcp\nAddress = 10.96.0.2:80/tcp\n",
		 "duplicate key 'Address'");
	conf_bad("[Service]\nAddress = 10.96.0.1:80/tcp\n[Service]\n"
		 "Address = 10.96.0.1:80/tcp\n", "b.conf:4: service 10.96.0.1:80/tcp given twice");
	conf_bad("[Service]\nAddress = 10.96.0.1:80/tcp\nAffinity = 5\nAffinity = 6\n",
		 "duplicate key 'Affinity'");
	conf_bad("[Service]\nAddress = 10.96.0.1:80/tcp\nBackend = fd00::1\n",
		 "not of the service's address family");
	conf_bad("[Service]\nAddress = 10.96.0.1:80/tcp\nBackend = 10.0.0.1 affinity 5\n",
		 "invalid Backend");
	conf_bad("[Service]\nAddress = 10.96.0.1:80/tcp\nBackend = 10.0.0.1 remove\n",
		 "invalid Backend");
	conf_bad("[Service]\nAddress = 10.96.0.1:80/tcp\nBackend = 10.0.0.1\n"
		 "Backend = 10.0.0.1\n", "b.conf:4: backend '10.0.0.1' given twice");
	conf_bad("[Service]\nAddress = 10.96.0.1:80/tcp\nWeight = 5\n",
		 "unknown key 'Weight' in [Service]");
	conf_bad("[Service]\nAddress = 10.96.0.1/tcp\n", "no port");
}

/* setconf: peers and services in one transaction, services last. */
static void test_build_all(void)
{
	struct tw_build b = { .family = 0x42, .seq = 1 };
	struct tw_device d;
	struct tw_batch batch;
	size_t i;

	dev_init(&d);
	d.ifindex = 3;
	CHECK(config_parse("t.conf", conf, sizeof(conf) - 1, &d) == 0);
	config_prepare(&d, TW_CONF_SET);
	build_set_all(&d, &b, &batch);
	CHECK(batch.n == 2);
	for (i = 0; i < batch.n; i++) {
		const struct nlmsghdr *nlh = (const void *)batch.msgs[i].buf;
		const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
		const struct nlattr *a;
		uint32_t flags = 0;

		mnl_attr_for_each(a, nlh, sizeof(*g))
			if (mnl_attr_get_type(a) == TWILL_A_FLAGS)
				flags = mnl_attr_get_u32(a);
		CHECK(g->cmd == (i ? TWILL_CMD_SET_SERVICES :
				 TWILL_CMD_SET_DEVICE));
		CHECK(!!(flags & TWILL_F_STAGE) == (i + 1 < batch.n));
		CHECK(!!(flags & TWILL_F_REPLACE_SERVICES) == !i);
		CHECK(!!(flags & TWILL_F_REPLACE_PEERS) == !i);
	}
	batch_free(&batch);
	dev_free(&d);
}

static void test_sync_diff(void)
{
	static char buf[8192];
	static const char *const k[] = { "10.96.0.10:80/tcp", "10.96.0.9:53/udp" };
	/* the kernel's view: ports resolved, sorted */
	static const char *const a[] = {
		"affinity 60 backend 10.244.1.5:8080 state terminating "
		"backend 10.244.2.7:80 weight 2", "backend 10.244.9.9" };
	struct tw_services cur = { 0 };
	struct tw_device want, out;

	CHECK(service_parse_msg(reply(buf, k, a, 2), &cur) == 0);
	dev_init(&want);
	CHECK(config_parse("t.conf", conf, sizeof(conf) - 1, &want) == 0);
	dev_init(&out);
	/* 10.96.0.10 is the same; fd00::10 is new; 10.96.0.9 goes */
	CHECK(service_sync_diff(&cur, want.svcs, want.nsvcs, &out) == 2);
	CHECK(out.has_services && out.nsvcs == 2);
	if (out.nsvcs == 2) {
		CHECK(out.svcs[0].remove && out.svcs[0].port == 53);
		CHECK(!out.svcs[1].remove && out.svcs[1].port == 53 &&
		      out.svcs[1].vip.family == AF_INET6);
	}
	dev_free(&out);
	/* a weight changed: that service is sent */
	want.svcs[0].backends[0].weight = 3;
	dev_init(&out);
	CHECK(service_sync_diff(&cur, want.svcs, want.nsvcs, &out) == 3);
	dev_free(&out);
	dev_free(&want);
	services_free(&cur);
}

const struct test service_tests[] = {
	{ "service/event", test_event },
	{ "service/config", test_config },
	{ "service/key", test_key },
	{ "service/args_ok", test_args_ok },
	{ "service/args_bad", test_args_bad },
	{ "service/merge", test_merge },
	{ "service/build", test_build },
	{ "service/build_many", test_build_many },
	{ "service/build_filter", test_build_filter },
	{ "service/config_file", test_config_file },
	{ "service/config_bad", test_config_bad },
	{ "service/build_all", test_build_all },
	{ "service/sync_diff", test_sync_diff },
	{ "service/parse_reply", test_parse_reply },
	{ "service/show", test_show },
};
const size_t service_tests_count = sizeof(service_tests) / sizeof(service_tests[0]);
