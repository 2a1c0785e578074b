/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cluster's data in etcd, in flannel's formats: the network
 * configuration (<prefix>/config), the subnet leases
 * (<prefix>/subnets/10.244.3.0-24 = {"PublicIP": ..., "BackendType":
 * "vxlan", "BackendData": {"VNI": 1, "VtepMAC": "..."}}), and the subnet
 * arithmetic.  Nothing here does I/O, so all of it is unit-tested.
 */
#ifndef TWILLD_CLUSTER_H
#define TWILLD_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define TW_DEFAULT_PREFIX "/coreos.com/network"
/* "255.255.255.255-32&ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff-128" */
#define TW_SUBNET_KEYLEN 96

/*
 * <prefix>/config.  IPv4 addresses in host byte order; the IPv6 ones are
 * prefixes (network order), since 128 bits fit no integer type of C.
 */
struct tw_netconf {
	uint32_t network;
	uint8_t plen;		/* of Network */
	uint8_t subnet_len;	/* SubnetLen */
	uint32_t subnet_min, subnet_max;	/* first and last subnet */
	uint32_t vni;		/* Backend.VNI, default 1 */
	uint16_t port;		/* Backend.Port, default 8472 */
	/* Backend.DirectRouting: hosts on one subnet without the tunnel */
	bool direct_routing;
	/*
	 * EnableIPv6: every lease pairs an IPv6 subnet with the IPv4 one.
	 * IPv6Network without EnableIPv6 is ignored, as flanneld ignores it
	 * (v6_ignored says so, for a log line).
	 */
	bool ipv6, v6_ignored;
	struct tw_prefix network6;	/* IPv6Network */
	uint8_t subnet_len6;		/* IPv6SubnetLen, default 64 */
	uint8_t min6[16], max6[16];	/* IPv6SubnetMin, IPv6SubnetMax */
};

/* A subnet lease: the key's subnet and the value's fields. */
struct tw_lease {
	uint32_t subnet;	/* host order */
	uint8_t plen;
	struct tw_addr public_ip;	/* PublicIP (IPv4) */
	uint32_t vni;
	bool has_mac;
	uint8_t mac[TW_MAC_LEN];	/* VtepMAC */
	bool has6;			/* a dual-stack key: "...&fd00::-64" */
	struct tw_prefix subnet6;
	struct tw_addr public_ip6;	/* PublicIPv6; family 0: absent */
};

/*
 * Parses and checks a network configuration as flanneld does (defaults:
 * SubnetLen 24, or Network's length + 2 for networks smaller than /22;
 * SubnetMin the second subnet, SubnetMax the last; Backend vxlan, VNI 1,
 * port 8472).  -1 with tw_errmsg on invalid JSON, a missing Network, a
 * SubnetLen that leaves fewer than four subnets or exceeds 30, bounds
 * outside the network or off a subnet boundary, another backend.  With
 * EnableIPv6 the same for IPv6Network and IPv6SubnetLen (default 64, or
 * the network's length + 2 below a /62; at most 126), IPv6SubnetMin and
 * IPv6SubnetMax.  EnableIPv4 false (an IPv6-only network) is refused:
 * flannel's keys start with the IPv4 subnet, and twill's underlay here is
 * IPv4.
 */
int netconf_parse(const char *json, struct tw_netconf *c);
/* How many subnets lie in SubnetMin..SubnetMax. */
uint32_t netconf_count(const struct tw_netconf *c);
/* Whether the IPv4 address a lies in network/plen (host order). */
bool subnet_has(uint32_t network, uint8_t plen, uint32_t a);
/* Whether a lease's subnet is one of the network's (any in the network). */
bool netconf_has(const struct tw_netconf *c, uint32_t subnet, uint8_t plen);

/* How many IPv6 subnets lie in IPv6SubnetMin..Max (at most UINT64_MAX). */
uint64_t netconf_count6(const struct tw_netconf *c);
/* Whether an IPv6 subnet is one of the network's (any in IPv6Network). */
bool netconf_has6(const struct tw_netconf *c, const struct tw_prefix *p);

/* "10.244.3.0-24" <-> subnet; parsing refuses host bits and junk. */
void subnet_key(uint32_t subnet, uint8_t plen, char buf[TW_SUBNET_KEYLEN]);
int subnet_key_parse(const char *s, uint32_t *subnet, uint8_t *plen);
/*
 * A lease's key name, "10.244.3.0-24" or dual-stack
 * "10.244.3.0-24&fd00:244:3::-64" (has6), <-> l's subnet, plen, has6 and
 * subnet6; the other fields are left alone.
 */
void lease_key(const struct tw_lease *l, char buf[TW_SUBNET_KEYLEN]);
int lease_key_parse(const char *s, struct tw_lease *l);
/* "10.244.3.0/24", and the first address "10.244.3.1/24". */
void subnet_cidr(uint32_t subnet, uint8_t plen, uint32_t host,
		 char buf[TW_SUBNET_KEYLEN]);

/* The lease value; -1 with tw_errmsg if it is not a vxlan lease. */
int lease_parse(const char *json, size_t len, struct tw_lease *l);
/* The lease value as JSON (malloc'd), in flannel's key order. */
char *lease_format(const struct tw_lease *l);

/*
 * A free subnet: the first one from index `start` (mod the count) on that
 * is not in `taken` (sorted, host order).  -1 with tw_errmsg when every
 * subnet is taken.
 */
int subnet_pick(const struct tw_netconf *c, const uint32_t *taken,
		size_t ntaken, uint32_t start, uint32_t *out);

/*
 * A free IPv6 subnet, as subnet_pick: `taken` holds addresses (16 bytes
 * each, network order) sorted by memcmp.
 */
int subnet_pick6(const struct tw_netconf *c, const uint8_t (*taken)[16],
		 size_t ntaken, uint64_t start, struct tw_prefix *out);

/* Standard base64 with padding (etcd's JSON bytes). */
char *b64_encode(const void *data, size_t len);
/* -1 on bad input; *out is malloc'd and NUL-terminated. */
int b64_decode(const char *s, char **out, size_t *len);
/* The key after every key starting with `prefix` (etcd's range_end). */
char *prefix_end(const char *prefix);

#endif
