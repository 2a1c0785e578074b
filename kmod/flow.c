// SPDX-License-Identifier: GPL-2.0
/*
 * The flow table.  A flow has two nodes, one per direction, usually in
 * different buckets; writers lock both buckets (in index order) so that no
 * reader ever sees half a flow being created and two CPUs cannot create the
 * same flow or claim the same reply tuple.  Readers take no lock and skip
 * expired flows, so a flow is gone for the datapath the moment its timeout
 * passes, whenever the collector gets to it.
 */

#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/random.h>

#include "flow.h"

#define MIN_BUCKETS	1024
#define MAX_BUCKETS	BIT(22)

static struct kmem_cache *flow_cache;

static const unsigned long tcp_timeouts[] = {
	[TWILL_FLOW_S_UNREPLIED]	= 60 * HZ,
	[TWILL_FLOW_S_REPLIED]		= 60 * HZ,
	[TWILL_FLOW_S_ESTABLISHED]	= 6 * 3600 * HZ,
	[TWILL_FLOW_S_CLOSING]		= 120 * HZ,
	[TWILL_FLOW_S_CLOSED]		= 10 * HZ,
};

/* Both sides closed: only stray retransmissions are left to translate. */
#define TCP_CLOSED_BOTH		(10 * HZ)
#define UDP_UNREPLIED		(30 * HZ)
#define UDP_REPLIED		(120 * HZ)
#define OTHER_TIMEOUT		(30 * HZ)

int twill_flow_module_init(void)
{
	/* Charged to the memory cgroup nat.c makes active for the datapath. */
	flow_cache = kmem_cache_create("twill_flow", sizeof(struct twill_flow),
				       0, SLAB_ACCOUNT, NULL);
	return flow_cache ? 0 : -ENOMEM;
}

void twill_flow_module_exit(void)
{
	/* Flows are freed after a grace period. */
	rcu_barrier();
	kmem_cache_destroy(flow_cache);
}

int twill_flow_table_init(struct twill_flow_table *t, u32 max)
{
	u32 n = clamp_t(u32, roundup_pow_of_two(max), MIN_BUCKETS,
			MAX_BUCKETS);
	int i;

	t->buckets = kvcalloc(n, sizeof(*t->buckets), GFP_KERNEL_ACCOUNT);
	if (!t->buckets)
		return -ENOMEM;
	t->mask = n - 1;
	t->seed = get_random_u32();
	atomic_set(&t->count, 0);
	t->max = max;
	t->gc_next = 0;
	for (i = 0; i < TWILL_FLOW_LOCKS; i++)
		spin_lock_init(&t->locks[i]);
	return 0;
}

static u32 bucket_of(const struct twill_flow_table *t,
		     const struct twill_flow_tuple *key)
{
	BUILD_BUG_ON(sizeof(*key) % sizeof(u32));
	return jhash2((const u32 *)key, sizeof(*key) / sizeof(u32), t->seed) &
	       t->mask;
}

static spinlock_t *lock_of(struct twill_flow_table *t, u32 bucket)
{
	return &t->locks[bucket % TWILL_FLOW_LOCKS];
}

/*
 * Locks the buckets of both nodes, lower lock first, each lock once; to
 * sparse, always two locks.
 */
static void lock_pair(struct twill_flow_table *t, u32 b0, u32 b1)
	__acquires(first) __acquires(second)
{
	spinlock_t *l0 = lock_of(t, b0), *l1 = lock_of(t, b1);

	if (l0 > l1)
		swap(l0, l1);
	spin_lock_bh(l0);
	if (l0 != l1)
		spin_lock_nested(l1, SINGLE_DEPTH_NESTING);
	else
		__acquire(second);
}

static void unlock_pair(struct twill_flow_table *t, u32 b0, u32 b1)
	__releases(first) __releases(second)
{
	spinlock_t *l0 = lock_of(t, b0), *l1 = lock_of(t, b1);

	if (l0 > l1)
		swap(l0, l1);
	if (l0 != l1)
		spin_unlock(l1);
	else
		__release(second);
	spin_unlock_bh(l0);
}

