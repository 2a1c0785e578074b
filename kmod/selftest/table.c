// SPDX-License-Identifier: GPL-2.0
/*
 * Self-test and benchmark of the CIDR table, #included at the end of
 * table.c in DEBUG builds so that it can check the trie's invariants.
 *
 * The oracle is a hash of (prefix, length) -> peer plus a count of
 * prefixes per length: a longest-prefix match probes only the lengths in
 * use, longest first, so a million queries stay cheap under emulation.
 */

#include <linux/delay.h>
#include <linux/file.h>
#include <linux/hash.h>
#include <linux/net.h>
#include <linux/rtnetlink.h>
#include <net/ip_fib.h>
#include <net/net_namespace.h>
#include <linux/inet.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/prandom.h>
#include <linux/vmalloc.h>

#define ST_SEED		0x7a11c1d2ULL
#define ST_PEERS	64
#define ST_HASH_BITS	17
#define ST_PREFIXES	45000	/* random inserts per family */
#define ST_ROUNDS	5
#define ST_OPS		10000	/* mixed operations per round */
#define ST_QUERIES	90000	/* per family, per check */
/*
 * KASAN kernels run the module ~10x slower under emulation; there the
 * randomized part is a tenth of the size (the distribution kernels' lanes
 * run it whole), so a boot stays within minutes.
 */
#define ST_SCALE	(IS_ENABLED(CONFIG_KASAN) ? 10 : 1)

struct st_ent {
	struct hlist_node node;
	struct twill_key key;
	u8 cidr;
	u8 v6;
	u16 peer;
};

struct st_prefix {
	struct twill_key key;
	u8 cidr;
};

struct st_state {
	struct rnd_state rnd;
	struct twill_table table;
	struct mutex lock;		/* the table's writer lock */
	struct twill_peer *peers[ST_PEERS];
	struct twill_peer *anchor_peer[2];	/* not in the oracle */
	u32 anchors;				/* anchor prefixes present */
	struct hlist_head *hash;
	u32 lencount[2][129];
	u32 count[2];
	u32 peer_count[ST_PEERS];
	struct st_prefix *log[2];	/* every prefix generated, per family */
	u32 nlog[2];
	u64 queries;
	u64 ops;
	bool failed;
};

#define st_fail(st, fmt, ...) ({					\
	pr_err("twill: table selftest: " fmt "\n", ##__VA_ARGS__);	\
	(st)->failed = true;						\
	false;								\
})

static u32 st_rand(struct st_state *st, u32 n)
{
	return n ? prandom_u32_state(&st->rnd) % n : 0;
}

static u64 st_rand64(struct st_state *st)
{
	return ((u64)prandom_u32_state(&st->rnd) << 32) |
	       prandom_u32_state(&st->rnd);
}

static int st_family(bool v6)
{
	return v6 ? AF_INET6 : AF_INET;
}

static void st_to_addr(const struct twill_key *k, bool v6, void *addr)
{
	if (v6) {
		__be64 a[2] = { cpu_to_be64(k->hi), cpu_to_be64(k->lo) };

		memcpy(addr, a, sizeof(a));
	} else {
		__be32 a = cpu_to_be32(k->hi >> 32);

		memcpy(addr, &a, sizeof(a));
	}
}

static int st_peer_index(struct st_state *st, struct twill_peer *peer)
{
	int i;

	for (i = 0; i < ST_PEERS; i++)
		if (st->peers[i] == peer)
			return i;
	return -1;
}

/* ---- oracle ---- */

static struct hlist_head *st_bucket(struct st_state *st,
				    const struct twill_key *k, u8 cidr, bool v6)
{
	u64 h = k->hi ^ (k->lo * GOLDEN_RATIO_64) ^ ((u64)cidr << 1 | v6);

	return &st->hash[hash_64(h, ST_HASH_BITS)];
}

static struct st_ent *st_find(struct st_state *st, const struct twill_key *k,
			      u8 cidr, bool v6)
{
	struct st_ent *e;

	hlist_for_each_entry(e, st_bucket(st, k, cidr, v6), node)
		if (e->cidr == cidr && e->v6 == v6 && e->key.hi == k->hi &&
		    e->key.lo == k->lo)
			return e;
	return NULL;
}

static void st_oracle_del(struct st_state *st, struct st_ent *e)
{
	st->lencount[e->v6][e->cidr]--;
	st->count[e->v6]--;
	st->peer_count[e->peer]--;
	hlist_del(&e->node);
	kfree(e);
}

static struct st_ent *st_oracle_lpm(struct st_state *st,
				    const struct twill_key *a, bool v6)
{
	int cidr = v6 ? 128 : 32;
	struct twill_key k;
	struct st_ent *e;

	for (; cidr >= 0; cidr--) {
		if (!st->lencount[v6][cidr])
			continue;
		k = key_mask(a, cidr);
		e = st_find(st, &k, cidr, v6);
		if (e)
			return e;
	}
	return NULL;
}

/* ---- operations on both ---- */

static bool st_insert(struct st_state *st, bool v6,
		      const struct twill_key *k, u8 cidr, int p)
{
	struct st_ent *e = st_find(st, k, cidr, v6);
	u8 addr[16];
	bool added;

	st_to_addr(k, v6, addr);
	if (twill_table_reserve_family(&st->table, st_family(v6), 1))
		return st_fail(st, "reserve failed");
	added = twill_table_insert(&st->table, st_family(v6), addr, cidr,
				   st->peers[p]);
	st->ops++;
	if (added != !e)
		return st_fail(st, "insert %s/%u: returned %d, expected %d",
			       v6 ? "v6" : "v4", cidr, added, !e);
	if (e) {
		st->peer_count[e->peer]--;
		e->peer = p;
		st->peer_count[p]++;
		return true;
	}
	e = kmalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return st_fail(st, "out of memory");
	e->key = *k;
	e->cidr = cidr;
	e->v6 = v6;
	e->peer = p;
	hlist_add_head(&e->node, st_bucket(st, k, cidr, v6));
	st->lencount[v6][cidr]++;
	st->count[v6]++;
	st->peer_count[p]++;
	return true;
}

