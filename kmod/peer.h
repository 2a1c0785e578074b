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

struct twill_peer_stats {
	u64_stats_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	struct u64_stats_sync syncp;
};

struct twill_peer {
	struct twill_device *tdev;
	union twill_endpoint endpoint;	/* fixed for the peer's life */
	u8 mac[ETH_ALEN];		/* written under update_lock, read racy */
	struct dst_cache dst_cache;
	struct twill_peer_stats __percpu *stats;
	atomic64_t drops[__TWILL_DROP_MAX];
	u64 last_rx_ns;			/* CLOCK_REALTIME, WRITE/READ_ONCE */
	struct twill_prefix_list prefixes;	/* under update_lock */
	struct list_head list;		/* tdev->peer_list, under update_lock */
	struct hlist_node hash;		/* tdev->peer_hash, RCU readers */
	struct kref refcount;
	struct rcu_head rcu;
	bool dead;			/* unlinked; under update_lock */
	/* Commit bookkeeping (commit.c), valid while stage_mark matches. */
	u32 stage_mark;
	u8 stage_state;
	bool stage_changed;
};

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
void twill_peer_count_drop(struct twill_peer *peer, enum twill_drop reason);
void twill_peer_read_stats(struct twill_peer *peer, struct twill_peer_stats *sum);

#endif /* _TWILL_PEER_H */
