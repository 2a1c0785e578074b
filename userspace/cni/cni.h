/* SPDX-License-Identifier: GPL-2.0 */
/*
 * twill-cni: the CNI plugin of type "twill".  A veth pair into the
 * container's namespace, point to point: the container's addresses are
 * host addresses (/32, /128) on its end, its default route goes through
 * the host's end, which holds the gateway's address and a host route to
 * each of the container's addresses.  IPAM is delegated to another plugin
 * (by default host-local, with this host's subnet from twilld's subnet
 * file, as flannel's plugin does).
 *
 * The pure parts (configuration, results, errors) are in conf.c and
 * result.c and unit-tested; ipam.c runs the delegate, link.c does the
 * rtnetlink work, main.c the commands.
 */
#ifndef TWILL_CNI_H
#define TWILL_CNI_H

#include <json-c/json.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "subnetenv.h"

#define CNI_SPEC_VERSION "1.0.0"
#define CNI_DEFAULT_DEVICE "twill0"
#define CNI_DEFAULT_SUBNET_FILE "/run/twill/subnet.env"
#define CNI_DEFAULT_DATA_DIR "/var/lib/cni/twill"
#define CNI_DEFAULT_IPAM "host-local"

/* The spec's error codes (0-99), then twill-cni's own (100+). */
enum {
	CNI_E_VERSION = 1,	/* incompatible CNI version */
	CNI_E_FIELD = 2,	/* unsupported field in the network config */
	CNI_E_CONTAINER = 3,	/* container unknown or does not exist */
	CNI_E_ENV = 4,		/* invalid necessary environment variables */
	CNI_E_IO = 5,		/* I/O failure */
	CNI_E_DECODE = 6,	/* failed to decode content */
	CNI_E_CONFIG = 7,	/* invalid network config */
	CNI_E_AGAIN = 11,	/* try again later */
	CNI_E_NOT_AVAILABLE = 50,	/* STATUS: the plugin is not available */
	CNI_E_CHECK = 100,	/* CHECK: the attachment is not as ADD made it */
	CNI_E_NETLINK = 101,	/* the kernel refused a change */
	CNI_E_IPAM = 102,	/* the IPAM plugin failed without a code */
};

/* The code of the last error; its message is tw_errmsg. */
extern int cni_code;
/* Sets cni_code and tw_errmsg; returns -1. */
int cni_err(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The spec's error object (a new object). */
json_object *cni_error_json(const char *version, int code, const char *msg);

/* Whether twill-cni speaks this cniVersion; the list of those it does. */
bool cni_version_supported(const char *v);
json_object *cni_versions_json(void);
/* <0, 0, >0 as version a is before, equal to, after b ("0.4.0" < "1.0.0"). */
int cni_version_cmp(const char *a, const char *b);

/* The network configuration (stdin). */
struct cni_conf {
	json_object *root;	/* the whole document; the rest points into it */
	const char *version, *name, *type;
	json_object *ipam;	/* "ipam", NULL if absent */
	json_object *prev;	/* "prevResult", NULL if absent */
	uint32_t mtu;		/* "mtu", 0: the device's */
	char device[IFNAMSIZ];	/* "device" */
	const char *subnet_file;	/* "subnetFile" */
	const char *data_dir;	/* "dataDir" */
};

/*
 * Parses and checks a network configuration.  -1 with cni_code and
 * tw_errmsg: CNI_E_DECODE (not JSON, not an object), CNI_E_VERSION
 * (cniVersion missing or not spoken), CNI_E_CONFIG (a key of the wrong
 * type or out of range, a missing name, a type other than "twill").
 */
int cni_conf_parse(const char *text, struct cni_conf *c);
void cni_conf_free(struct cni_conf *c);

/* Whether the IPAM configuration needs the subnet file. */
bool cni_ipam_needs_subnet(const struct cni_conf *c);
/*
 * The IPAM configuration to delegate to: "ipam" if given, else
 * {"type": "host-local"}; a host-local one without "ranges" or "subnet"
 * gets this host's subnets from the subnet file (se), and one without
 * "routes" the default routes of those families.  A new object; NULL with
 * cni_code CNI_E_CONFIG if "ipam" has no "type" or se has no subnet.
 */
json_object *cni_ipam_conf(const struct cni_conf *c,
			   const struct tw_subnetenv *se);
/*
 * The document the delegate reads on stdin: the configuration with "ipam"
 * replaced by ipam and cniVersion at most 1.0.0 (what Debian's plugins
 * speak; 1.1.0's results are 1.0.0's).  A new object.
 */
json_object *cni_delegate_conf(const struct cni_conf *c, json_object *ipam);

#define CNI_MAX_IPS 8
#define CNI_MAX_ROUTES 32
#define CNI_MAX_IFACES 8

struct cni_ip {
	struct tw_addr addr;
	uint8_t plen;
	struct tw_addr gw;	/* family 0: none */
	int iface;		/* index into interfaces, -1: none */
};

struct cni_route {
	struct tw_addr dst;
	uint8_t plen;
	struct tw_addr gw;	/* family 0: the address's gateway */
};

struct cni_iface {
	char name[IFNAMSIZ];
	uint8_t mac[TW_MAC_LEN];
	char sandbox[256];	/* "": on the host */
};

struct cni_result {
	struct cni_iface ifaces[CNI_MAX_IFACES];	/* ours: 0 host, 1 container */
	size_t n_ifaces;
	struct cni_ip ips[CNI_MAX_IPS];
	size_t n_ips;
	struct cni_route routes[CNI_MAX_ROUTES];
	size_t n_routes;
	json_object *dns;	/* a reference, NULL if none */
};

/*
 * Reads a result (an IPAM plugin's, or a prevResult): its ips, routes,
 * interfaces and dns.  -1 with cni_code CNI_E_DECODE on a malformed one.
 */
int cni_result_parse(json_object *o, struct cni_result *r);
void cni_result_free(struct cni_result *r);
/* The result as the spec's JSON for this cniVersion (a new object). */
json_object *cni_result_json(const struct cni_result *r, const char *version);
/*
 * A chained ADD's result: the previous plugins' (prevResult) with ours
 * appended (interfaces, ips with their interface indexes moved, routes;
 * our dns if it had none), in our cniVersion.  A new object; NULL if prev
 * cannot be copied.
 */
json_object *cni_result_merge(json_object *prev, json_object *ours);

/* The host end's name for a container's interface: "tw" + 8 hex digits. */
void cni_host_ifname(const char *container_id, const char *ifname,
		     char out[IFNAMSIZ]);
/* Environment values as the spec allows them; -1 with CNI_E_ENV. */
int cni_check_container_id(const char *id);
int cni_check_ifname(const char *name);

#endif