static bool st_remove(struct st_state *st, bool v6,
		      const struct twill_key *k, u8 cidr)
{
	struct st_ent *e = st_find(st, k, cidr, v6);
	struct twill_peer *peer;
	u8 addr[16];

	st_to_addr(k, v6, addr);
	peer = twill_table_remove(&st->table, st_family(v6), addr, cidr);
	st->ops++;
	if (peer != (e ? st->peers[e->peer] : NULL))
		return st_fail(st, "remove %s/%u: got peer %d, expected %d",
			       v6 ? "v6" : "v4", cidr,
			       st_peer_index(st, peer), e ? e->peer : -1);
	if (e)
		st_oracle_del(st, e);
	return true;
}

static void st_remove_peer(struct st_state *st, int p)
{
	struct hlist_node *tmp;
	struct st_ent *e;
	u32 b;

	twill_table_remove_peer(&st->table, st->peers[p]);
	st->ops++;
	for (b = 0; b < (1U << ST_HASH_BITS); b++)
		hlist_for_each_entry_safe(e, tmp, &st->hash[b], node)
			if (e->peer == p)
				st_oracle_del(st, e);
}

static bool st_query(struct st_state *st, bool v6, const struct twill_key *a)
{
	struct st_ent *e = st_oracle_lpm(st, a, v6);
	struct twill_peer *peer;
	u8 addr[16], prefix[16], want[16] = {};
	u8 cidr = 255;

	st_to_addr(a, v6, addr);
	if (st->queries & 1) {
		rcu_read_lock_bh();
		peer = twill_table_lookup(&st->table, st_family(v6), addr,
					  &cidr, prefix);
		rcu_read_unlock_bh();
	} else {
		rcu_read_lock();
		peer = twill_table_lookup(&st->table, st_family(v6), addr,
					  &cidr, prefix);
		rcu_read_unlock();
	}
	st->queries++;
	if (!e && !peer)
		return true;
	if (e)
		st_to_addr(&e->key, v6, want);
	if (!e || !peer || peer != st->peers[e->peer] || cidr != e->cidr ||
	    memcmp(prefix, want, 16))
		return st_fail(st, "lookup %s %pI6c: got peer %d /%d, expected peer %d /%d",
			       v6 ? "v6" : "v4", v6 ? addr : want,
			       st_peer_index(st, peer), peer ? cidr : -1,
			       e ? e->peer : -1, e ? e->cidr : -1);
	return true;
}

/* ---- random prefixes and addresses ---- */

#define ST_CLUSTERS 64
static struct twill_key st_cluster[2][ST_CLUSTERS];

/*
 * Prefixes: a third fully random, the rest inside one of a few clusters
 * so that tries get deep, prefixes nest and moves happen.  Lengths favour
 * the long end but cover 0 to the maximum.
 */
static u8 st_rand_cidr(struct st_state *st, bool v6)
{
	u8 bits = v6 ? 128 : 32;

	if (st_rand(st, 10) < 3)
		return st_rand(st, bits + 1);
	return bits / 2 + st_rand(st, bits / 2 + 1);
}

static struct twill_key st_rand_key(struct st_state *st, bool v6)
{
	struct twill_key k = { .hi = st_rand64(st), .lo = st_rand64(st) };
	const struct twill_key *c;
	u8 keep;

	if (!v6)
		k.hi &= 0xffffffff00000000ULL, k.lo = 0;
	if (st_rand(st, 3) == 0)
		return k;
	c = &st_cluster[v6][st_rand(st, ST_CLUSTERS)];
	keep = v6 ? 32 + st_rand(st, 64) : 8 + st_rand(st, 16);
	if (keep < 64)
		k.hi = (c->hi & ~(~0ULL >> keep)) | (k.hi & (~0ULL >> keep));
	else
		k.hi = c->hi;
	if (!v6)
		k.hi &= 0xffffffff00000000ULL;
	return k;
}

/* Keeps 198.18.0.0/15 and 2001:db8:a::/48 for the concurrent anchors. */
static bool st_in_anchor_range(const struct twill_key *k, u8 cidr, bool v6)
{
	if (v6)
		return cidr >= 48 && (k->hi >> 16) == 0x20010db8000aULL;
	return cidr >= 15 && (k->hi >> 49) == (0xc6120000ULL >> 17);
}

static bool st_rand_prefix(struct st_state *st, bool v6, struct twill_key *k,
			   u8 *cidr)
{
	*cidr = st_rand_cidr(st, v6);
	*k = st_rand_key(st, v6);
	*k = key_mask(k, *cidr);
	return !st_in_anchor_range(k, *cidr, v6);
}

/* Half fully random, half inside a known prefix, some at its edge. */
static struct twill_key st_rand_addr(struct st_state *st, bool v6)
{
	struct twill_key a = { .hi = st_rand64(st), .lo = st_rand64(st) };
	struct st_prefix *p;
	struct twill_key m;

	if (!v6)
		a.hi &= 0xffffffff00000000ULL, a.lo = 0;
	if (!st->nlog[v6] || st_rand(st, 2))
		return a;
	p = &st->log[v6][st_rand(st, st->nlog[v6])];
	m = key_mask(&a, p->cidr);
	a.hi = p->key.hi | (a.hi ^ m.hi);
	a.lo = p->key.lo | (a.lo ^ m.lo);
	if (p->cidr && st_rand(st, 4) == 0) {
		/* flip the prefix's last bit: just outside it */
		if (p->cidr <= 64)
			a.hi ^= 1ULL << (64 - p->cidr);
		else
			a.lo ^= 1ULL << (128 - p->cidr);
	}
	return a;
}

static bool st_queries(struct st_state *st, bool v6, u32 n)
{
	struct twill_key a;
	u32 i;

	for (i = 0; i < n; i++) {
		a = st_rand_addr(st, v6);
		if (st_in_anchor_range(&a, v6 ? 128 : 32, v6))
			continue;
		if (!st_query(st, v6, &a))
			return false;
		if (!(i & 1023))
			cond_resched();
	}
	return true;
}

/* ---- structural checks ---- */

