// SPDX-License-Identifier: GPL-2.0
/* twilld's pure parts: flannel's config and lease formats, subnets. */
#include "test.h"
#include "cluster.h"
#include "util.h"

#include <arpa/inet.h>
#include <stdlib.h>

#define A(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static void t_netconf_defaults(void)
{
	struct tw_netconf c;

	CHECK(!netconf_parse("{\"Network\": \"10.244.0.0/16\"}", &c));
	CHECK(c.network == A(10, 244, 0, 0) && c.plen == 16);
	CHECK(c.subnet_len == 24);
	CHECK(c.subnet_min == A(10, 244, 1, 0));
	CHECK(c.subnet_max == A(10, 244, 255, 0));
	CHECK(c.vni == 1 && c.port == 8472);
	CHECK(netconf_count(&c) == 255);
	CHECK(!c.ipv6);
	/* a small network: SubnetLen is its length + 2 */
	CHECK(!netconf_parse("{\"Network\": \"10.1.2.0/23\"}", &c));
	CHECK(c.subnet_len == 25);
	CHECK(netconf_count(&c) == 3);
}

static void t_netconf_full(void)
{
	struct tw_netconf c;

	CHECK(!netconf_parse("{\"Network\": \"10.0.0.0/8\", \"SubnetLen\": 20, "
			     "\"SubnetMin\": \"10.10.0.0\", \"SubnetMax\": \"10.10.240.0\", "
			     "\"EnableIPv6\": true, \"IPv6Network\": \"fd00:244::/48\", "
			     "\"Backend\": {\"Type\": \"vxlan\", \"VNI\": 4096, \"Port\": 4789}}",
			     &c));
	CHECK(c.subnet_len == 20);
	CHECK(c.subnet_min == A(10, 10, 0, 0) && c.subnet_max == A(10, 10, 240, 0));
	CHECK(netconf_count(&c) == 16);
	CHECK(c.vni == 4096 && c.port == 4789);
	CHECK(!c.direct_routing);
	CHECK(c.ipv6);
	CHECK(netconf_has(&c, A(10, 200, 0, 0), 20));
	CHECK(!netconf_has(&c, A(11, 0, 0, 0), 20));
	/* Port 0 and VNI 0 are flannel's "default" */
	CHECK(!netconf_parse("{\"Network\": \"10.0.0.0/8\", \"Backend\": {\"Type\": \"vxlan\", \"VNI\": 0, \"Port\": 0}}",
			     &c));
	CHECK(c.vni == 1 && c.port == 8472);
	CHECK(!netconf_parse("{\"Network\": \"10.0.0.0/8\", \"Backend\": {\"Type\": \"vxlan\", \"DirectRouting\": true}}",
			     &c));
	CHECK(c.direct_routing);
}

