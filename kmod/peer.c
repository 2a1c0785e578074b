// SPDX-License-Identifier: GPL-2.0
/*
 * Peer lifetime and the endpoint hash.  A peer is reachable from three
 * places: tdev->peer_list and tdev->peer_hash (both changed under
 * update_lock), and the table's nodes.
 * twill_peer_remove() unlinks it from all three under update_lock and drops
 * the list's reference.  The datapath only uses peers inside an RCU read
 * section, so the final put frees the peer after a grace period; a netlink
 * dump that needs a peer across calls takes its own reference.
 */

#include <linux/slab.h>
#include <linux/jhash.h>
#include <linux/percpu.h>
#include <linux/hash.h>
#include <linux/vmalloc.h>

#include "device.h"
#include "peer.h"

/* By address only: a device has one peer per address, whatever its port. */
u32 twill_endpoint_hash(const union twill_endpoint *ep)
{
	if (ep->addr.sa_family == AF_INET6)
		return jhash(&ep->addr6.sin6_addr, sizeof(struct in6_addr),
			     AF_INET6);
	return jhash_1word((__force u32)ep->addr4.sin_addr.s_addr, AF_INET);
}

bool twill_endpoint_same_address(const union twill_endpoint *a,
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

/* ---- the endpoint hash ---- */

static struct twill_peer_hash *hash_w(struct twill_device *tdev)
{
	return rcu_dereference_protected(tdev->peer_hash,
					 lockdep_is_held(&tdev->update_lock));
}

static struct hlist_head *hash_bucket(struct twill_peer_hash *hash,
				      const union twill_endpoint *ep)
{
	return &hash->buckets[hash_32(twill_endpoint_hash(ep), hash->bits)];
}

static void hash_link(struct twill_peer_hash *hash, struct twill_peer *peer)
{
	hlist_add_head_rcu(&peer->hash[hash->slot],
			   hash_bucket(hash, &peer->endpoint));
}

/* Readers under RCU, or the writer. */
static struct twill_peer *hash_find(struct twill_peer_hash *hash,
				    const union twill_endpoint *ep)
{
	struct hlist_node *pos;
	struct twill_peer *peer;

	for (pos = rcu_dereference_raw(hlist_first_rcu(hash_bucket(hash, ep)));
	     pos; pos = rcu_dereference_raw(hlist_next_rcu(pos))) {
		peer = hash->slot ? container_of(pos, struct twill_peer, hash[1]) :
				    container_of(pos, struct twill_peer, hash[0]);
		if (twill_endpoint_same_address(&peer->endpoint, ep))
			return peer;
	}
	return NULL;
}

static struct twill_peer_hash *hash_alloc(u8 bits, u8 slot)
{
	struct twill_peer_hash *hash;

	hash = kvzalloc(struct_size(hash, buckets, 1U << bits),
			GFP_KERNEL_ACCOUNT);
	if (!hash)
		return NULL;
	hash->bits = bits;
	hash->slot = slot;
	return hash;
}

int twill_peer_hash_init(struct twill_device *tdev)
{
	struct twill_peer_hash *hash = hash_alloc(TWILL_PEER_HASH_MIN_BITS, 0);

	if (!hash)
		return -ENOMEM;
	RCU_INIT_POINTER(tdev->peer_hash, hash);
	tdev->peer_hash_gp = get_state_synchronize_rcu();
	return 0;
}

/* No reader can reach the device any more. */
void twill_peer_hash_free(struct twill_device *tdev)
{
	kvfree(rcu_dereference_protected(tdev->peer_hash, true));
	RCU_INIT_POINTER(tdev->peer_hash, NULL);
}

struct twill_peer_hash *twill_peer_hash_reserve(struct twill_device *tdev,
						u32 npeers)
{
	struct twill_peer_hash *hash = hash_w(tdev);
	u8 bits = hash->bits;

	while (npeers > 2U << bits)
		bits++;
	if (bits == hash->bits)
		return NULL;
	return hash_alloc(bits, !hash->slot) ?: ERR_PTR(-ENOMEM);
}

void twill_peer_hash_grow(struct twill_device *tdev,
			  struct twill_peer_hash *hash)
{
	struct twill_peer_hash *old = hash_w(tdev);
	struct twill_peer *peer;

	/*
	 * The links of @hash's slot were last used by the array retired at
	 * the previous swap: readers that started before that swap may
	 * still walk them.  Arrays only grow, so this wait is rare and,
	 * being a grace period old by then, usually free.
	 */
	cond_synchronize_rcu(tdev->peer_hash_gp);
	list_for_each_entry(peer, &tdev->peer_list, list) {
		hash_link(hash, peer);
		cond_resched();
	}
	rcu_assign_pointer(tdev->peer_hash, hash);
	tdev->peer_hash_gp = get_state_synchronize_rcu();
	kvfree_rcu(old, rcu);
}

/* ---- peers ---- */

struct twill_peer *twill_peer_create(struct twill_device *tdev,
				     const union twill_endpoint *endpoint)
{
	struct twill_peer *peer;

	peer = kzalloc(sizeof(*peer), GFP_KERNEL_ACCOUNT);
	if (!peer)
		return NULL;
	peer->stats = __netdev_alloc_pcpu_stats(struct twill_peer_stats,
						GFP_KERNEL_ACCOUNT);
	if (!peer->stats)
		goto err_stats;
	if (dst_cache_init(&peer->dst_cache, GFP_KERNEL_ACCOUNT))
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
	hash_link(hash_w(tdev), peer);
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
	hlist_del_rcu(&peer->hash[hash_w(tdev)->slot]);
	peer->dead = true;
	tdev->num_peers--;
	twill_peer_put(peer);
}

void twill_peer_remove_all(struct twill_device *tdev)
{
	struct twill_peer *peer, *tmp;

	lockdep_assert_held(&tdev->update_lock);
	list_for_each_entry_safe(peer, tmp, &tdev->peer_list, list) {
		twill_peer_remove(peer);
		cond_resched();
	}
	twill_table_flush(&tdev->table);
}

/* Any peer at this address, writer side: addresses are unique per device. */
struct twill_peer *twill_peer_find_address(struct twill_device *tdev,
					   const union twill_endpoint *endpoint)
{
	lockdep_assert_held(&tdev->update_lock);
	return hash_find(hash_w(tdev), endpoint);
}

/* Exact endpoint match (address and port), writer side. */
struct twill_peer *twill_peer_find(struct twill_device *tdev,
				   const union twill_endpoint *endpoint)
{
	struct twill_peer *peer = twill_peer_find_address(tdev, endpoint);

	if (peer && endpoint_port(&peer->endpoint) == endpoint_port(endpoint))
		return peer;
	return NULL;
}

/*
 * Receive side: match on the outer source address only, because a kernel
 * vxlan device sends from a hashed source port, not from its listen port.
 */
struct twill_peer *twill_peer_lookup_rcu(struct twill_device *tdev,
					 const union twill_endpoint *endpoint)
{
	return hash_find(rcu_dereference_bh(tdev->peer_hash), endpoint);
}

void twill_drops_read(struct twill_drops __percpu *drops, u64 *sum)
{
	int cpu, i;

	memset(sum, 0, sizeof(u64) * __TWILL_DROP_MAX);
	for_each_possible_cpu(cpu) {
		const struct twill_drops *d = per_cpu_ptr(drops, cpu);

		for (i = 0; i < __TWILL_DROP_MAX; i++)
			sum[i] += READ_ONCE(d->n[i]);
	}
}

void twill_peer_read_stats(struct twill_peer *peer,
			   struct twill_peer_stats *sum, u64 *drops)
{
	int cpu, i;

	memset(sum, 0, sizeof(*sum));
	memset(drops, 0, sizeof(u64) * __TWILL_DROP_MAX);
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
		for (i = 0; i < __TWILL_DROP_MAX; i++)
			drops[i] += READ_ONCE(s->drops.n[i]);
	}
}