static struct twill_node *st_stack[2 * 130];

static bool st_check_child(struct st_state *st, struct twill_node *parent,
			   struct twill_node *child, int b)
{
	struct twill_key pk = node_key(parent), ck = node_key(child);

	if (child->cidr <= parent->cidr || key_common(&pk, &ck) < parent->cidr ||
	    key_bit(&ck, parent->cidr) != b || child->kind / 2 != parent->kind / 2)
		return st_fail(st, "bad child /%u under /%u", child->cidr,
			       parent->cidr);
	return true;
}

static bool st_check_node(struct st_state *st, struct twill_node *node,
			  u32 *nodes, u32 *prefixes)
{
	struct twill_key k = node_key(node), m = key_mask(&k, node->cidr);
	struct twill_node *c0 = deref_w(&st->table, node->bit[0]);
	struct twill_node *c1 = deref_w(&st->table, node->bit[1]);
	struct twill_peer *peer = NULL;

	nodes[node->kind]++;
	if (kind_has_peer(node->kind))
		peer = deref_w(&st->table, *node_peer(node));
	if (m.hi != k.hi || m.lo != k.lo || (node->state & TN_DEAD))
		return st_fail(st, "bad node /%u state %x", node->cidr,
			       node->state);
	if (peer) {
		(*prefixes)++;
		if ((node->state & (TN_LISTED | TN_STALE)) != TN_LISTED)
			return st_fail(st, "owned node not listed");
	} else if (!c0 || !c1) {
		return st_fail(st, "peerless node /%u lacks a child",
			       node->cidr);
	}
	if (c0 && !st_check_child(st, node, c0, 0))
		return false;
	return !c1 || st_check_child(st, node, c1, 1);
}

/* Every slot of the IPv4 directory holds what a rebuild would put there. */
static bool st_check_dir(struct st_state *st)
{
	struct twill_dir *dir = deref_w(&st->table, st->table.dir4);
	struct twill_node *want;
	u32 i;

	if (!dir)
		return true;
	for (i = 0; i <= dir->nmask; i++) {
		want = dir_target(&st->table, dir->base | (i << dir->shift),
				  dir->skip + dir->bits);
		if (deref_w(&st->table, dir->slot[i]) != want)
			return st_fail(st, "directory slot %u of %u (skip %u) stale",
				       i, dir->nmask + 1, dir->skip);
		if (!(i & 4095))
			cond_resched();
	}
	return true;
}

/* Walks both tries checking every invariant and the counters. */
static bool st_check_trie(struct st_state *st)
{
	u32 nodes[TWILL_NODE_KINDS] = {}, prefixes = 0, sp, i, live;
	struct twill_node *node;
	struct twill_peer *peer;
	int v6, kind;

	for (v6 = 0; v6 < 2; v6++) {
		sp = 0;
		node = deref_w(&st->table, v6 ? st->table.root6 :
			       st->table.root4);
		if (node)
			st_stack[sp++] = node;
		while (sp) {
			node = st_stack[--sp];
			if (node->kind != (v6 ? TN_PREFIX6 : TN_PREFIX4) &&
			    node->kind != (v6 ? TN_BRANCH6 : TN_BRANCH4))
				return st_fail(st, "node of wrong family");
			if (!st_check_node(st, node, nodes, &prefixes))
				return false;
			for (i = 0; i < 2; i++)
				if (rcu_access_pointer(node->bit[i]))
					st_stack[sp++] = deref_w(&st->table,
								 node->bit[i]);
		}
		cond_resched();
	}
	for (kind = 0; kind < TWILL_NODE_KINDS; kind++)
		if (nodes[kind] != st->table.nodes[kind])
			return st_fail(st, "kind %d: %u nodes, counted %u", kind,
				       nodes[kind], st->table.nodes[kind]);
	if (prefixes != st->table.count ||
	    prefixes != st->count[0] + st->count[1] + st->anchors)
		return st_fail(st, "%u prefixes, table says %u, oracle %u+%u",
			       prefixes, st->table.count,
			       st->count[0] + st->count[1], st->anchors);
	for (i = 0; i < ST_PEERS; i++) {
		peer = st->peers[i];
		live = 0;
		for (node = peer->prefixes.first; node; node = node->next)
			live += !(node->state & TN_STALE);
		if (live != peer->prefixes.count || live != st->peer_count[i])
			return st_fail(st, "peer %u: %u listed, count %u, oracle %u",
				       i, live, peer->prefixes.count,
				       st->peer_count[i]);
	}
	return st_check_dir(st);
}

struct st_walk {
	struct st_state *st;
	int peer;
	u32 seen, stop;
};

static int st_walk_fn(void *ctx, int family, const void *addr, u8 cidr)
{
	struct st_walk *w = ctx;
	struct twill_key k = key_from_addr(family, addr);
	struct st_ent *e = st_find(w->st, &k, cidr, family == AF_INET6);

	if (!e || e->peer != w->peer)
		return -EINVAL;
	if (w->seen == w->stop)
		return 1;
	w->seen++;
	return 0;
}

/*
 * walk_peer() visits exactly the oracle's prefixes of @p, and a walk
 * stopped half way resumes at the prefix it stopped on.
 */
static bool st_check_walk(struct st_state *st, int p)
{
	struct twill_prefix_cursor cursor = {};
	struct st_walk w = { .st = st, .peer = p, .stop = U32_MAX };
	int ret;

	ret = twill_table_walk_peer(st->peers[p], &cursor, st_walk_fn, &w);
	if (ret || w.seen != st->peer_count[p] || cursor.node)
		return st_fail(st, "walk of peer %d: %u seen, %u expected", p,
			       w.seen, st->peer_count[p]);
	w.seen = 0;
	w.stop = st->peer_count[p] / 2;
	ret = twill_table_walk_peer(st->peers[p], &cursor, st_walk_fn, &w);
	if (ret != !!(w.stop < st->peer_count[p]))
		return st_fail(st, "walk of peer %d: no stop", p);
	w.stop = U32_MAX;
	ret = twill_table_walk_peer(st->peers[p], &cursor, st_walk_fn, &w);
	if (ret || w.seen != st->peer_count[p])
		return st_fail(st, "resumed walk of peer %d: %u seen, %u expected",
			       p, w.seen, st->peer_count[p]);
	return true;
}