/* A dual-stack config: flannel's IPv6 defaults and explicit values. */
static void t_netconf_ipv6(void)
{
	struct tw_netconf c;
	struct tw_prefix p;

	CHECK(!netconf_parse("{\"Network\": \"10.244.0.0/16\", \"EnableIPv6\": true, "
			     "\"IPv6Network\": \"fd00:244::/48\"}", &c));
	CHECK(c.ipv6 && !c.v6_ignored);
	CHECK(c.network6.family == AF_INET6 && c.network6.cidr == 48);
	CHECK(c.subnet_len6 == 64);
	CHECK(!memcmp(c.min6, "\xfd\x00\x02\x44\x00\x00\x00\x01" "\0\0\0\0\0\0\0\0", 16));
	CHECK(!memcmp(c.max6, "\xfd\x00\x02\x44\x00\x00\xff\xff" "\0\0\0\0\0\0\0\0", 16));
	CHECK(netconf_count6(&c) == 65535);
	memset(&p, 0, sizeof(p));
	p.family = AF_INET6;
	p.cidr = 64;
	memcpy(p.addr, "\xfd\x00\x02\x44\x00\x00\x00\x07", 8);
	CHECK(netconf_has6(&c, &p));
	p.addr[1] = 1;
	CHECK(!netconf_has6(&c, &p));
	/* a small network: its length + 2; Min and Max */
	CHECK(!netconf_parse("{\"Network\": \"10.244.0.0/16\", \"EnableIPv6\": true, "
			     "\"IPv6Network\": \"fd00::/120\", \"IPv6SubnetLen\": 124, "
			     "\"IPv6SubnetMin\": \"fd00::20\", \"IPv6SubnetMax\": \"fd00::40\"}", &c));
	CHECK(c.subnet_len6 == 124);
	CHECK(netconf_count6(&c) == 3);
	CHECK(!netconf_parse("{\"Network\": \"10.244.0.0/16\", \"EnableIPv6\": true, "
			     "\"IPv6Network\": \"fd00::/120\"}", &c));
	CHECK(c.subnet_len6 == 122 && netconf_count6(&c) == 3);
	/* a huge one: the count is capped, not wrapped */
	CHECK(!netconf_parse("{\"Network\": \"10.244.0.0/16\", \"EnableIPv6\": true, "
			     "\"IPv6Network\": \"fd00::/8\", \"IPv6SubnetLen\": 126}", &c));
	CHECK(netconf_count6(&c) == UINT64_MAX);
	/* IPv6Network without EnableIPv6: ignored, as flanneld does */
	CHECK(!netconf_parse("{\"Network\": \"10.244.0.0/16\", \"IPv6Network\": \"fd00::/48\"}", &c));
	CHECK(!c.ipv6 && c.v6_ignored);
	CHECK(!netconf_has6(&c, &p));
	CHECK(!netconf_parse("{\"Network\": \"10.244.0.0/16\", \"EnableIPv4\": true, \"EnableIPv6\": false}", &c));
	CHECK(!c.ipv6 && !c.v6_ignored);
}

static void bad_conf(const char *json, const char *msg)
{
	struct tw_netconf c;

	tw_errmsg[0] = '\0';
	CHECK(netconf_parse(json, &c) == -1);
	CHECK_CONTAINS(tw_errmsg, msg);
}

