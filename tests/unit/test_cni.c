// SPDX-License-Identifier: GPL-2.0
/* twill-cni's pure parts: the subnet file, configuration, results, errors. */
#include "test.h"
#include "cni.h"
#include "parse.h"
#include "subnetenv.h"
#include "util.h"

#include <stdlib.h>

static const char *pfx(const struct tw_prefix *p)
{
	static char buf[4][TW_PREFIX_STRLEN];
	static int i;

	i = (i + 1) % 4;
	return p->family ? fmt_prefix(p, buf[i]) : "none";
}

static const char *js(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* ---- the subnet file ---- */

static void t_subnetenv_parse(void)
{
	struct tw_subnetenv e;

	CHECK(!subnetenv_parse("FLANNEL_NETWORK=10.244.0.0/16\n"
			       "FLANNEL_SUBNET=10.244.3.1/24\n"
			       "FLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n", &e));
	CHECK_STR(pfx(&e.network), "10.244.0.0/16");
	CHECK_STR(pfx(&e.subnet), "10.244.3.0/24");
	CHECK(!e.subnet6.family && !e.network6.family);
	CHECK(e.mtu == 1450 && e.ipmasq);
	/* dual stack, comments, blanks, CRLF, unknown keys, no last newline */
	CHECK(!subnetenv_parse("# written by twilld\n\n"
			       "FLANNEL_SUBNET=10.244.3.1/24\r\n"
			       "FLANNEL_IPV6_NETWORK=fd00:244::/48\n"
			       "FLANNEL_IPV6_SUBNET=fd00:244:0:3::1/64\n"
			       "FLANNEL_FUTURE=whatever\n"
			       "FLANNEL_IPMASQ=false", &e));
	CHECK_STR(pfx(&e.subnet6), "fd00:244:0:3::/64");
	CHECK_STR(pfx(&e.network6), "fd00:244::/48");
	CHECK(!e.network.family && !e.mtu && !e.ipmasq);
	/* IPv6 only */
	CHECK(!subnetenv_parse("FLANNEL_IPV6_SUBNET=fd00::1/64\n", &e));
	CHECK(!e.subnet.family && e.subnet6.family == AF_INET6);
}

static void bad_env(const char *text, const char *msg)
{
	struct tw_subnetenv e;

	tw_errmsg[0] = '\0';
	CHECK(subnetenv_parse(text, &e) == -1);
	CHECK_CONTAINS(tw_errmsg, msg);
}

static void t_subnetenv_bad(void)
{
	bad_env("", "no FLANNEL_SUBNET");
	bad_env("FLANNEL_NETWORK=10.244.0.0/16\n", "no FLANNEL_SUBNET");
	bad_env("FLANNEL_SUBNET=10.244.3.1/24\ngarbage\n", "line 2: expected KEY=VALUE");
	bad_env("FLANNEL_SUBNET=10.244.3.1/33\n", "line 1: FLANNEL_SUBNET: invalid prefix");
	bad_env("FLANNEL_SUBNET=fd00::1/64\n", "FLANNEL_SUBNET: 'fd00::1/64' is not an IPv4 prefix");
	bad_env("FLANNEL_IPV6_SUBNET=10.0.0.1/24\n", "is not an IPv6 prefix");
	bad_env("FLANNEL_SUBNET=10.244.3.1/24\nFLANNEL_MTU=abc\n", "line 2: FLANNEL_MTU");
	bad_env("FLANNEL_SUBNET=10.244.3.1/24\nFLANNEL_MTU=20\n", "not 68-65535");
	bad_env("FLANNEL_SUBNET=10.244.3.1/24\nFLANNEL_IPMASQ=yes\n", "not true or false");
	bad_env("FLANNEL_SUBNET=", "FLANNEL_SUBNET: invalid prefix");
}

static void t_subnetenv_format(void)
{
	struct tw_subnetenv e, back;
	char buf[512];

	CHECK(!subnetenv_parse("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.3.0/24\n"
			       "FLANNEL_IPV6_NETWORK=fd00:244::/48\nFLANNEL_IPV6_SUBNET=fd00:244:0:3::/64\n"
			       "FLANNEL_MTU=1450\n", &e));
	subnetenv_format(&e, buf, sizeof(buf));
	/* flannel's file: the subnets as their first address */
	CHECK_STR(buf, "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.3.1/24\n"
		  "FLANNEL_IPV6_NETWORK=fd00:244::/48\nFLANNEL_IPV6_SUBNET=fd00:244:0:3::1/64\n"
		  "FLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n");
	CHECK(!subnetenv_parse(buf, &back));
	CHECK(!memcmp(&e, &back, sizeof(e)));
	/* a short buffer is cut, never overrun */
	memset(buf, 'x', sizeof(buf));
	subnetenv_format(&e, buf, 10);
	CHECK(strlen(buf) == 9 && buf[11] == 'x');
}

/* ---- the network configuration ---- */

static void t_conf_minimal(void)
{
	struct cni_conf c;

	CHECK(!cni_conf_parse("{\"cniVersion\":\"1.0.0\",\"name\":\"pods\",\"type\":\"twill\"}", &c));
	CHECK_STR(c.version, "1.0.0");
	CHECK_STR(c.name, "pods");
	CHECK_STR(c.device, "twill0");
	CHECK_STR(c.subnet_file, "/run/twill/subnet.env");
	CHECK_STR(c.data_dir, "/var/lib/cni/twill");
	CHECK(!c.mtu && !c.ipam && !c.prev);
	CHECK(cni_ipam_needs_subnet(&c));
	cni_conf_free(&c);
}

static void t_conf_full(void)
{
	struct cni_conf c;

	CHECK(!cni_conf_parse("{\"cniVersion\":\"0.4.0\",\"name\":\"p-1.x_y\",\"type\":\"twill\","
			      "\"mtu\":1400,\"device\":\"tw1\",\"subnetFile\":\"/tmp/s.env\","
			      "\"dataDir\":\"/tmp/d\",\"ipam\":{\"type\":\"static\"},"
			      "\"prevResult\":{\"ips\":[]},\"unknownKey\":[1,2]}\n  ", &c));
	CHECK(c.mtu == 1400);
	CHECK_STR(c.device, "tw1");
	CHECK_STR(c.subnet_file, "/tmp/s.env");
	CHECK_STR(c.data_dir, "/tmp/d");
	CHECK(c.ipam && c.prev);
	CHECK(!cni_ipam_needs_subnet(&c));
	cni_conf_free(&c);
	/* host-local with its own ranges does not need the file */
	CHECK(!cni_conf_parse("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"twill\","
			      "\"ipam\":{\"type\":\"host-local\",\"ranges\":[]}}", &c));
	CHECK(!cni_ipam_needs_subnet(&c));
	cni_conf_free(&c);
}

static void bad_conf(const char *json, int code, const char *msg)
{
	struct cni_conf c;

	tw_errmsg[0] = '\0';
	cni_code = 0;
	CHECK(cni_conf_parse(json, &c) == -1);
	CHECK(cni_code == code);
	if (cni_code != code)
		fprintf(stderr, "    code %d, want %d: %s\n", cni_code, code, json);
	CHECK_CONTAINS(tw_errmsg, msg);
	CHECK(!c.root);
}

static void t_conf_bad(void)
{
	bad_conf("", CNI_E_DECODE, "no network configuration on stdin");
	bad_conf("  \n", CNI_E_DECODE, "no network configuration on stdin");
	bad_conf("{\"cniVersion\":", CNI_E_DECODE, "not JSON");
	bad_conf("{} {}", CNI_E_DECODE, "not JSON: trailing data");
	bad_conf("[1]", CNI_E_DECODE, "not a JSON object");
	bad_conf("\"x\"", CNI_E_DECODE, "not a JSON object");
	bad_conf("{\"name\":\"a\",\"type\":\"twill\"}", CNI_E_VERSION, "no \"cniVersion\"");
	bad_conf("{\"cniVersion\":\"2.0.0\",\"name\":\"a\",\"type\":\"twill\"}",
		 CNI_E_VERSION, "cniVersion \"2.0.0\" is not supported");
	bad_conf("{\"cniVersion\":1,\"name\":\"a\",\"type\":\"twill\"}",
		 CNI_E_CONFIG, "\"cniVersion\" must be a string");
	bad_conf("{\"cniVersion\":\"1.0.0\",\"type\":\"twill\"}", CNI_E_CONFIG, "no \"name\"");
	bad_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"../x\",\"type\":\"twill\"}",
		 CNI_E_CONFIG, "not a valid network name");
	bad_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"a\"}", CNI_E_CONFIG, "not \"twill\"");
	bad_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"type\":\"bridge\"}",
		 CNI_E_CONFIG, "\"type\" is \"bridge\"");
	bad_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"type\":\"twill\",\"mtu\":\"1400\"}",
		 CNI_E_CONFIG, "\"mtu\" must be an integer");
	bad_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"type\":\"twill\",\"mtu\":67}",
		 CNI_E_CONFIG, "\"mtu\" 67 is not 68-65535");
	bad_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"type\":\"twill\",\"mtu\":99999999999}",
		 CNI_E_CONFIG, "is not 68-65535");
	bad_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"type\":\"twill\",\"mtu\":1400.5}",
		 CNI_E_CONFIG, "\"mtu\" must be an integer");
	bad_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"type\":\"twill\",\"device\":\"a/b\"}",
		 CNI_E_CONFIG, "\"device\": invalid interface name");
	bad_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"type\":\"twill\",\"device\":\"0123456789abcdef\"}",
		 CNI_E_CONFIG, "\"device\"");
	bad_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"type\":\"twill\",\"ipam\":\"host-local\"}",
		 CNI_E_CONFIG, "\"ipam\" must be an object");
	bad_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"type\":\"twill\",\"prevResult\":[]}",
		 CNI_E_CONFIG, "\"prevResult\" must be an object");
	bad_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"type\":\"twill\",\"subnetFile\":\"\"}",
		 CNI_E_CONFIG, "\"subnetFile\" is empty");
	bad_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"type\":\"twill\",\"dataDir\":\"\"}",
		 CNI_E_CONFIG, "\"dataDir\" is empty");
}