static bool st_check(struct st_state *st, bool v6, u32 queries)
{
	return st_check_trie(st) && st_check_walk(st, st_rand(st, ST_PEERS)) &&
	       st_queries(st, v6, queries);
}

/* ---- fixed cases ---- */

static bool st_ins(struct st_state *st, bool v6, const char *s, u8 cidr, int p)
{
	u8 addr[16] = {};
	struct twill_key k;

	if (v6) {
		if (!in6_pton(s, -1, addr, -1, NULL))
			return st_fail(st, "bad test address %s", s);
	} else if (!in4_pton(s, -1, addr, -1, NULL)) {
		return st_fail(st, "bad test address %s", s);
	}
	k = key_from_addr(st_family(v6), addr);
	return st_insert(st, v6, &k, cidr, p) && st_check_trie(st);
}

static bool st_del(struct st_state *st, bool v6, const char *s, u8 cidr)
{
	u8 addr[16] = {};
	struct twill_key k;

	if (v6)
		in6_pton(s, -1, addr, -1, NULL);
	else
		in4_pton(s, -1, addr, -1, NULL);
	k = key_from_addr(st_family(v6), addr);
	return st_remove(st, v6, &k, cidr) && st_check_trie(st);
}

/* Looks @s up and expects peer @p (-1: none) with length @cidr. */
static bool st_expect(struct st_state *st, bool v6, const char *s, int p,
		      u8 cidr)
{
	struct twill_peer *peer;
	u8 addr[16] = {}, got = 255;

	if (v6)
		in6_pton(s, -1, addr, -1, NULL);
	else
		in4_pton(s, -1, addr, -1, NULL);
	rcu_read_lock();
	peer = twill_table_lookup(&st->table, st_family(v6), addr, &got, NULL);
	rcu_read_unlock();
	if (peer != (p < 0 ? NULL : st->peers[p]) || (peer && got != cidr))
		return st_fail(st, "fixed: %s -> peer %d /%u, expected %d /%u",
			       s, st_peer_index(st, peer), got, p, cidr);
	return true;
}

static bool st_fixed4(struct st_state *st)
{
	return st_expect(st, false, "10.1.2.3", -1, 0) &&
	       st_ins(st, false, "0.0.0.0", 0, 0) &&
	       st_expect(st, false, "10.1.2.3", 0, 0) &&
	       st_expect(st, false, "255.255.255.255", 0, 0) &&
	       st_ins(st, false, "10.1.2.3", 32, 1) &&
	       st_ins(st, false, "10.1.2.0", 24, 2) &&
	       st_ins(st, false, "10.1.0.0", 16, 3) &&
	       st_ins(st, false, "10.1.3.0", 24, 4) &&
	       st_expect(st, false, "10.1.2.3", 1, 32) &&
	       st_expect(st, false, "10.1.2.4", 2, 24) &&
	       st_expect(st, false, "10.1.3.9", 4, 24) &&
	       st_expect(st, false, "10.1.4.9", 3, 16) &&
	       st_expect(st, false, "10.2.0.0", 0, 0) &&
	       /* a prefix with children goes; they stay */
	       st_del(st, false, "10.1.0.0", 16) &&
	       st_expect(st, false, "10.1.4.9", 0, 0) &&
	       st_expect(st, false, "10.1.3.9", 4, 24) &&
	       /* and comes back into the zombie left behind */
	       st_ins(st, false, "10.1.0.0", 16, 5) &&
	       st_expect(st, false, "10.1.4.9", 5, 16) &&
	       /* move to another peer, twice, and to the same peer */
	       st_ins(st, false, "10.1.2.0", 24, 6) &&
	       st_ins(st, false, "10.1.2.0", 24, 7) &&
	       st_ins(st, false, "10.1.2.0", 24, 7) &&
	       st_expect(st, false, "10.1.2.4", 7, 24) &&
	       /* a branch node (10.1.2.0/23) turning into a prefix */
	       st_ins(st, false, "10.1.2.0", 23, 8) &&
	       st_expect(st, false, "10.1.2.200", 7, 24) &&
	       st_del(st, false, "10.1.2.0", 24) &&
	       st_expect(st, false, "10.1.2.200", 8, 23) &&
	       /* absent prefixes, wrong lengths */
	       st_del(st, false, "10.1.2.0", 25) &&
	       st_del(st, false, "10.9.0.0", 16) &&
	       st_del(st, false, "10.1.2.3", 32) &&
	       st_expect(st, false, "10.1.2.3", 8, 23) &&
	       st_del(st, false, "0.0.0.0", 0) &&
	       st_expect(st, false, "10.9.2.3", -1, 0) &&
	       st_ins(st, false, "255.255.255.255", 32, 9) &&
	       st_expect(st, false, "255.255.255.255", 9, 32) &&
	       st_expect(st, false, "255.255.255.254", -1, 0);
}

static bool st_fixed6(struct st_state *st)
{
	return st_ins(st, true, "::", 0, 0) &&
	       st_ins(st, true, "2001:db8::1", 128, 1) &&
	       st_ins(st, true, "2001:db8::", 64, 2) &&
	       st_ins(st, true, "2001:db8::", 65, 3) &&
	       st_ins(st, true, "2001:db8:0:0:8000::", 65, 4) &&
	       st_ins(st, true, "2001:db8::", 32, 5) &&
	       st_expect(st, true, "2001:db8::1", 1, 128) &&
	       st_expect(st, true, "2001:db8::2", 3, 65) &&
	       st_expect(st, true, "2001:db8::8000:0:0:2", 4, 65) &&
	       st_expect(st, true, "2001:db8:0:1::", 5, 32) &&
	       st_expect(st, true, "2001:db9::", 0, 0) &&
	       st_del(st, true, "2001:db8::", 64) &&
	       st_expect(st, true, "2001:db8::8000:0:0:2", 4, 65) &&
	       st_del(st, true, "2001:db8::", 65) &&
	       st_expect(st, true, "2001:db8::2", 5, 32) &&
	       st_expect(st, true, "2001:db8::1", 1, 128) &&
	       st_ins(st, true, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128,
		      6) &&
	       st_expect(st, true, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 6,
			 128) &&
	       st_expect(st, true, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 0,
			 0) &&
	       /* v4 and v6 tries are separate */
	       st_expect(st, false, "0.0.0.1", -1, 0);
}