static void t_netconf_errors(void)
{
	bad_conf("{\"Network\": \"10.244.0.0/16\"", "invalid JSON");
	bad_conf("{\"Network\": \"10.244.0.0/16\"} x", "invalid JSON");
	bad_conf("[1]", "not a JSON object");
	bad_conf("{}", "Network is missing");
	bad_conf("{\"Network\": 5}", "Network must be a string");
	bad_conf("{\"Network\": \"10.244.0.0/33\"}", "Network");
	bad_conf("{\"Network\": \"10.244.1.0/16\"}", "host bits");
	bad_conf("{\"Network\": \"fd00::/48\"}", "not IPv4");
	bad_conf("{\"Network\": \"10.244.0.0/16\", \"SubnetLen\": 17}", "SubnetLen 17 is too short");
	bad_conf("{\"Network\": \"10.244.0.0/16\", \"SubnetLen\": 31}", "too long");
	bad_conf("{\"Network\": \"10.244.0.0/16\", \"SubnetLen\": \"24\"}", "SubnetLen must be an integer");
	bad_conf("{\"Network\": \"10.244.0.0/16\", \"SubnetMin\": \"10.245.0.0\"}", "SubnetMin 10.245.0.0 is not in Network");
	bad_conf("{\"Network\": \"10.244.0.0/16\", \"SubnetMax\": \"10.244.3.128\"}", "not on a /24 boundary");
	bad_conf("{\"Network\": \"10.244.0.0/16\", \"SubnetMin\": \"10.244.9.0\", \"SubnetMax\": \"10.244.3.0\"}",
		 "SubnetMin is above SubnetMax");
	bad_conf("{\"Network\": \"10.244.0.0/16\", \"Backend\": {\"Type\": \"udp\"}}", "'udp' is not supported");
	bad_conf("{\"Network\": \"10.244.0.0/16\", \"Backend\": {\"VNI\": 16777216}}", "VNI 16777216 is out of range");
	bad_conf("{\"Network\": \"10.244.0.0/16\", \"Backend\": {\"Port\": 65536}}", "Port");
	bad_conf("{\"Network\": \"10.244.0.0/16\", \"Backend\": 1}", "Backend must be an object");
	bad_conf("{\"Network\": \"10.244.0.0/16\", \"Backend\": {\"DirectRouting\": 1}}", "DirectRouting must be true or false");
#define V6 "{\"Network\": \"10.244.0.0/16\", \"EnableIPv6\": true, "
	bad_conf(V6 "\"IPv6Network\": \"fd00::/48\", \"EnableIPv4\": false}", "IPv6-only networks are not supported");
	bad_conf(V6 "\"EnableIPv4\": 0}", "EnableIPv4 must be true or false");
	bad_conf("{\"Network\": \"10.244.0.0/16\", \"EnableIPv6\": \"yes\"}", "EnableIPv6 must be true or false");
	bad_conf(V6 "\"SubnetLen\": 24}", "IPv6Network is missing");
	bad_conf(V6 "\"IPv6Network\": \"10.1.0.0/16\"}", "IPv6Network '10.1.0.0/16' is not IPv6");
	bad_conf(V6 "\"IPv6Network\": \"fd00::1/48\"}", "host bits");
	bad_conf(V6 "\"IPv6Network\": \"fd00::/125\"}", "too small");
	bad_conf(V6 "\"IPv6Network\": \"fd00::/48\", \"IPv6SubnetLen\": 127}", "IPv6SubnetLen 127 is too long");
	bad_conf(V6 "\"IPv6Network\": \"fd00::/48\", \"IPv6SubnetLen\": 49}", "IPv6SubnetLen 49 is too short");
	bad_conf(V6 "\"IPv6Network\": \"fd00::/48\", \"IPv6SubnetLen\": 129}", "IPv6SubnetLen 129 is out of range");
	bad_conf(V6 "\"IPv6Network\": \"fd00::/48\", \"IPv6SubnetMin\": \"fd01::\"}", "IPv6SubnetMin fd01:: is not in IPv6Network");
	bad_conf(V6 "\"IPv6Network\": \"fd00::/48\", \"IPv6SubnetMax\": \"fd00:0:0:5::1\"}", "not on a /64 boundary");
	bad_conf(V6 "\"IPv6Network\": \"fd00::/48\", \"IPv6SubnetMin\": \"10.0.0.0\"}", "is not IPv6");
	bad_conf(V6 "\"IPv6Network\": \"fd00::/48\", \"IPv6SubnetMin\": \"fd00:0:0:9::\", "
		 "\"IPv6SubnetMax\": \"fd00:0:0:3::\"}", "IPv6SubnetMin is above IPv6SubnetMax");
#undef V6
	/* every message names the config */
	CHECK_CONTAINS(tw_errmsg, "config");
}

static void t_subnet_keys(void)
{
	char buf[TW_SUBNET_KEYLEN];
	uint32_t s;
	uint8_t plen;

	subnet_key(A(10, 244, 3, 0), 24, buf);
	CHECK_STR(buf, "10.244.3.0-24");
	subnet_cidr(A(10, 244, 3, 0), 24, 1, buf);
	CHECK_STR(buf, "10.244.3.1/24");
	CHECK(!subnet_key_parse("10.244.3.0-24", &s, &plen));
	CHECK(s == A(10, 244, 3, 0) && plen == 24);
	/* dual-stack keys: the IPv4 part */
	CHECK(!subnet_key_parse("10.244.7.0-24&fd00:244:7::-64", &s, &plen));
	CHECK(s == A(10, 244, 7, 0) && plen == 24);
	CHECK(subnet_key_parse("10.244.3.1-24", &s, &plen) == -1);
	CHECK(subnet_key_parse("10.244.3.0", &s, &plen) == -1);
	CHECK(subnet_key_parse("10.244.3.0-", &s, &plen) == -1);
	CHECK(subnet_key_parse("10.244.3.0-24x", &s, &plen) == -1);
	CHECK(subnet_key_parse("fd00::-64", &s, &plen) == -1);
	CHECK(subnet_key_parse("10.244.7.0-24&fd00:244:7::1-64", &s, &plen) == -1);
}