static void t_versions(void)
{
	json_object *v;

	CHECK(cni_version_cmp("0.4.0", "1.0.0") < 0);
	CHECK(cni_version_cmp("1.1.0", "1.0.0") > 0);
	CHECK(cni_version_cmp("0.3.1", "0.3.0") > 0);
	CHECK(!cni_version_cmp("1.0.0", "1.0.0"));
	CHECK(cni_version_supported("0.3.0") && cni_version_supported("1.1.0"));
	CHECK(!cni_version_supported("0.2.0") && !cni_version_supported("1.0"));
	v = cni_versions_json();
	CHECK_STR(js(v), "[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]");
	json_object_put(v);
}

/* ---- the delegate's configuration ---- */

static json_object *ipam_for(const char *conf, const char *env)
{
	struct tw_subnetenv e;
	struct cni_conf c;
	json_object *o, *d;

	CHECK(!cni_conf_parse(conf, &c));
	CHECK(!env || !subnetenv_parse(env, &e));
	o = cni_ipam_conf(&c, env ? &e : NULL);
	d = o ? cni_delegate_conf(&c, o) : NULL;
	json_object_put(o);
	cni_conf_free(&c);
	return d;
}

static void t_ipam_default(void)
{
	json_object *d;

	/* flannel's plugin: host-local over the subnet file's subnets */
	d = ipam_for("{\"cniVersion\":\"1.0.0\",\"name\":\"pods\",\"type\":\"twill\"}",
		     "FLANNEL_SUBNET=10.244.3.1/24\nFLANNEL_IPV6_SUBNET=fd00:244:0:3::1/64\n");
	CHECK_STR(js(d), "{\"cniVersion\":\"1.0.0\",\"name\":\"pods\",\"type\":\"twill\","
		  "\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"10.244.3.0/24\"}],"
		  "[{\"subnet\":\"fd00:244:0:3::/64\"}]],"
		  "\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"::/0\"}]}}");
	json_object_put(d);
	/* 1.1.0 goes to Debian's plugins as 1.0.0; the user's keys are kept */
	d = ipam_for("{\"cniVersion\":\"1.1.0\",\"name\":\"pods\",\"type\":\"twill\","
		     "\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"/tmp/x\","
		     "\"routes\":[{\"dst\":\"10.0.0.0/8\"}]}}",
		     "FLANNEL_SUBNET=10.244.3.1/24\n");
	CHECK_STR(js(d), "{\"cniVersion\":\"1.0.0\",\"name\":\"pods\",\"type\":\"twill\","
		  "\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"/tmp/x\","
		  "\"routes\":[{\"dst\":\"10.0.0.0/8\"}],"
		  "\"ranges\":[[{\"subnet\":\"10.244.3.0/24\"}]]}}");
	json_object_put(d);
	/* another IPAM plugin: as given, no subnet file needed */
	d = ipam_for("{\"cniVersion\":\"0.4.0\",\"name\":\"pods\",\"type\":\"twill\","
		     "\"ipam\":{\"type\":\"static\",\"addresses\":[]}}", NULL);
	CHECK_STR(js(d), "{\"cniVersion\":\"0.4.0\",\"name\":\"pods\",\"type\":\"twill\","
		  "\"ipam\":{\"type\":\"static\",\"addresses\":[]}}");
	json_object_put(d);
}

