/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-memory model of a twill device: what a config file or a `set`
 * command asks for, what a dump returned, and what a syncconf diff sends.
 */
#ifndef TWILL_MODEL_H
#define TWILL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/twill.h>

#include "hash.h"

#define TW_MAC_LEN 6

struct tw_addr {
	uint8_t family;		/* AF_INET, AF_INET6; 0 = none */
	uint8_t addr[16];	/* network order, unused bytes zero */
};

struct tw_prefix {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t cidr;
	uint8_t remove;		/* TWILL_PREFIX_F_REMOVE requested */
	uint8_t pad;
	uint8_t addr[16];	/* host bits and unused bytes zero */
	uint32_t line;		/* config line, 0 = command line */
};

union tw_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

enum tw_prefix_mode {
	TW_PFX_NONE,		/* no prefixes given: leave them */
	TW_PFX_REPLACE,		/* the list is the peer's whole set */
	TW_PFX_DELTA,		/* +P / -P */
};

struct tw_peer {
	union tw_sockaddr ep;
	uint32_t flags;		/* TWILL_PEER_F_* */
	bool has_mac;
	uint8_t mac[TW_MAC_LEN];
	bool has_direct;	/* TWILL_PEER_A_DIRECT given */
	uint8_t direct;		/* 0/1 */
	enum tw_prefix_mode mode;
	struct tw_prefix *pfx;
	size_t npfx, cap;
	uint32_t line;		/* config line of [Peer] */
	/* read only, from the kernel */
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, last_rx_ns;
	uint64_t drops[__TWILL_DROP_MAX];
	uint32_t num_prefixes;
};

/* A NAT prefix list (TWILL_NAT_A_MASQUERADE, TWILL_NAT_A_EXCLUDE), sorted;
 * unused entries are zero. */
struct tw_pfx_list {
	size_t n;
	struct tw_prefix p[TWILL_NAT_MAX_PREFIXES];
};

/* The keys of the NAT configuration (bits of tw_nat.given, see nat.c). */
enum tw_nat_key_id {
	TW_NK_MASQUERADE,
	TW_NK_EXCLUDE,
	TW_NK_TO,
	TW_NK_PORTS,
	TW_NK_MAX_FLOWS,
	TW_NK_COUNT
};

/*
 * A device's NAT masquerade (TWILL_A_NAT).  The kernel takes it as one
 * unit: a request carries all of it, keys left out take their defaults.
 */
struct tw_nat {
	bool on;			/* masquerade prefixes: NAT is on */
	uint32_t given;			/* TW_NK_* bits a user gave */
	struct tw_pfx_list masq, excl;
	struct tw_addr to4, to6;	/* family 0: the egress address */
	uint16_t port_min, port_max;
	uint32_t max_flows;
	/* read only, from the kernel */
	uint32_t num_flows, buckets;
	uint64_t stats[__TWILL_NAT_STAT_MAX];
};

/* Which device settings are present (bits of tw_device.mask). */
enum tw_field {
	TW_LISTEN_PORT,
	TW_VNI,
	TW_FWMARK,
	TW_LOCAL,
	TW_LINK,
	TW_MAC,
	TW_PORT_RANGE,
	TW_TTL,
	TW_TOS,
	TW_DF,
	TW_UDP_CSUM,
	TW_DIRECT,
	TW_MAX_PEERS,
	TW_MAX_PREFIXES,
	TW_NUM_PEERS,
	TW_NUM_PREFIXES,
	TW_GENERATION,
	TW_DROPS,
	TW_NAT,		/* dev->nat: not a table setting (nat.c) */
	TW_NFIELDS
};

#define TW_BIT(f) (1U << (f))
#define TW_HAS(d, f) (((d)->mask & TW_BIT(f)) != 0)
/* Settings a user can write. */
#define TW_WRITABLE (TW_BIT(TW_NUM_PEERS) - 1)

struct tw_service;