static bool tuple_equal(const struct twill_flow_tuple *a,
			const struct twill_flow_tuple *b)
{
	return !memcmp(a, b, sizeof(*a));
}

struct twill_flow_node *twill_flow_lookup(struct twill_flow_table *t,
					  const struct twill_flow_tuple *key)
{
	struct twill_flow_node *n;

	hlist_for_each_entry_rcu(n, &t->buckets[bucket_of(t, key)], hnode)
		if (tuple_equal(&n->t, key) &&
		    !twill_flow_expired(twill_flow_of(n)))
			return n;
	return NULL;
}

struct twill_flow *twill_flow_alloc(const struct twill_flow_tuple *orig)
{
	struct twill_flow *f;

	f = kmem_cache_zalloc(flow_cache, GFP_ATOMIC | __GFP_NOWARN);
	if (!f)
		return NULL;
	f->node[TWILL_FLOW_ORIG].t = *orig;
	f->node[TWILL_FLOW_REPLY].dir = TWILL_FLOW_REPLY;
	f->state = TWILL_FLOW_S_UNREPLIED;
	return f;
}

void twill_flow_free(struct twill_flow *f)
{
	kmem_cache_free(flow_cache, f);
}

static void free_rcu(struct rcu_head *head)
{
	twill_flow_free(container_of(head, struct twill_flow, rcu));
}

/* Both of @f's buckets are locked by the caller. */
static void unlink_flow(struct twill_flow_table *t, struct twill_flow *f)
{
	f->dead = true;
	hlist_del_rcu(&f->node[TWILL_FLOW_ORIG].hnode);
	hlist_del_rcu(&f->node[TWILL_FLOW_REPLY].hnode);
	atomic_dec(&t->count);
	call_rcu(&f->rcu, free_rcu);
}

/*
 * Removes @f if it is still hashed and, when @only_expired, expired;
 * returns whether it did.  Takes the flow's bucket locks.
 */
static bool remove_flow(struct twill_flow_table *t, struct twill_flow *f,
			bool only_expired)
{
	u32 b0 = bucket_of(t, &f->node[0].t), b1 = bucket_of(t, &f->node[1].t);
	bool removed = false;

	lock_pair(t, b0, b1);
	if (!f->dead && (!only_expired || twill_flow_expired(f))) {
		unlink_flow(t, f);
		removed = true;
	}
	unlock_pair(t, b0, b1);
	return removed;
}

/*
 * The live node for @key in @bucket (locked).  Expired flows count as
 * gone: one in the way is removed when its other bucket is held too, else
 * left to the collector (lookups skip it meanwhile).
 */
static struct twill_flow_node *find_locked(struct twill_flow_table *t,
					   u32 bucket,
					   const struct twill_flow_tuple *key,
					   u32 b0, u32 b1, unsigned int *expired)
{
	struct twill_flow_node *n;
	struct hlist_node *tmp;
	struct twill_flow *f;
	spinlock_t *other;	/* the lock of the flow's other bucket */

	hlist_for_each_entry_safe(n, tmp, &t->buckets[bucket], hnode) {
		if (!tuple_equal(&n->t, key))
			continue;
		f = twill_flow_of(n);
		if (!twill_flow_expired(f))
			return n;
		other = lock_of(t, bucket_of(t, &f->node[!n->dir].t));
		if (other == lock_of(t, b0) || other == lock_of(t, b1)) {
			unlink_flow(t, f);
			(*expired)++;
		}
	}
	return NULL;
}

