// SPDX-License-Identifier: GPL-2.0
/*
 * Peer lifetime.  A peer is reachable from three places: tdev->peer_list and
 * tdev->peer_hash (both changed under update_lock), and the table's nodes.
 * twill_peer_remove() unlinks it from all three under update_lock and drops
 * the list's reference.  The datapath only uses peers inside an RCU read
 * section, so the final put frees the peer after a grace period; a netlink
 * dump that needs a peer across calls takes its own reference.
 */

#include <linux/slab.h>
#include <linux/jhash.h>
#include <linux/percpu.h>

#include "device.h"
#include "peer.h"

static u32 endpoint_hash(const union twill_endpoint *ep)
{
	if (ep->addr.sa_family == AF_INET6)
		return jhash(&ep->addr6.sin6_addr, sizeof(struct in6_addr),
			     AF_INET6);
	return jhash_1word((__force u32)ep->addr4.sin_addr.s_addr, AF_INET);
}

static bool same_address(const union twill_endpoint *a,
			 const union twill_endpoint *b)
{
	if (a->addr.sa_family != b->addr.sa_family)
		return false;
	if (a->addr.sa_family == AF_INET6)
		return ipv6_addr_equal(&a->addr6.sin6_addr, &b->addr6.sin6_addr);
	return a->addr4.sin_addr.s_addr == b->addr4.sin_addr.s_addr;
}

static __be16 endpoint_port(const union twill_endpoint *ep)
{
	return ep->addr.sa_family == AF_INET6 ? ep->addr6.sin6_port :
						ep->addr4.sin_port;
}

struct twill_peer *twill_peer_create(struct twill_device *tdev,
				     const union twill_endpoint *endpoint)
{
	struct twill_peer *peer;

	peer = kzalloc(sizeof(*peer), GFP_KERNEL);
	if (!peer)
		return NULL;
	peer->stats = netdev_alloc_pcpu_stats(struct twill_peer_stats);
	if (!peer->stats)
		goto err_stats;
	if (dst_cache_init(&peer->dst_cache, GFP_KERNEL))
		goto err_dst;
	peer->tdev = tdev;
	peer->endpoint = *endpoint;
	kref_init(&peer->refcount);
	INIT_LIST_HEAD(&peer->list);
	return peer;

err_dst:
	free_percpu(peer->stats);
err_stats:
	kfree(peer);
	return NULL;
}

/* Makes a peer from twill_peer_create() visible; cannot fail. */
void twill_peer_publish(struct twill_peer *peer)
{
	struct twill_device *tdev = peer->tdev;

	lockdep_assert_held(&tdev->update_lock);
	list_add_tail(&peer->list, &tdev->peer_list);
	hash_add_rcu(tdev->peer_hash, &peer->hash,
		     endpoint_hash(&peer->endpoint));
	tdev->num_peers++;
}

static void peer_free_rcu(struct rcu_head *rcu)
{
	struct twill_peer *peer = container_of(rcu, struct twill_peer, rcu);

	dst_cache_destroy(&peer->dst_cache);
	free_percpu(peer->stats);
	kfree(peer);
}

static void peer_release(struct kref *kref)
{
	struct twill_peer *peer = container_of(kref, struct twill_peer,
					       refcount);

	call_rcu(&peer->rcu, peer_free_rcu);
}

struct twill_peer *twill_peer_get(struct twill_peer *peer)
{
	kref_get(&peer->refcount);
	return peer;
}

void twill_peer_put(struct twill_peer *peer)
{
	if (peer)
		kref_put(&peer->refcount, peer_release);
}

/*
 * Unlinks the peer and its prefixes.  Nodes are freed by the caller's
 * twill_table_flush(); the peer itself once the last reference is gone and
 * a grace period has passed.
 */
void twill_peer_remove(struct twill_peer *peer)
{
	struct twill_device *tdev = peer->tdev;

	lockdep_assert_held(&tdev->update_lock);
	if (peer->dead)
		return;
	twill_table_remove_peer(&tdev->table, peer);
	list_del_init(&peer->list);
	hash_del_rcu(&peer->hash);
	peer->dead = true;
	tdev->num_peers--;
	twill_peer_put(peer);
}

void twill_peer_remove_all(struct twill_device *tdev)
{
	struct twill_peer *peer, *tmp;

	lockdep_assert_held(&tdev->update_lock);
	list_for_each_entry_safe(peer, tmp, &tdev->peer_list, list)
		twill_peer_remove(peer);
	twill_table_flush(&tdev->table);
}

/* Exact endpoint match (address and port), writer side. */
struct twill_peer *twill_peer_find(struct twill_device *tdev,
				   const union twill_endpoint *endpoint)
{
	struct twill_peer *peer;

	lockdep_assert_held(&tdev->update_lock);
	hash_for_each_possible(tdev->peer_hash, peer, hash,
			       endpoint_hash(endpoint)) {
		if (same_address(&peer->endpoint, endpoint) &&
		    endpoint_port(&peer->endpoint) == endpoint_port(endpoint))
			return peer;
	}
	return NULL;
}

/* Any peer at this address, writer side: addresses are unique per device. */
struct twill_peer *twill_peer_find_address(struct twill_device *tdev,
					   const union twill_endpoint *endpoint)
{
	struct twill_peer *peer;

	lockdep_assert_held(&tdev->update_lock);
	hash_for_each_possible(tdev->peer_hash, peer, hash,
			       endpoint_hash(endpoint)) {
		if (same_address(&peer->endpoint, endpoint))
			return peer;
	}
	return NULL;
}

/*
 * Receive side: match on the outer source address only, because a kernel
 * vxlan device sends from a hashed source port, not from its listen port.
 */
struct twill_peer *twill_peer_lookup_rcu(struct twill_device *tdev,
					 const union twill_endpoint *endpoint)
{
	struct twill_peer *peer;

	hash_for_each_possible_rcu(tdev->peer_hash, peer, hash,
				   endpoint_hash(endpoint)) {
		if (same_address(&peer->endpoint, endpoint))
			return peer;
	}
	return NULL;
}

void twill_peer_count_drop(struct twill_peer *peer, enum twill_drop reason)
{
	atomic64_inc(&peer->drops[reason]);
}

void twill_peer_read_stats(struct twill_peer *peer,
			   struct twill_peer_stats *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct twill_peer_stats *s = per_cpu_ptr(peer->stats, cpu);
		u64 rxp, rxb, txp, txb;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			rxp = u64_stats_read(&s->rx_packets);
			rxb = u64_stats_read(&s->rx_bytes);
			txp = u64_stats_read(&s->tx_packets);
			txb = u64_stats_read(&s->tx_bytes);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		u64_stats_add(&sum->rx_packets, rxp);
		u64_stats_add(&sum->rx_bytes, rxb);
		u64_stats_add(&sum->tx_packets, txp);
		u64_stats_add(&sum->tx_bytes, txb);
	}
}