/* Removes every peer and checks that nothing at all is left. */
static bool st_empty(struct st_state *st)
{
	int p;

	for (p = 0; p < ST_PEERS; p++)
		st_remove_peer(st, p);
	twill_table_flush(&st->table);
	if (!st_check_trie(st))
		return false;
	if (st->table.count || rcu_access_pointer(st->table.root4) ||
	    rcu_access_pointer(st->table.root6) || st->table.dead ||
	    !hlist_empty(&st->table.dirty))
		return st_fail(st, "table not empty after removing all peers");
	for (p = 0; p < ST_PEERS; p++)
		if (st->peers[p]->prefixes.first)
			return st_fail(st, "peer %d list not empty", p);
	return true;
}

/* ---- the directory of a cluster-like table ---- */

static bool st_log(struct st_state *st, bool v6, const struct twill_key *k,
		   u8 cidr);

/* Pod subnet @j of 10.224.0.0/11 (8192 /24s), in a scattered order. */
static struct twill_key st_pod_subnet(u32 j)
{
	struct twill_key k = {
		.hi = (u64)(0x0ae00000U | (((j * 2654435761U) & 8191) << 8)) << 32,
	};

	return k;
}

static bool st_block_ops(struct st_state *st, bool add, u32 n)
{
	struct twill_key k;
	u32 j;

	for (j = 0; j < n; j++) {
		k = st_pod_subnet(j);
		if (add) {
			st_log(st, false, &k, 24);
			if (!st_insert(st, false, &k, 24, j % ST_PEERS))
				return false;
			/* a host route inside every 100th subnet */
			k.hi |= (u64)(j % 250 + 1) << 32;
			if (!(j % 100) && (!st_log(st, false, &k, 32) ||
					   !st_insert(st, false, &k, 32, 1)))
				return false;
		} else if (!st_remove(st, false, &k, 24)) {
			return false;
		}
	}
	return true;
}

/*
 * A table such as a cluster's: every prefix inside one /11, so the
 * directory skips its first 11 bits; then prefixes outside that block and
 * shorter than the directory's span, which only the walk from the root
 * finds, before and after the flush that may rebuild it.
 */
static bool st_dir_block(struct st_state *st)
{
	struct twill_dir *dir;
	u32 n = 1500 / ST_SCALE + DIR_MIN_PREFIXES;

	if (!st_block_ops(st, true, n))
		return false;
	twill_table_flush(&st->table);
	dir = deref_w(&st->table, st->table.dir4);
	if (!dir || dir->skip < 11)
		return st_fail(st, "cluster table: directory %s, skip %d",
			       dir ? "present" : "missing", dir ? dir->skip : -1);
	if (!st_check(st, false, ST_QUERIES / ST_SCALE) ||
	    !st_ins(st, false, "10.0.0.0", 8, 2) ||
	    !st_ins(st, false, "10.224.0.0", 12, 3) ||
	    !st_ins(st, false, "192.0.2.0", 24, 4) ||
	    !st_expect(st, false, "192.0.2.9", 4, 24) ||
	    !st_expect(st, false, "10.1.2.3", 2, 8) ||
	    !st_check(st, false, ST_QUERIES / ST_SCALE))
		return false;
	twill_table_flush(&st->table);
	if (!st_check(st, false, ST_QUERIES / ST_SCALE) ||
	    !st_block_ops(st, false, n))
		return false;
	return st_empty(st) &&
	       (!rcu_access_pointer(st->table.dir4) ||
		st_fail(st, "directory left in an empty table"));
}

/* ---- concurrent readers ---- */

#define ST_ANCHORS 64

struct st_reader {
	struct st_state *st;
	unsigned long lookups, errors;
};

static void st_anchor(int i, bool v6, u8 *addr, u8 *cidr)
{
	memset(addr, 0, 16);
	if (v6) {
		addr[0] = 0x20, addr[1] = 0x01, addr[2] = 0x0d;
		addr[3] = 0xb8, addr[5] = 0x0a, addr[6] = i;
		*cidr = 56;
	} else {
		addr[0] = 198, addr[1] = 18, addr[2] = i;
		*cidr = 24;
	}
}

static int st_reader_fn(void *arg)
{
	struct st_reader *r = arg;
	struct twill_peer *peer;
	u8 addr[16], cidr, want;
	unsigned int pass = 0;
	bool v6;
	int i;

	while (!kthread_should_stop()) {
		for (i = 0; i < 2 * ST_ANCHORS; i++) {
			v6 = i & 1;
			st_anchor(i / 2, v6, addr, &want);
			addr[v6 ? 15 : 3] = 7;
			rcu_read_lock_bh();
			peer = twill_table_lookup(&r->st->table, st_family(v6),
						  addr, &cidr, NULL);
			if ((peer != r->st->anchor_peer[0] &&
			     peer != r->st->anchor_peer[1]) || cidr != want)
				r->errors++;
			rcu_read_unlock_bh();
			r->lookups++;
		}
		/* Leave CPU time to the writer under emulation. */
		if (!(++pass & 3))
			usleep_range(200, 400);
		cond_resched();
	}
	return 0;
}

/* Gives every anchor to anchor peer @p: moves while readers look. */
static bool st_move_anchors(struct st_state *st, int p)
{
	u8 addr[16], cidr;
	int i;

	for (i = 0; i < 2 * ST_ANCHORS; i++) {
		st_anchor(i / 2, i & 1, addr, &cidr);
		if (twill_table_reserve(&st->table, 1))
			return st_fail(st, "reserve failed");
		st->anchors += twill_table_insert(&st->table, st_family(i & 1),
						  addr, cidr,
						  st->anchor_peer[p]);
	}
	return true;
}