int twill_flow_insert(struct twill_flow_table *t, struct twill_flow *f,
		      unsigned int *expired)
{
	struct twill_flow_node *orig = &f->node[TWILL_FLOW_ORIG];
	struct twill_flow_node *reply = &f->node[TWILL_FLOW_REPLY];
	u32 b0 = bucket_of(t, &orig->t), b1 = bucket_of(t, &reply->t);
	int ret = 0;

	lock_pair(t, b0, b1);
	if (find_locked(t, b0, &orig->t, b0, b1, expired))
		ret = -EEXIST;
	else if (find_locked(t, b1, &reply->t, b0, b1, expired))
		ret = -EADDRINUSE;
	else if (atomic_read(&t->count) >= READ_ONCE(t->max))
		ret = -ENOSPC;
	if (!ret) {
		atomic_inc(&t->count);
		hlist_add_head_rcu(&orig->hnode, &t->buckets[b0]);
		hlist_add_head_rcu(&reply->hnode, &t->buckets[b1]);
	}
	unlock_pair(t, b0, b1);
	return ret;
}

static unsigned long timeout_of(const struct twill_flow *f, u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		if (f->fin == (BIT(TWILL_FLOW_ORIG) | BIT(TWILL_FLOW_REPLY)) &&
		    f->state == TWILL_FLOW_S_CLOSING)
			return TCP_CLOSED_BOTH;
		return tcp_timeouts[f->state];
	case IPPROTO_UDP:
		return f->state == TWILL_FLOW_S_UNREPLIED ? UDP_UNREPLIED :
							   UDP_REPLIED;
	default:
		return OTHER_TIMEOUT;
	}
}

static u8 tcp_state(const struct twill_flow *f, enum twill_flow_dir dir,
		    bool syn, bool fin, bool rst)
{
	u8 state = f->state;

	if (rst)
		return TWILL_FLOW_S_CLOSED;
	if (fin && state != TWILL_FLOW_S_CLOSED)
		return TWILL_FLOW_S_CLOSING;
	/* A new connection on the same ports after the old one closed. */
	if (syn && dir == TWILL_FLOW_ORIG && state >= TWILL_FLOW_S_CLOSING)
		return TWILL_FLOW_S_UNREPLIED;
	if (dir == TWILL_FLOW_REPLY && state == TWILL_FLOW_S_UNREPLIED)
		return TWILL_FLOW_S_REPLIED;
	if (dir == TWILL_FLOW_ORIG && state == TWILL_FLOW_S_REPLIED && !syn)
		return TWILL_FLOW_S_ESTABLISHED;
	return state;
}

/*
 * Racing CPUs may each write a state and a timeout: both are single
 * stores, and any of the racing values is a sane one.
 */
void twill_flow_seen(struct twill_flow *f, enum twill_flow_dir dir,
		     bool syn, bool fin, bool rst)
{
	u8 proto = f->node[TWILL_FLOW_ORIG].t.proto;
	unsigned long expires;
	u8 state = f->state;

	if (proto == IPPROTO_TCP) {
		state = tcp_state(f, dir, syn, fin, rst);
		if (fin)
			WRITE_ONCE(f->fin, f->fin | BIT(dir));
		else if (state == TWILL_FLOW_S_UNREPLIED)
			WRITE_ONCE(f->fin, 0);
	} else if (dir == TWILL_FLOW_REPLY &&
		   state == TWILL_FLOW_S_UNREPLIED) {
		state = TWILL_FLOW_S_REPLIED;
	}
	if (state != f->state)
		WRITE_ONCE(f->state, state);
	expires = jiffies + timeout_of(f, proto);
	/* Spare the cache line a store per packet: a tick is precise enough. */
	if (expires != READ_ONCE(f->expires))
		WRITE_ONCE(f->expires, expires);
}

/* Removes the expired flows of bucket @b.  Caller holds RCU. */
static unsigned int collect_bucket(struct twill_flow_table *t, u32 b)
{
	struct twill_flow_node *n;
	unsigned int removed = 0;

	hlist_for_each_entry_rcu(n, &t->buckets[b], hnode) {
		struct twill_flow *f = twill_flow_of(n);

		/* Each flow once: by its ORIG node. */
		if (n->dir == TWILL_FLOW_ORIG && twill_flow_expired(f) &&
		    remove_flow(t, f, true))
			removed++;
	}
	return removed;
}