static void t_ipam_bad(void)
{
	cni_code = 0;
	CHECK(!ipam_for("{\"cniVersion\":\"1.0.0\",\"name\":\"p\",\"type\":\"twill\","
			"\"ipam\":{\"dataDir\":\"/x\"}}", NULL));
	CHECK(cni_code == CNI_E_CONFIG);
	CHECK_CONTAINS(tw_errmsg, "\"ipam\" has no \"type\"");
	cni_code = 0;
	CHECK(!ipam_for("{\"cniVersion\":\"1.0.0\",\"name\":\"p\",\"type\":\"twill\","
			"\"ipam\":{\"type\":\"../../bin/sh\"}}", NULL));
	CHECK(cni_code == CNI_E_CONFIG);
	CHECK_CONTAINS(tw_errmsg, "is not a plugin name");
	cni_code = 0;
	CHECK(!ipam_for("{\"cniVersion\":\"1.0.0\",\"name\":\"p\",\"type\":\"twill\"}", NULL));
	CHECK(cni_code == CNI_E_CONFIG);
	CHECK_CONTAINS(tw_errmsg, "no subnet for host-local");
}

/* ---- results ---- */

static const char ipam_result[] =
	"{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.244.3.2/24\",\"gateway\":\"10.244.3.1\"},"
	"{\"address\":\"fd00:244:0:3::2/64\",\"gateway\":\"fd00:244:0:3::1\"}],"
	"\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"::/0\",\"gw\":\"fd00:244:0:3::1\"}],"
	"\"dns\":{\"nameservers\":[\"10.96.0.10\"]}}";