static void t_lease_keys6(void)
{
	char buf[TW_SUBNET_KEYLEN];
	struct tw_lease l;

	memset(&l, 0, sizeof(l));
	CHECK(!lease_key_parse("10.244.7.0-24&fd00:244:7::-64", &l));
	CHECK(l.subnet == A(10, 244, 7, 0) && l.plen == 24 && l.has6);
	CHECK(l.subnet6.family == AF_INET6 && l.subnet6.cidr == 64);
	CHECK(!memcmp(l.subnet6.addr, "\xfd\x00\x02\x44\x00\x07\0\0", 8));
	lease_key(&l, buf);
	CHECK_STR(buf, "10.244.7.0-24&fd00:244:7::-64");
	CHECK(!lease_key_parse("10.244.3.0-24", &l));
	CHECK(!l.has6);
	lease_key(&l, buf);
	CHECK_STR(buf, "10.244.3.0-24");
	/* the longest key fits */
	CHECK(!lease_key_parse("255.255.255.252-30&ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffc-126", &l));
	lease_key(&l, buf);
	CHECK_STR(buf, "255.255.255.252-30&ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffc-126");
	tw_errmsg[0] = '\0';
	CHECK(lease_key_parse("10.244.3.0-24&fd00::", &l) == -1);
	CHECK_CONTAINS(tw_errmsg, "invalid subnet key");
	CHECK(lease_key_parse("10.244.3.0-24&fd00::-129", &l) == -1);
	CHECK(lease_key_parse("10.244.3.0-24&10.1.0.0-16", &l) == -1);
	CHECK_CONTAINS(tw_errmsg, "not IPv6");
	CHECK(lease_key_parse("10.244.3.0-24&", &l) == -1);
	CHECK(lease_key_parse("10.244.3.0-24&fd00::-64&fd01::-64", &l) == -1);
}

static void t_lease_roundtrip(void)
{
	const char *flannel = "{\"PublicIP\":\"192.0.2.7\",\"PublicIPv6\":null,"
			      "\"BackendType\":\"vxlan\",\"BackendData\":"
			      "{\"VNI\":1,\"VtepMAC\":\"02:66:6c:00:00:07\"}}";
	struct tw_lease l, m;
	char *s;

	memset(&l, 0, sizeof(l));
	CHECK(!lease_parse(flannel, strlen(flannel), &l));
	CHECK(l.public_ip.family == AF_INET);
	CHECK(!memcmp(l.public_ip.addr, "\xc0\x00\x02\x07", 4));
	CHECK(l.vni == 1 && l.has_mac);
	CHECK(!memcmp(l.mac, "\x02\x66\x6c\x00\x00\x07", 6));
	s = lease_format(&l);
	CHECK_STR(s, "{\"PublicIP\":\"192.0.2.7\",\"BackendType\":\"vxlan\","
		  "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"02:66:6c:00:00:07\"}}");
	memset(&m, 0, sizeof(m));
	CHECK(!lease_parse(s, strlen(s), &m));
	CHECK(!memcmp(&l.public_ip, &m.public_ip, sizeof(m.public_ip)));
	CHECK(!memcmp(l.mac, m.mac, 6) && m.vni == 1);
	free(s);
}

static void t_lease_dualstack(void)
{
	const char *flannel = "{\"PublicIP\":\"192.0.2.7\",\"PublicIPv6\":\"2001:db8::7\","
			      "\"BackendType\":\"vxlan\",\"BackendData\":"
			      "{\"VNI\":1,\"VtepMAC\":\"02:66:6c:00:00:07\"},"
			      "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"02:66:6c:00:06:07\"}}";
	struct tw_lease l;
	char *s;

	memset(&l, 0, sizeof(l));
	CHECK(!lease_parse(flannel, strlen(flannel), &l));
	CHECK(l.public_ip.family == AF_INET && l.public_ip6.family == AF_INET6);
	CHECK(!memcmp(l.public_ip6.addr, "\x20\x01\x0d\xb8", 4));
	/* one device carries both families: BackendData's MAC */
	CHECK(!memcmp(l.mac, "\x02\x66\x6c\x00\x00\x07", 6));
	s = lease_format(&l);
	CHECK_STR(s, "{\"PublicIP\":\"192.0.2.7\",\"PublicIPv6\":\"2001:db8::7\","
		  "\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"02:66:6c:00:00:07\"}}");
	free(s);
	/* a later parse of a lease without it forgets the old PublicIPv6 */
	flannel = "{\"PublicIP\":\"192.0.2.8\",\"BackendType\":\"vxlan\",\"BackendData\":{}}";
	CHECK(!lease_parse(flannel, strlen(flannel), &l));
	CHECK(!l.public_ip6.family);
}