unsigned int twill_flow_gc(struct twill_flow_table *t, u32 budget)
{
	unsigned int removed = 0;
	u32 b = t->gc_next;

	while (budget--) {
		rcu_read_lock();
		removed += collect_bucket(t, b);
		rcu_read_unlock();
		b = (b + 1) & t->mask;
		if (!(b % 256))
			cond_resched();
	}
	t->gc_next = b;
	return removed;
}

static unsigned int purge_bucket(struct twill_flow_table *t, u32 b,
				 bool (*stale)(void *ctx,
					       const struct twill_flow *f),
				 void *ctx)
{
	struct twill_flow_node *n;
	unsigned int removed = 0;

	hlist_for_each_entry_rcu(n, &t->buckets[b], hnode) {
		struct twill_flow *f = twill_flow_of(n);

		if (n->dir == TWILL_FLOW_ORIG && stale(ctx, f) &&
		    remove_flow(t, f, false))
			removed++;
	}
	return removed;
}

unsigned int twill_flow_purge(struct twill_flow_table *t,
			      bool (*stale)(void *ctx,
					    const struct twill_flow *f),
			      void *ctx)
{
	unsigned int removed = 0;
	u32 b;

	might_sleep();
	for (b = 0; b <= t->mask; b++) {
		rcu_read_lock();
		removed += purge_bucket(t, b, stale, ctx);
		rcu_read_unlock();
		if (!(b % 256))
			cond_resched();
	}
	return removed;
}

unsigned int twill_flow_reclaim(struct twill_flow_table *t)
{
	u32 b = get_random_u32() & t->mask, i;
	unsigned int removed = 0;

	rcu_read_lock();
	for (i = 0; i < TWILL_FLOW_RECLAIM_BUCKETS; i++)
		removed += collect_bucket(t, (b + i) & t->mask);
	rcu_read_unlock();
	return removed;
}

/*
 * Bucket @b from its *@skip-th live flow on.  On failure *@skip is the
 * position of the flow that did not fit.
 */
static int walk_bucket(struct twill_flow_table *t, u32 b, u32 *skip,
		       const struct twill_flow_walker *w, void *ctx)
{
	struct twill_flow_node *n;
	u32 i = 0;
	int ret;

	hlist_for_each_entry_rcu(n, &t->buckets[b], hnode) {
		if (n->dir != TWILL_FLOW_ORIG ||
		    twill_flow_expired(twill_flow_of(n)))
			continue;
		if (i++ < *skip)
			continue;
		ret = w->flow(ctx, twill_flow_of(n));
		if (ret) {
			*skip = i - 1;
			return ret;
		}
	}
	return 0;
}

int twill_flow_walk(struct twill_flow_table *t, u32 *bucket, u32 *skip,
		    const struct twill_flow_walker *w, void *ctx)
{
	bool first = true;
	int ret;

	for (; *bucket <= t->mask; (*bucket)++, *skip = 0, first = false) {
		w->mark(ctx);
		ret = walk_bucket(t, *bucket, skip, w, ctx);
		if (!ret)
			continue;
		/*
		 * Positions in a bucket move as flows come, expire and go
		 * between two messages, so that one could be missed: the
		 * bucket starts over in the next message, whole, unless it
		 * was this message's first (then it is split where it
		 * stopped, as a bucket too big for a message must be).
		 */
		if (!first) {
			w->undo(ctx);
			*skip = 0;
		}
		return ret;
	}
	return 0;
}

void twill_flow_table_free(struct twill_flow_table *t)
{
	struct twill_flow_node *n;
	u32 b;

	if (!t->buckets)
		return;
	for (b = 0; b <= t->mask; b++) {
		/* A removed node still leads on, until the grace period. */
		rcu_read_lock();
		hlist_for_each_entry_rcu(n, &t->buckets[b], hnode)
			remove_flow(t, twill_flow_of(n), false);
		rcu_read_unlock();
		if (!(b % 1024))
			cond_resched();
	}
	kvfree(t->buckets);
	t->buckets = NULL;
}

#ifdef DEBUG
#include "selftest/flow.c"
#endif