static void t_result_parse(void)
{
	json_object *o = json_tokener_parse(ipam_result);
	struct cni_result r;
	char a[TW_ADDR_STRLEN];

	CHECK(!cni_result_parse(o, &r));
	CHECK(r.n_ips == 2 && r.n_routes == 2 && !r.n_ifaces);
	CHECK_STR(fmt_addr(&r.ips[0].addr, a), "10.244.3.2");
	CHECK(r.ips[0].plen == 24 && r.ips[0].iface == -1);
	CHECK_STR(fmt_addr(&r.ips[1].gw, a), "fd00:244:0:3::1");
	CHECK(r.routes[0].plen == 0 && !r.routes[0].gw.family);
	CHECK(r.routes[1].gw.family == AF_INET6);
	CHECK(r.dns != NULL);
	cni_result_free(&r);
	json_object_put(o);
}

static void bad_result(const char *json, const char *msg)
{
	json_object *o = json_tokener_parse(json);
	struct cni_result r;

	cni_code = 0;
	CHECK(o != NULL);
	CHECK(cni_result_parse(o, &r) == -1);
	CHECK(cni_code == CNI_E_DECODE);
	CHECK_CONTAINS(tw_errmsg, msg);
	cni_result_free(&r);
	json_object_put(o);
}

static void t_result_bad(void)
{
	bad_result("[]", "not a JSON object");
	bad_result("{\"ips\":{}}", "\"ips\" is not an array");
	bad_result("{\"ips\":[1]}", "an ips entry is not an object");
	bad_result("{\"ips\":[{}]}", "address \"(not a string)\" is invalid");
	bad_result("{\"ips\":[{\"address\":\"10.0.0.1\"}]}", "address \"10.0.0.1\" is invalid");
	bad_result("{\"ips\":[{\"address\":\"10.0.0.300/24\"}]}", "is invalid");
	bad_result("{\"ips\":[{\"address\":\"10.0.0.2/24\",\"gateway\":\"fd00::1\"}]}",
		   "gateway \"fd00::1\" is invalid");
	bad_result("{\"ips\":[{\"address\":\"10.0.0.2/24\",\"gateway\":5}]}", "gateway");
	bad_result("{\"ips\":[{\"address\":\"10.0.0.2/24\",\"interface\":-1}]}", "interface is invalid");
	bad_result("{\"ips\":[{\"address\":\"10.0.0.2/24\",\"interface\":1}],"
		   "\"interfaces\":[{\"name\":\"eth0\"}]}", "names interface 1 of 1");
	bad_result("{\"routes\":[{\"gw\":\"10.0.0.1\"}]}", "dst");
	bad_result("{\"routes\":[{\"dst\":\"::/0\",\"gw\":\"10.0.0.1\"}]}", "gw \"10.0.0.1\"");
	bad_result("{\"interfaces\":[{\"name\":\"a/b\"}]}", "interface name");
	bad_result("{\"interfaces\":[{\"name\":\"eth0\",\"mac\":\"zz\"}]}", "mac \"zz\"");
	bad_result("{\"ips\":[{\"address\":\"10.0.0.1/8\"},{\"address\":\"10.0.0.2/8\"},"
		   "{\"address\":\"10.0.0.3/8\"},{\"address\":\"10.0.0.4/8\"},{\"address\":\"10.0.0.5/8\"},"
		   "{\"address\":\"10.0.0.6/8\"},{\"address\":\"10.0.0.7/8\"},{\"address\":\"10.0.0.8/8\"},"
		   "{\"address\":\"10.0.0.9/8\"}]}", "more than 8 ips");
}