/* Drops the anchors, which the oracle does not know about. */
static void st_drop_anchors(struct st_state *st)
{
	u8 addr[16], cidr;
	int i;

	for (i = 0; i < 2 * ST_ANCHORS; i++) {
		st_anchor(i / 2, i & 1, addr, &cidr);
		twill_table_remove(&st->table, st_family(i & 1), addr, cidr);
	}
	st->anchors = 0;
}

/* ---- random phase ---- */

static bool st_log(struct st_state *st, bool v6, const struct twill_key *k,
		   u8 cidr)
{
	struct st_prefix *p = &st->log[v6][st->nlog[v6] % (ST_PREFIXES +
							   ST_ROUNDS * ST_OPS)];

	p->key = *k;
	p->cidr = cidr;
	st->nlog[v6] = min_t(u32, st->nlog[v6] + 1, ST_PREFIXES +
			     ST_ROUNDS * ST_OPS);
	return true;
}

static bool st_random_op(struct st_state *st, bool v6)
{
	struct st_prefix *p;
	struct twill_key k;
	u32 r = st_rand(st, 100);
	u8 cidr;

	if (r < 40 || !st->nlog[v6]) {
		if (!st_rand_prefix(st, v6, &k, &cidr))
			return true;
		st_log(st, v6, &k, cidr);
		return st_insert(st, v6, &k, cidr, st_rand(st, ST_PEERS));
	}
	p = &st->log[v6][st_rand(st, st->nlog[v6])];
	if (r < 60)	/* insert again: mostly a move */
		return st_insert(st, v6, &p->key, p->cidr,
				 st_rand(st, ST_PEERS));
	if (r < 90)
		return st_remove(st, v6, &p->key, p->cidr);
	if (!st_rand_prefix(st, v6, &k, &cidr))
		return true;
	return st_remove(st, v6, &k, cidr);
}

static bool st_random_family(struct st_state *st, bool v6)
{
	struct twill_key k;
	int round, i;
	u8 cidr;

	for (i = 0; i < ST_CLUSTERS; i++)
		st_cluster[v6][i] = st_rand_key(st, v6);
	for (i = 0; i < ST_PREFIXES / ST_SCALE; i++) {
		if (!st_rand_prefix(st, v6, &k, &cidr))
			continue;
		st_log(st, v6, &k, cidr);
		if (!st_insert(st, v6, &k, cidr, st_rand(st, ST_PEERS)))
			return false;
		if (!(i & 1023))
			cond_resched();
	}
	twill_table_flush(&st->table);
	if (!st_check(st, v6, ST_QUERIES / ST_SCALE))
		return false;
	for (round = 0; round < ST_ROUNDS; round++) {
		for (i = 0; i < ST_OPS / ST_SCALE; i++) {
			if (!st_random_op(st, v6))
				return false;
			if (!(i & 255) && !st_move_anchors(st, !!(i & 256)))
				return false;
		}
		/* Whole peers go, at the same time as other changes. */
		st_remove_peer(st, 3 + st_rand(st, ST_PEERS - 3));
		if (round & 1)
			twill_table_flush(&st->table);
		if (!st_check(st, v6, ST_QUERIES / ST_SCALE))
			return false;
		cond_resched();
	}
	twill_table_flush(&st->table);
	return true;
}

static bool st_run(struct st_state *st)
{
	struct st_reader reader = { .st = st };
	struct task_struct *task;
	bool ok;

	if (!st_fixed4(st) || !st_fixed6(st) || !st_empty(st) ||
	    !st_dir_block(st))
		return false;
	/* Anchors, moved to and fro while a concurrent reader looks. */
	if (!st_move_anchors(st, 0))
		return false;
	task = kthread_run(st_reader_fn, &reader, "twill-selftest");
	if (IS_ERR(task))
		return st_fail(st, "no reader thread");
	ok = st_random_family(st, false) && st_random_family(st, true);
	kthread_stop(task);
	if (ok && reader.errors)
		return st_fail(st, "concurrent reader: %lu of %lu lookups wrong",
			       reader.errors, reader.lookups);
	pr_info("twill: table selftest: concurrent reader did %lu lookups\n",
		reader.lookups);
	st_drop_anchors(st);
	return ok && st_empty(st);
}

static void st_free(struct st_state *st)
{
	struct hlist_node *tmp;
	struct st_ent *e;
	u32 b;
	int p;

	if (st->hash) {
		for (b = 0; b < (1U << ST_HASH_BITS); b++)
			hlist_for_each_entry_safe(e, tmp, &st->hash[b], node)
				kfree(e);
		vfree(st->hash);
	}
	vfree(st->log[0]);
	vfree(st->log[1]);
	for (p = 0; p < ST_PEERS; p++)
		kfree(st->peers[p]);
	kfree(st->anchor_peer[0]);
	kfree(st->anchor_peer[1]);
	kfree(st);
}

bool twill_table_selftest(void)
{
	size_t nlog = ST_PREFIXES + ST_ROUNDS * ST_OPS;
	struct st_state *st;
	u64 start = ktime_get_ns();
	bool ok;
	int p;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return false;
	prandom_seed_state(&st->rnd, ST_SEED);
	mutex_init(&st->lock);
	twill_table_init(&st->table, &st->lock);
	st->hash = vzalloc(sizeof(*st->hash) << ST_HASH_BITS);
	st->log[0] = vmalloc(array_size(nlog, sizeof(*st->log[0])));
	st->log[1] = vmalloc(array_size(nlog, sizeof(*st->log[1])));
	ok = st->hash && st->log[0] && st->log[1];
	for (p = 0; ok && p < ST_PEERS; p++) {
		st->peers[p] = kzalloc(sizeof(*st->peers[p]), GFP_KERNEL);
		ok = st->peers[p];
	}
	for (p = 0; ok && p < 2; p++) {
		st->anchor_peer[p] = kzalloc(sizeof(*st->anchor_peer[p]),
					     GFP_KERNEL);
		ok = st->anchor_peer[p];
	}
	if (!ok) {
		pr_err("twill: table selftest: out of memory\n");
		st_free(st);
		return false;
	}
	mutex_lock(&st->lock);
	ok = st_run(st);
	twill_table_free(&st->table);
	mutex_unlock(&st->lock);
	if (ok)
		pr_info("twill: table selftest: pass, seed %#llx, %llu ops, %llu queries, %u ms\n",
			ST_SEED, st->ops, st->queries,
			(u32)div_u64(ktime_get_ns() - start, NSEC_PER_MSEC));
	else
		pr_err("twill: table selftest: FAILED, seed %#llx\n", ST_SEED);
	st_free(st);
	return ok;
}

