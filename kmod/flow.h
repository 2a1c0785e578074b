/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flow table: translated flows, each findable from both directions by
 * a hash of the tuple a packet carries on the wire.  Lookups are lock-free
 * under RCU; inserts and removals take the locks of both buckets a flow
 * lives in, so that a flow appears and disappears in both directions at
 * once.  NAT (nat.c) is its first user; service virtual IPs are the next.
 */
#ifndef _TWILL_FLOW_H
#define _TWILL_FLOW_H

#include <linux/netfilter.h>
#include <linux/rculist.h>
#include <linux/spinlock.h>
#include <uapi/linux/twill.h>

enum twill_flow_dir { TWILL_FLOW_ORIG, TWILL_FLOW_REPLY };

/* A packet's identity; unused bytes are zero, so that it hashes as words. */
struct twill_flow_tuple {
	union nf_inet_addr src, dst;
	__be16 sport, dport;	/* ICMP echo: identifier (see the uapi) */
	u8 proto;
	u8 family;
	u16 zero;
};

struct twill_flow_node {
	struct hlist_node hnode;
	struct twill_flow_tuple t;
	u8 dir;
};

struct twill_flow {
	struct twill_flow_node node[2];	/* ORIG, REPLY */
	unsigned long expires;		/* jiffies; READ/WRITE_ONCE */
	u8 state;			/* enum twill_flow_state */
	u8 fin;				/* BIT(dir): that side sent a FIN */
	u8 flags;			/* TWILL_FLOW_F_*, set before insert */
	bool dead;			/* unhashed; under both bucket locks */
	struct rcu_head rcu;
};

/*
 * A service flow: ORIG is client -> virtual address, REPLY backend ->
 * client; both directions are translated before routing.
 */
#define TWILL_FLOW_F_SERVICE	BIT(0)
/*
 * A service flow whose backend is its client: REPLY is backend -> virtual
 * address, and both sides of every packet are translated, so that the
 * backend answers through the host and not to itself.
 */
#define TWILL_FLOW_F_HAIRPIN	BIT(1)
/* A service flow of a host process (LOCAL_OUT): replies before conntrack. */
#define TWILL_FLOW_F_LOCAL	BIT(2)
/* A client's affinity entry (xlate.c): no packet matches it. */
#define TWILL_FLOW_F_AFFINITY	BIT(3)

#define TWILL_FLOW_LOCKS	1024

struct twill_flow_table {
	struct hlist_head *buckets;
	u32 mask;
	u32 seed;
	atomic_t count;
	u32 max;			/* READ_ONCE: changed by commits */
	u32 gc_next;			/* the collector's next bucket */
	spinlock_t locks[TWILL_FLOW_LOCKS];
};

int twill_flow_module_init(void);
void twill_flow_module_exit(void);

/* Sizes the hash for @max flows; memory is charged to the caller. */
int twill_flow_table_init(struct twill_flow_table *t, u32 max);
/* No reader may be left: removes and frees every flow and the buckets. */
void twill_flow_table_free(struct twill_flow_table *t);

static inline void twill_flow_tuple_invert(struct twill_flow_tuple *dst,
					   const struct twill_flow_tuple *src)
{
	*dst = *src;
	dst->src = src->dst;
	dst->dst = src->src;
	dst->sport = src->dport;
	dst->dport = src->sport;
}

static inline struct twill_flow *twill_flow_of(struct twill_flow_node *n)
{
	return container_of(n - n->dir, struct twill_flow, node[0]);
}

static inline bool twill_flow_expired(const struct twill_flow *f)
{
	return time_after(jiffies, READ_ONCE(f->expires));
}

/* The live flow node for @t, or NULL; caller is in an RCU read section. */
struct twill_flow_node *twill_flow_lookup(struct twill_flow_table *t,
					  const struct twill_flow_tuple *key);

/*
 * A new flow whose ORIG tuple is @orig; the caller fills the REPLY tuple
 * and inserts it.  GFP_ATOMIC: called from the datapath.
 */
struct twill_flow *twill_flow_alloc(const struct twill_flow_tuple *orig);
void twill_flow_free(struct twill_flow *f);

/*
 * Makes @f visible in both directions.  -EEXIST: a flow with the same ORIG
 * tuple exists (another CPU made it); -EADDRINUSE: the REPLY tuple is taken;
 * -ENOSPC: the table holds its maximum.  Expired flows in the way are
 * removed first (counted in *@expired).  On error @f is still the caller's.
 */
int twill_flow_insert(struct twill_flow_table *t, struct twill_flow *f,
		      unsigned int *expired);

/* Updates state and timeout for a packet in direction @dir. */
void twill_flow_seen(struct twill_flow *f, enum twill_flow_dir dir,
		     bool syn, bool fin, bool rst);

/*
 * Removes expired flows from up to @budget buckets, resuming where the
 * last call stopped; returns how many it removed.  Process context.
 */
unsigned int twill_flow_gc(struct twill_flow_table *t, u32 budget);

/*
 * A full table may be full of flows that expired since the collector last
 * passed: removes the expired flows of TWILL_FLOW_RECLAIM_BUCKETS buckets
 * from a random one, live flows untouched (conntrack's early drop, without
 * the drop).  Returns how many it removed.  Any context.
 */
#define TWILL_FLOW_RECLAIM_BUCKETS 16
unsigned int twill_flow_reclaim(struct twill_flow_table *t);

/* What twill_flow_walk() calls: a dump's message builder. */
struct twill_flow_walker {
	int (*flow)(void *ctx, struct twill_flow *f);	/* non-zero: full */
	void (*mark)(void *ctx);	/* a bucket begins */
	void (*undo)(void *ctx);	/* takes back the flows since the mark */
};

/*
 * Calls @w->flow for every live flow from bucket *@bucket on, skipping the
 * first *@skip flows (ORIG nodes) of that bucket, until it returns
 * non-zero.  A bucket goes whole into one call or starts over in the
 * next, so that a flow that lives through a dump is in it however its
 * neighbours come and go; only a bucket that fills a call alone is split
 * (*@skip: where it stopped).  Caller holds RCU.
 */
int twill_flow_walk(struct twill_flow_table *t, u32 *bucket, u32 *skip,
		    const struct twill_flow_walker *w, void *ctx);

/*
 * Removes every flow for which @stale returns true, in all buckets; @stale
 * runs under RCU.  Process context: sleeps between buckets.  Returns how
 * many it removed.
 */
unsigned int twill_flow_purge(struct twill_flow_table *t,
			      bool (*stale)(void *ctx,
					    const struct twill_flow *f),
			      void *ctx);

#ifdef DEBUG
bool twill_flow_selftest(void);
#endif

#endif /* _TWILL_FLOW_H */