static struct cni_result sample(void)
{
	json_object *o = json_tokener_parse(ipam_result);
	struct cni_result r;

	CHECK(!cni_result_parse(o, &r));
	json_object_put(o);
	r.n_ifaces = 2;
	snprintf(r.ifaces[0].name, IFNAMSIZ, "tw0011aabb");
	CHECK(!parse_mac("02:00:00:00:00:01", r.ifaces[0].mac));
	snprintf(r.ifaces[1].name, IFNAMSIZ, "eth0");
	CHECK(!parse_mac("02:00:00:00:00:02", r.ifaces[1].mac));
	snprintf(r.ifaces[1].sandbox, sizeof(r.ifaces[1].sandbox), "/var/run/netns/c1");
	r.ips[0].plen = 32;
	r.ips[1].plen = 128;
	r.ips[0].iface = r.ips[1].iface = 1;
	return r;
}

static void t_result_json(void)
{
	struct cni_result r = sample(), back;
	json_object *o;

	o = cni_result_json(&r, "1.0.0");
	CHECK_STR(js(o), "{\"cniVersion\":\"1.0.0\",\"interfaces\":["
		  "{\"name\":\"tw0011aabb\",\"mac\":\"02:00:00:00:00:01\"},"
		  "{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:02\",\"sandbox\":\"/var/run/netns/c1\"}],"
		  "\"ips\":[{\"address\":\"10.244.3.2/32\",\"gateway\":\"10.244.3.1\",\"interface\":1},"
		  "{\"address\":\"fd00:244:0:3::2/128\",\"gateway\":\"fd00:244:0:3::1\",\"interface\":1}],"
		  "\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"::/0\",\"gw\":\"fd00:244:0:3::1\"}],"
		  "\"dns\":{\"nameservers\":[\"10.96.0.10\"]}}");
	/* what ADD prints, CHECK reads back as prevResult */
	CHECK(!cni_result_parse(o, &back));
	CHECK(back.n_ips == 2 && back.n_routes == 2 && back.n_ifaces == 2);
	CHECK(!memcmp(back.ips, r.ips, sizeof(r.ips[0]) * 2));
	CHECK(!memcmp(back.routes, r.routes, sizeof(r.routes[0]) * 2));
	CHECK(!memcmp(back.ifaces, r.ifaces, sizeof(r.ifaces)));
	cni_result_free(&back);
	json_object_put(o);
	/* 0.3.x and 0.4.0 results name each address's family */
	o = cni_result_json(&r, "0.4.0");
	CHECK_CONTAINS(js(o), "\"ips\":[{\"version\":\"4\",\"address\":\"10.244.3.2/32\"");
	CHECK_CONTAINS(js(o), "{\"version\":\"6\",\"address\":\"fd00:244:0:3::2/128\"");
	json_object_put(o);
	cni_result_free(&r);
	/* no DNS from IPAM: an empty object */
	memset(&r, 0, sizeof(r));
	o = cni_result_json(&r, "1.0.0");
	CHECK_STR(js(o), "{\"cniVersion\":\"1.0.0\",\"interfaces\":[],\"ips\":[],\"routes\":[],\"dns\":{}}");
	json_object_put(o);
}