struct tw_device {
	char ifname[IFNAMSIZ];
	uint32_t ifindex;
	uint32_t mask;
	uint32_t flags;		/* TWILL_F_REPLACE_PEERS, _SERVICES */
	uint16_t listen_port, port_min, port_max;
	uint32_t vni, fwmark, link;
	char link_name[IFNAMSIZ];	/* by name (the kernel resolves it) */
	struct tw_addr local;
	uint8_t mac[TW_MAC_LEN];
	uint8_t ttl, tos, df, udp_csum, direct;
	uint32_t max_peers, max_prefixes, num_peers, num_prefixes, generation;
	uint64_t drops[__TWILL_DROP_MAX];
	struct tw_nat nat;
	struct tw_peer *peers;
	size_t npeers, cap;
	/*
	 * [Service] sections (service.h): with has_services, the transaction
	 * carries these services too (setconf: exactly these).
	 */
	bool has_services;
	struct tw_service *svcs;
	size_t nsvcs, svcs_cap;
	/* indexes, see model.c */
	struct tw_set ep_set;		/* endpoint -> peer index */
	struct tw_set addr_set;		/* address -> peer index (claimed) */
	struct tw_set add_set;		/* prefix -> flat prefix id */
	struct tw_set rm_set;		/* (peer, prefix) of removals */
	uint64_t *pref;			/* flat id -> peer << 32 | index */
	size_t npref, cappref;
};

void dev_init(struct tw_device *dev);
void dev_free(struct tw_device *dev);

/* The peer with this endpoint, or NULL. */
struct tw_peer *dev_find_peer(const struct tw_device *dev,
			      const union tw_sockaddr *ep);
/* Appends a peer without an endpoint yet (config sections). */
struct tw_peer *dev_new_peer(struct tw_device *dev);
/* Gives a peer from dev_new_peer() its endpoint; fails on a duplicate. */
int dev_set_endpoint(struct tw_device *dev, struct tw_peer *peer,
		     const union tw_sockaddr *ep);
/*
 * Claims the peer's endpoint address for it: a device has at most one peer
 * per address, whatever the ports.  Fails naming `token` and the line (or
 * endpoint) of the peer that has it.
 */
int dev_claim_address(struct tw_device *dev, const struct tw_peer *peer,
		      const char *token);
/* Appends a peer; fails if its endpoint is already there. */
struct tw_peer *dev_add_peer(struct tw_device *dev,
			     const union tw_sockaddr *ep);
/* Same, but returns the existing one (for merging dumps). */
struct tw_peer *dev_get_peer(struct tw_device *dev,
			     const union tw_sockaddr *ep);
/*
 * Adds a prefix to a peer, refusing duplicates: the same prefix added to
 * two peers, listed twice, or both added and removed on one peer.
 */
int dev_add_prefix(struct tw_device *dev, struct tw_peer *peer,
		   const struct tw_prefix *p);
/* Appends without any check (dumps). */
void peer_push_prefix(struct tw_peer *peer, const struct tw_prefix *p);
/* Sorts each peer's prefixes (IPv4 first, then by address and length), so
 * output does not depend on the kernel's list order. */
void dev_sort_prefixes(struct tw_device *dev);
/* Indexes every prefix of a dump (duplicates: the first wins). */
void dev_index_prefixes(struct tw_device *dev);
/* Finds an added (not removed) prefix: true and its peer and position. */
bool dev_find_prefix(const struct tw_device *dev, const struct tw_prefix *p,
		     size_t *peer, size_t *idx);

/* Canonical bytes of an endpoint for hashing/comparison; returns length. */
size_t ep_key(const union tw_sockaddr *ep, uint8_t key[32]);
bool ep_equal(const union tw_sockaddr *a, const union tw_sockaddr *b);
uint16_t ep_port(const union tw_sockaddr *ep);
void ep_set_port(union tw_sockaddr *ep, uint16_t port);
bool prefix_equal(const struct tw_prefix *a, const struct tw_prefix *b);
/* qsort order of prefixes: IPv4 first, then by address and length. */
int prefix_cmp(const void *a, const void *b);
uint32_t prefix_hash(const struct tw_prefix *p);
size_t peer_total_prefixes(const struct tw_device *dev);

#endif