/* ---- benchmark ---- */

/*
 * A realistic-ish IPv4 mix for container hosts: 40% /24 (pod subnets),
 * 30% /32 (host routes), 20% /25../31, 10% /16../23, at random addresses.
 * Queries fall inside random inserted prefixes, as traffic would.
 */
static u8 bench_cidr(struct rnd_state *rnd)
{
	u32 r = prandom_u32_state(rnd) % 100;

	if (r < 40)
		return 24;
	if (r < 70)
		return 32;
	if (r < 90)
		return 25 + prandom_u32_state(rnd) % 7;
	return 16 + prandom_u32_state(rnd) % 8;
}

#define BENCH_PEERS	256
#define BENCH_QUERIES	BIT(20)
#define BENCH_CHUNK	1024

static u64 bench_lookups(struct twill_table *table, const __be32 *q)
{
	struct twill_peer *acc = NULL;
	u64 start = ktime_get_ns();
	u32 i, j;

	for (i = 0; i < BENCH_QUERIES; i += BENCH_CHUNK) {
		rcu_read_lock_bh();
		for (j = i; j < i + BENCH_CHUNK; j++)
			acc = (void *)((unsigned long)acc ^ (unsigned long)
				twill_table_lookup(table, AF_INET, &q[j], NULL,
						   NULL));
		rcu_read_unlock_bh();
		cond_resched();
	}
	OPTIMIZER_HIDE_VAR(acc);
	return ktime_get_ns() - start;
}

/*
 * Whole slab pages the nodes need when packed, as /proc/slabinfo would
 * count them: these caches use order-0 slabs without metadata.
 */
static size_t bench_slab_bytes(struct twill_table *table)
{
	size_t bytes = 0, per_page;
	int kind;

	for (kind = 0; kind < TWILL_NODE_KINDS; kind++) {
		per_page = PAGE_SIZE / kmem_cache_size(node_cache[kind]);
		bytes += DIV_ROUND_UP(table->nodes[kind], per_page) * PAGE_SIZE;
	}
	return bytes;
}

/*
 * The kernel's own FIB on the same prefixes, as the anchor: routes via lo
 * in a table of their own, added through rtnetlink (fib_table_insert() is
 * not exported), looked up with fib_table_lookup() as the forwarding path
 * does.  tests/bench/hook-table.sh flushes the tables afterwards.
 */
#define BENCH_FIB_TABLE	0x74770000
#define BENCH_FIB_BATCH	256

struct bench_route {
	struct nlmsghdr nh;
	struct rtmsg rt;
	struct nlattr dst_attr;
	__be32 dst;
	struct nlattr table_attr;
	u32 table;
	struct nlattr oif_attr;
	u32 oif;
};

static void bench_route_init(struct bench_route *r, __be32 dst, u8 len,
			     u32 table)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = sizeof(*r);
	r->nh.nlmsg_type = RTM_NEWROUTE;
	r->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
	r->rt.rtm_family = AF_INET;
	r->rt.rtm_dst_len = len;
	r->rt.rtm_protocol = RTPROT_STATIC;
	r->rt.rtm_scope = RT_SCOPE_LINK;
	r->rt.rtm_type = RTN_UNICAST;
	r->dst_attr = (struct nlattr){ .nla_len = NLA_HDRLEN + 4,
				       .nla_type = RTA_DST };
	r->dst = dst;
	r->table_attr = (struct nlattr){ .nla_len = NLA_HDRLEN + 4,
					 .nla_type = RTA_TABLE };
	r->table = table;
	r->oif_attr = (struct nlattr){ .nla_len = NLA_HDRLEN + 4,
				       .nla_type = RTA_OIF };
	r->oif = LOOPBACK_IFINDEX;
}

/* Adds @n routes to FIB table @id; NULL if rtnetlink is out of reach. */
static struct fib_table *bench_fib_fill(u32 id, const __be32 *pfx,
					const u8 *len, u32 n)
{
	struct bench_route *batch;
	struct msghdr msg = {};
	struct socket *sock;
	struct file *file;
	struct kvec iov;
	u32 i, b;

	batch = kvmalloc_array(BENCH_FIB_BATCH, sizeof(*batch), GFP_KERNEL);
	if (!batch || sock_create_kern(&init_net, PF_NETLINK, SOCK_RAW,
				       NETLINK_ROUTE, &sock)) {
		kvfree(batch);
		return NULL;
	}
	/*
	 * rtnetlink checks the sender's capabilities through its socket's
	 * file, which a kernel socket lacks: give it one, with the loader's
	 * credentials.  fput() then releases the socket too.
	 */
	file = sock_alloc_file(sock, 0, NULL);
	if (IS_ERR(file)) {
		kvfree(batch);
		return NULL;
	}
	for (i = 0; i < n; i += b) {
		for (b = 0; b < BENCH_FIB_BATCH && i + b < n; b++)
			bench_route_init(&batch[b], pfx[i + b], len[i + b], id);
		iov.iov_base = batch;
		iov.iov_len = b * sizeof(*batch);
		kernel_sendmsg(sock, &msg, &iov, 1, iov.iov_len);
		cond_resched();
	}
	fput(file);
	kvfree(batch);
	return fib_new_table(&init_net, id);
}

static u64 bench_fib_lookups(struct fib_table *tb, const __be32 *q,
			     u32 *misses)
{
	struct flowi4 fl4 = {};
	struct fib_result res;
	u64 start = ktime_get_ns();
	u32 i, j;

	for (i = 0; i < BENCH_QUERIES; i += BENCH_CHUNK) {
		rcu_read_lock();
		for (j = i; j < i + BENCH_CHUNK; j++) {
			fl4.daddr = q[j];
			if (fib_table_lookup(tb, &fl4, &res, FIB_LOOKUP_NOREF))
				(*misses)++;
		}
		rcu_read_unlock();
		cond_resched();
	}
	return ktime_get_ns() - start;
}