static void t_result_merge(void)
{
	struct cni_result r = sample();
	json_object *ours = cni_result_json(&r, "1.0.0"), *prev, *m;

	/* after a plugin that made one interface and an address on it */
	prev = json_tokener_parse("{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"x0\"}],"
				  "\"ips\":[{\"address\":\"192.168.0.2/24\",\"interface\":0}],"
				  "\"dns\":{}}");
	m = cni_result_merge(prev, ours);
	CHECK_STR(js(m), "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"x0\"},"
		  "{\"name\":\"tw0011aabb\",\"mac\":\"02:00:00:00:00:01\"},"
		  "{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:02\",\"sandbox\":\"/var/run/netns/c1\"}],"
		  "\"ips\":[{\"address\":\"192.168.0.2/24\",\"interface\":0},"
		  "{\"address\":\"10.244.3.2/32\",\"gateway\":\"10.244.3.1\",\"interface\":2},"
		  "{\"address\":\"fd00:244:0:3::2/128\",\"gateway\":\"fd00:244:0:3::1\",\"interface\":2}],"
		  "\"dns\":{\"nameservers\":[\"10.96.0.10\"]},"
		  "\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"::/0\",\"gw\":\"fd00:244:0:3::1\"}]}");
	/* ours is untouched */
	CHECK_CONTAINS(js(ours), "\"interface\":1}");
	json_object_put(m);
	json_object_put(prev);
	/* an empty prevResult: ours alone */
	prev = json_tokener_parse("{}");
	m = cni_result_merge(prev, ours);
	CHECK_STR(js(m), js(ours));
	json_object_put(m);
	json_object_put(prev);
	json_object_put(ours);
	cni_result_free(&r);
}