static void bad_lease(const char *json, const char *msg)
{
	struct tw_lease l;

	tw_errmsg[0] = '\0';
	CHECK(lease_parse(json, strlen(json), &l) == -1);
	CHECK_CONTAINS(tw_errmsg, msg);
}

static void t_lease_errors(void)
{
	bad_lease("{", "invalid JSON");
	bad_lease("{\"BackendType\":\"vxlan\"}", "PublicIP is missing");
	bad_lease("{\"PublicIP\":\"0.0.0.0\",\"BackendType\":\"vxlan\",\"BackendData\":{}}", "PublicIP");
	bad_lease("{\"PublicIP\":\"2001:db8::1\",\"BackendType\":\"vxlan\",\"BackendData\":{}}", "not IPv4");
	bad_lease("{\"PublicIP\":\"192.0.2.1\",\"BackendType\":\"udp\"}", "not vxlan");
	bad_lease("{\"PublicIP\":\"192.0.2.1\",\"BackendType\":\"vxlan\"}", "BackendData is missing");
	bad_lease("{\"PublicIP\":\"192.0.2.1\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VtepMAC\":\"zz\"}}",
		  "VtepMAC");
	bad_lease("{\"PublicIP\":\"0.0.0.0\",\"PublicIPv6\":\"2001:db8::1\",\"BackendType\":\"vxlan\",\"BackendData\":{}}",
		  "only an IPv6 PublicIPv6: twilld's underlay is IPv4");
	bad_lease("{\"PublicIPv6\":\"2001:db8::1\",\"BackendType\":\"vxlan\",\"BackendData\":{}}",
		  "only an IPv6 PublicIPv6");
	bad_lease("{\"PublicIP\":\"192.0.2.1\",\"PublicIPv6\":\"192.0.2.1\",\"BackendType\":\"vxlan\",\"BackendData\":{}}",
		  "PublicIPv6 '192.0.2.1' is not IPv6");
	bad_lease("{\"PublicIP\":\"192.0.2.1\",\"PublicIPv6\":7,\"BackendType\":\"vxlan\",\"BackendData\":{}}",
		  "PublicIPv6 must be a string");
}

static void t_subnet_pick(void)
{
	struct tw_netconf c;
	uint32_t taken[3], out;

	CHECK(!netconf_parse("{\"Network\": \"10.1.0.0/22\", \"SubnetLen\": 24}", &c));
	CHECK(netconf_count(&c) == 3);	/* .1, .2, .3: the first is skipped */
	CHECK(!subnet_pick(&c, NULL, 0, 0, &out) && out == A(10, 1, 1, 0));
	CHECK(!subnet_pick(&c, NULL, 0, 5, &out) && out == A(10, 1, 3, 0));
	taken[0] = A(10, 1, 1, 0);
	taken[1] = A(10, 1, 3, 0);
	CHECK(!subnet_pick(&c, taken, 2, 0, &out) && out == A(10, 1, 2, 0));
	CHECK(!subnet_pick(&c, taken, 2, 2, &out) && out == A(10, 1, 2, 0));
	taken[1] = A(10, 1, 2, 0);
	taken[2] = A(10, 1, 3, 0);
	tw_errmsg[0] = '\0';
	CHECK(subnet_pick(&c, taken, 3, 1, &out) == -1);
	CHECK_CONTAINS(tw_errmsg, "the network is full: all 3 subnets /24 from 10.1.1.0 to 10.1.3.0");
}