/* A prefix set: @n prefixes in @pfx/@len and queries inside them in @q. */
struct bench_set {
	const char *name;
	struct twill_peer **peers;
	__be32 *pfx, *q;
	u8 *len;
	u32 n;
	struct rnd_state *rnd;
};

/* The random mix of bench_cidr() at random addresses. */
static void bench_gen_random(struct bench_set *set)
{
	u32 i;

	for (i = 0; i < set->n; i++) {
		set->len[i] = bench_cidr(set->rnd);
		set->pfx[i] = cpu_to_be32(prandom_u32_state(set->rnd) &
					  (u32)(~0ULL << (32 - set->len[i])));
	}
}

/*
 * A cluster's table: @n - 16 distinct /24 pod subnets inside 10.224.0.0/11
 * (flannel's SubnetLen 24 in a Network of 8,192 subnets) and 16 /32 host
 * routes inside them.
 */
static void bench_gen_cluster(struct bench_set *set)
{
	u32 i, subnets = set->n - 16;

	for (i = 0; i < subnets; i++) {
		set->len[i] = 24;
		set->pfx[i] = cpu_to_be32(0x0ae00000U |
					  (((i * 2654435761U) & 8191) << 8));
	}
	for (; i < set->n; i++) {
		set->len[i] = 32;
		set->pfx[i] = set->pfx[i % subnets] | cpu_to_be32(i);
	}
}

static void bench_gen_queries(struct bench_set *set)
{
	u32 i, j, host;

	for (i = 0; i < BENCH_QUERIES; i++) {
		j = prandom_u32_state(set->rnd) % set->n;
		host = set->len[j] == 32 ? 0 :
		       prandom_u32_state(set->rnd) >> set->len[j];
		set->q[i] = set->pfx[j] | cpu_to_be32(host);
	}
}

/* Prints the kernel FIB's cost on @set (-1 when it could not be had). */
static long long bench_fib(struct bench_set *set, u32 id, u32 *misses)
{
	struct fib_table *tb = bench_fib_fill(id, set->pfx, set->len, set->n);

	if (!tb)
		return -1;
	return div_u64(bench_fib_lookups(tb, set->q, misses), BENCH_QUERIES);
}

static void bench_set_run(struct bench_set *set, u32 fib_id)
{
	struct twill_table table;
	struct mutex lock;		/* the table's writer lock */
	struct twill_dir *dir;
	long long fib_ns;
	u32 i, misses = 0;
	u64 ins_ns, ns;
	size_t bytes;

	mutex_init(&lock);
	twill_table_init(&table, &lock);
	mutex_lock(&lock);
	if (twill_table_reserve_family(&table, AF_INET, set->n)) {
		pr_err("twill: table-bench: out of memory at %u\n", set->n);
		goto out;
	}
	/* As a commit does: inserts, then the flush that sizes the directory. */
	ins_ns = ktime_get_ns();
	for (i = 0; i < set->n; i++) {
		twill_table_insert(&table, AF_INET, &set->pfx[i], set->len[i],
				   set->peers[i % BENCH_PEERS]);
		if (!(i & 1023))
			cond_resched();
	}
	twill_table_flush(&table);
	ins_ns = ktime_get_ns() - ins_ns;
	twill_table_unreserve(&table);
	bench_gen_queries(set);
	bytes = twill_table_bytes(&table);
	dir = deref_w(&table, table.dir4);
	ns = bench_lookups(&table, set->q);
	fib_ns = bench_fib(set, fib_id, &misses);
	pr_info("twill: table-bench set=%s prefixes=%u ns_per_lookup=%llu fib_ns_per_lookup=%lld fib_misses=%u bytes_per_prefix=%zu slab_bytes_per_prefix=%zu insert_ns=%llu nodes=%u+%u dir_bits=%u dir_skip=%u\n",
		set->name, table.count, div_u64(ns, BENCH_QUERIES), fib_ns,
		misses, table.count ? bytes / table.count : 0,
		table.count ? bench_slab_bytes(&table) / table.count : 0,
		div_u64(ins_ns, set->n), table.nodes[TN_PREFIX4],
		table.nodes[TN_BRANCH4], dir ? dir->bits : 0,
		dir ? dir->skip : 0);
out:
	twill_table_free(&table);
	mutex_unlock(&lock);
	mutex_destroy(&lock);
}

void twill_table_bench(void)
{
	static const u32 sizes[] = { 1, 1000, 100000, 1000000 };
	struct bench_set set = {};
	struct rnd_state rnd;
	int i;

	prandom_seed_state(&rnd, ST_SEED);
	set.rnd = &rnd;
	set.peers = kcalloc(BENCH_PEERS, sizeof(*set.peers), GFP_KERNEL);
	set.pfx = vmalloc(array_size(sizes[3], sizeof(*set.pfx)));
	set.len = vmalloc(sizes[3]);
	set.q = vmalloc(array_size(BENCH_QUERIES, sizeof(*set.q)));
	for (i = 0; set.peers && i < BENCH_PEERS; i++) {
		set.peers[i] = kzalloc(sizeof(*set.peers[i]), GFP_KERNEL);
		if (!set.peers[i])
			goto out;
	}
	if (!set.peers || !set.pfx || !set.len || !set.q)
		goto out;
	set.name = "cluster";
	set.n = 5016;
	bench_gen_cluster(&set);
	bench_set_run(&set, BENCH_FIB_TABLE);
	set.name = "random";
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		set.n = sizes[i];
		bench_gen_random(&set);
		bench_set_run(&set, BENCH_FIB_TABLE + 1 + i);
	}
out:
	for (i = 0; set.peers && i < BENCH_PEERS; i++)
		kfree(set.peers[i]);
	kfree(set.peers);
	vfree(set.pfx);
	vfree(set.len);
	vfree(set.q);
}