static void t_error_json(void)
{
	json_object *o;

	o = cni_error_json("0.4.0", CNI_E_CONFIG, "bad \"mtu\"");
	CHECK_STR(js(o), "{\"cniVersion\":\"0.4.0\",\"code\":7,\"msg\":\"bad \\\"mtu\\\"\"}");
	json_object_put(o);
	/* an unknown or missing version: the plugin's own */
	o = cni_error_json("9.9.9", CNI_E_VERSION, "x");
	CHECK_STR(js(o), "{\"cniVersion\":\"1.0.0\",\"code\":1,\"msg\":\"x\"}");
	json_object_put(o);
	o = cni_error_json(NULL, CNI_E_DECODE, "y");
	CHECK_STR(js(o), "{\"cniVersion\":\"1.0.0\",\"code\":6,\"msg\":\"y\"}");
	json_object_put(o);
	CHECK(cni_err(CNI_E_IO, "disk %s", "full") == -1);
	CHECK(cni_code == CNI_E_IO);
	CHECK_STR(tw_errmsg, "disk full");
}

static void t_env_checks(void)
{
	char a[IFNAMSIZ], b[IFNAMSIZ];

	CHECK(!cni_check_container_id("0123abc-def_1.2"));
	CHECK(cni_check_container_id(NULL) && cni_code == CNI_E_ENV);
	CHECK(cni_check_container_id("") && cni_code == CNI_E_ENV);
	CHECK(cni_check_container_id("../etc") && cni_code == CNI_E_ENV);
	CHECK(cni_check_container_id("a/b") && cni_code == CNI_E_ENV);
	CHECK(cni_check_container_id("a:b") && cni_code == CNI_E_ENV);
	CHECK(!cni_check_ifname("eth0"));
	CHECK(cni_check_ifname(NULL) && cni_code == CNI_E_ENV);
	CHECK(cni_check_ifname("..") && cni_code == CNI_E_ENV);
	CHECK(cni_check_ifname("a:b") && cni_code == CNI_E_ENV);
	CHECK(cni_check_ifname("a\tb") && cni_code == CNI_E_ENV);
	CHECK(cni_check_ifname("0123456789abcdef") && cni_code == CNI_E_ENV);
	/* the host end: stable, "tw" + 8 hex, differs by container and name */
	cni_host_ifname("c1", "eth0", a);
	cni_host_ifname("c1", "eth0", b);
	CHECK_STR(a, b);
	CHECK(strlen(a) == 10 && !strncmp(a, "tw", 2));
	CHECK(strspn(a + 2, "0123456789abcdef") == 8);
	cni_host_ifname("c2", "eth0", b);
	CHECK(strcmp(a, b) != 0);
	cni_host_ifname("c1", "eth1", b);
	CHECK(strcmp(a, b) != 0);
	cni_host_ifname("c1e", "th0", b);
	CHECK(strcmp(a, b) != 0);
}

const struct test cni_tests[] = {
	{ "subnetenv_parse", t_subnetenv_parse },
	{ "subnetenv_bad", t_subnetenv_bad },
	{ "subnetenv_format", t_subnetenv_format },
	{ "cni_conf_minimal", t_conf_minimal },
	{ "cni_conf_full", t_conf_full },
	{ "cni_conf_bad", t_conf_bad },
	{ "cni_versions", t_versions },
	{ "cni_ipam_default", t_ipam_default },
	{ "cni_ipam_bad", t_ipam_bad },
	{ "cni_result_parse", t_result_parse },
	{ "cni_result_bad", t_result_bad },
	{ "cni_result_json", t_result_json },
	{ "cni_result_merge", t_result_merge },
	{ "cni_error_json", t_error_json },
	{ "cni_env_checks", t_env_checks },
};
const size_t cni_tests_count = TW_ARRAY_SIZE(cni_tests);