static void t_subnet_pick6(void)
{
	struct tw_netconf c;
	uint8_t taken[3][16];
	struct tw_prefix out;

	CHECK(!netconf_parse("{\"Network\": \"10.1.0.0/16\", \"EnableIPv6\": true, "
			     "\"IPv6Network\": \"fd00::/62\"}", &c));
	CHECK(netconf_count6(&c) == 3);	/* :1::, :2::, :3:: */
	CHECK(!subnet_pick6(&c, NULL, 0, 0, &out));
	CHECK(out.family == AF_INET6 && out.cidr == 64);
	CHECK(!memcmp(out.addr, "\xfd\0\0\0\0\0\0\x01" "\0\0\0\0\0\0\0\0", 16));
	CHECK(!subnet_pick6(&c, NULL, 0, 5, &out) && out.addr[7] == 3);
	memset(taken, 0, sizeof(taken));
	taken[0][0] = taken[1][0] = taken[2][0] = 0xfd;
	taken[0][7] = 1;
	taken[1][7] = 3;
	CHECK(!subnet_pick6(&c, (const uint8_t (*)[16])taken, 2, 0, &out) && out.addr[7] == 2);
	CHECK(!subnet_pick6(&c, (const uint8_t (*)[16])taken, 2, 2, &out) && out.addr[7] == 2);
	taken[1][7] = 2;
	taken[2][7] = 3;
	tw_errmsg[0] = '\0';
	CHECK(subnet_pick6(&c, (const uint8_t (*)[16])taken, 3, 1, &out) == -1);
	CHECK_CONTAINS(tw_errmsg, "the IPv6 network is full: all 3 subnets /64 from fd00:0:0:1:: to fd00:0:0:3::");
	/* a start near the top of a huge range wraps, not overflows */
	CHECK(!netconf_parse("{\"Network\": \"10.1.0.0/16\", \"EnableIPv6\": true, "
			     "\"IPv6Network\": \"fd00::/8\", \"IPv6SubnetLen\": 126}", &c));
	CHECK(!subnet_pick6(&c, NULL, 0, UINT64_MAX - 1, &out));
	CHECK(out.cidr == 126 && out.addr[0] == 0xfd);
}

static void t_base64(void)
{
	const char *cases[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "/coreos.com/network/subnets/", "L2NvcmVvcy5jb20vbmV0d29yay9zdWJuZXRzLw==" },
	};
	size_t i, len;
	char *s, *d;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = b64_encode(cases[i][0], strlen(cases[i][0]));
		CHECK_STR(s, cases[i][1]);
		CHECK(!b64_decode(s, &d, &len));
		CHECK(len == strlen(cases[i][0]));
		CHECK_STR(d, cases[i][0]);
		free(s);
		free(d);
	}
	CHECK(b64_decode("Zg=", &d, &len) == -1);
	CHECK(b64_decode("Z!==", &d, &len) == -1);
	CHECK(b64_decode("Zg==Zg==", &d, &len) == -1);
	CHECK(b64_decode("=Zg=", &d, &len) == -1);
	s = prefix_end("/coreos.com/network/subnets/");
	CHECK_STR(s, "/coreos.com/network/subnets0");
	free(s);
}

const struct test cluster_tests[] = {
	{ "cluster: config defaults", t_netconf_defaults },
	{ "cluster: config with every key", t_netconf_full },
	{ "cluster: config with IPv6 (dual-stack)", t_netconf_ipv6 },
	{ "cluster: config errors", t_netconf_errors },
	{ "cluster: subnet keys", t_subnet_keys },
	{ "cluster: dual-stack lease keys", t_lease_keys6 },
	{ "cluster: lease round trip (flannel's format)", t_lease_roundtrip },
	{ "cluster: dual-stack lease value", t_lease_dualstack },
	{ "cluster: lease errors", t_lease_errors },
	{ "cluster: subnet pick, full network", t_subnet_pick },
	{ "cluster: IPv6 subnet pick, full network", t_subnet_pick6 },
	{ "cluster: base64 and range end", t_base64 },
};
const size_t cluster_tests_count = sizeof(cluster_tests) / sizeof(cluster_tests[0]);
