/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A peer is a remote host: an underlay endpoint, its VTEP MAC, the prefixes
 * behind it and its counters.  Peers are created and destroyed under the
 * device's update_lock; the datapath finds them through the table or the
 * endpoint hash under RCU and never keeps them past its RCU section, except
 * through a kref (netlink dumps).
 */
#ifndef _TWILL_PEER_H
#define _TWILL_PEER_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/rculist.h>
#include <linux/u64_stats_sync.h>
#include <linux/in6.h>
#include <linux/percpu.h>
#include <linux/string.h>
#include <linux/if_ether.h>
#include <net/dst_cache.h>
#include <uapi/linux/twill.h>

#include "table.h"

struct twill_device;

/* An endpoint is the peer's identity; kept normalised (zeroed padding). */
union twill_endpoint {
	struct sockaddr addr;
	struct sockaddr_in addr4;
	struct sockaddr_in6 addr6;
};

/*
 * Drop counters by reason, one set per CPU: a spoofed flood spread over
 * CPUs must not bounce one cache line.  Each CPU only adds to its own
 * counters (this_cpu_inc), readers sum them.
 */
struct twill_drops {
	u64 n[__TWILL_DROP_MAX];
};

static inline void twill_drops_count(struct twill_drops __percpu *drops,
				     enum twill_drop reason)
{
	this_cpu_inc(drops->n[reason]);
}

/* Sums every CPU's counters into @sum (__TWILL_DROP_MAX entries). */
void twill_drops_read(struct twill_drops __percpu *drops, u64 *sum);

struct twill_peer_stats {
	u64_stats_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	struct u64_stats_sync syncp;
	struct twill_drops drops;
};

/*
 * The endpoint hash, by address: a bucket array that grows with the number
 * of peers (twill_peer_hash_reserve() before a commit, _grow() in it).
 * Every peer has two hash links; an array uses the one named by @slot, so
 * that a new array can be filled while readers still walk the old one.
 */
struct twill_peer_hash {
	struct rcu_head rcu;
	u8 bits;
	u8 slot;
	struct hlist_head buckets[];
};

struct twill_peer {
	struct twill_device *tdev;
	union twill_endpoint endpoint;	/* fixed for the peer's life */
	u64 mac;			/* twill_peer_mac(): one word, so that the
					 * datapath never reads a torn MAC
					 */
	struct dst_cache dst_cache;
	struct twill_peer_stats __percpu *stats;
	u64 last_rx_ns;			/* CLOCK_REALTIME, WRITE/READ_ONCE */
	bool direct;			/* unencapsulated; WRITE/READ_ONCE */
	struct twill_prefix_list prefixes;	/* under update_lock */
	struct list_head list;		/* tdev->peer_list, under update_lock */
	struct hlist_node hash[2];	/* tdev->peer_hash, RCU readers */
	struct kref refcount;
	struct rcu_head rcu;
	bool dead;			/* unlinked; under update_lock */
	/* Commit bookkeeping (commit.c), valid while stage_mark matches. */
	u32 stage_mark;
	u8 stage_state;
	bool stage_changed;
};

u32 twill_endpoint_hash(const union twill_endpoint *ep);
bool twill_endpoint_same_address(const union twill_endpoint *a,
				 const union twill_endpoint *b);

struct twill_peer *twill_peer_create(struct twill_device *tdev,
				     const union twill_endpoint *endpoint);
void twill_peer_publish(struct twill_peer *peer);
void twill_peer_remove(struct twill_peer *peer);
void twill_peer_remove_all(struct twill_device *tdev);
struct twill_peer *twill_peer_find(struct twill_device *tdev,
				   const union twill_endpoint *endpoint);
struct twill_peer *twill_peer_find_address(struct twill_device *tdev,
					   const union twill_endpoint *endpoint);
/* RCU lookup by outer source address only, for the receive path. */
struct twill_peer *twill_peer_lookup_rcu(struct twill_device *tdev,
					 const union twill_endpoint *endpoint);
struct twill_peer *twill_peer_get(struct twill_peer *peer);
void twill_peer_put(struct twill_peer *peer);
/* Sums the per-CPU counters; @drops has __TWILL_DROP_MAX entries. */
void twill_peer_read_stats(struct twill_peer *peer, struct twill_peer_stats *sum,
			   u64 *drops);

static inline void twill_peer_count_drop(struct twill_peer *peer,
					 enum twill_drop reason)
{
	this_cpu_inc(peer->stats->drops.n[reason]);
}

/* The peer's remote VTEP MAC (all-zero: none set); any context. */
static inline void twill_peer_mac(const struct twill_peer *peer, u8 *mac)
{
	u64 word = READ_ONCE(peer->mac);

	memcpy(mac, &word, ETH_ALEN);
}

/* Writer side (update_lock); readers see the old or the new MAC whole. */
static inline void twill_peer_set_mac(struct twill_peer *peer, const u8 *mac)
{
	u64 word = 0;

	memcpy(&word, mac, ETH_ALEN);
	WRITE_ONCE(peer->mac, word);
}

int twill_peer_hash_init(struct twill_device *tdev);
void twill_peer_hash_free(struct twill_device *tdev);
/*
 * A bigger hash array if @npeers would overload the current one, NULL if
 * none is needed, or an ERR_PTR; nothing visible changes.
 */
struct twill_peer_hash *twill_peer_hash_reserve(struct twill_device *tdev,
						u32 npeers);
/* Moves every peer to @hash (from _reserve()) and publishes it. */
void twill_peer_hash_grow(struct twill_device *tdev,
			  struct twill_peer_hash *hash);

#endif /* _TWILL_PEER_H */
