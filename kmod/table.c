// SPDX-License-Identifier: GPL-2.0
/*
 * The CIDR peer table: one path-compressed binary trie per address family.
 *
 * Every node holds a prefix (key/cidr) and two children; a child's prefix
 * extends its parent's and its bit number cidr (0 = most significant)
 * chooses the slot.  Nodes come in two shapes:
 *
 *  - prefix nodes carry a peer pointer.  A peer of NULL makes a "zombie":
 *    a removed prefix that still joins two subtrees.  Zombies save removal
 *    from allocating a branch node, so removals never need a reservation.
 *  - branch nodes carry no peer; they only join two subtrees where two
 *    prefixes diverge, and they cost 8 bytes less.
 *
 * Invariant: a node without a peer (branch or zombie) has two children, so
 * a trie whose peers are all gone is empty.
 *
 * Readers walk down under RCU, comparing the key at each node (XOR + fls)
 * and remembering the last node with a peer.  Writers never change a
 * node's key, cidr or kind once it is published: they publish new nodes
 * into a slot with rcu_assign_pointer(), unlink nodes by pointing the slot
 * elsewhere, and change owners by swapping the peer pointer or, when the
 * node must join another peer's list, by replacing the node with a copy.
 * Unlinked nodes keep their children, so a reader standing on one still
 * finds every prefix that stays in the table.  They are freed in bulk by
 * twill_table_flush() after one grace period, hence no rcu_head.
 *
 * There are no parent pointers: removal walks down again from the root,
 * which costs O(address bits).  The per-peer prefix list is singly linked
 * through the writer-only 'next' field; removed entries are marked stale
 * and dropped by the next flush, so removing one prefix is O(bits) rather
 * than O(the peer's prefixes).  'next' also chains spare and dead nodes.
 */

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/bitops.h>
#include <linux/rcupdate.h>
#include <linux/lockdep.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/sched.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "peer.h"
#include "table.h"

enum {
	TN_PREFIX4,
	TN_BRANCH4,
	TN_PREFIX6,
	TN_BRANCH6,
};

/* Writer-only node state bits. */
enum {
	TN_LISTED = BIT(0),	/* linked in a peer's prefix list */
	TN_STALE = BIT(1),	/* ... but no longer owned by that peer */
	TN_DEAD = BIT(2),	/* unlinked from the trie, freed at flush */
};

/*
 * The IPv4 branch node, and the head of every other node: 32 bytes.  The
 * IPv4 key is stored in host order so that readers XOR it directly.
 */
struct twill_node {
	struct twill_node __rcu *bit[2];
	struct twill_node *next;	/* writer only, see top of file */
	u32 key4;
	u8 cidr;
	u8 kind;			/* immutable, read by readers */
	u8 state;			/* writer only */
};

/* IPv6 branch node: 48 bytes; the key as two host-order halves. */
struct twill_node6 {
	struct twill_node n;
	u64 key6[2];
};

/* IPv4 prefix node: 40 bytes. */
struct twill_pnode4 {
	struct twill_node n;
	struct twill_peer __rcu *peer;
};

/* IPv6 prefix node: 56 bytes. */
struct twill_pnode6 {
	struct twill_node6 n6;
	struct twill_peer __rcu *peer;
};

/*
 * The IPv4 directory.  A large table's lookups would walk some twenty
 * nodes, each a cache miss; the directory skips the top of that walk.  It
 * splits the block that the root covers (its first @skip bits, which every
 * prefix shares) into 2^@bits slots.  A slot holds the first node, on the
 * path of the addresses it covers, that tests a bit at or past @skip +
 * @bits: every prefix at least that long inside the slot sits under it.
 * Shorter prefixes, and addresses outside the block, are not the
 * directory's business: a lookup that finds nothing from its slot walks
 * again from the root, so the directory can only save work, never change
 * an answer.  Writers recompute a slot right after each change of a prefix
 * that long (see dir_update() for why no other change moves a slot), and
 * rebuild the whole directory at flush time when the table has grown or
 * shrunk past its size.
 */
struct twill_dir {
	struct rcu_head rcu;
	u32 base, mask;		/* the block: (addr & mask) == base */
	u32 nmask;		/* 2^bits - 1 */
	u8 shift;		/* 32 - skip - bits */
	u8 skip, bits;
	struct twill_node __rcu *slot[];
};

/* Tables of fewer IPv4 prefixes have no directory: they stay in cache. */
#define DIR_MIN_PREFIXES	512
#define DIR_MIN_BITS		9
#define DIR_MAX_BITS		20

/* Keys on the writer side: both families as 128 bits, v4 in the top 32. */
struct twill_key {
	u64 hi, lo;
};

/* What differs between the two families on the writer side. */
struct twill_family {
	u8 bits;
	u8 prefix_kind, branch_kind;
};

static const struct twill_family family4 = {
	.bits = 32, .prefix_kind = TN_PREFIX4, .branch_kind = TN_BRANCH4,
};

static const struct twill_family family6 = {
	.bits = 128, .prefix_kind = TN_PREFIX6, .branch_kind = TN_BRANCH6,
};

static struct kmem_cache *node_cache[TWILL_NODE_KINDS];

#define deref_w(table, p) \
	rcu_dereference_protected(p, lockdep_is_held((table)->lock))

static bool kind_has_peer(u8 kind)
{
	return kind == TN_PREFIX4 || kind == TN_PREFIX6;
}

static bool kind_is_v6(u8 kind)
{
	return kind == TN_PREFIX6 || kind == TN_BRANCH6;
}

static struct twill_pnode4 *pnode4(struct twill_node *node)
{
	return container_of(node, struct twill_pnode4, n);
}

static struct twill_pnode6 *pnode6(struct twill_node *node)
{
	return container_of(node, struct twill_pnode6, n6.n);
}

static struct twill_peer __rcu **node_peer(struct twill_node *node)
{
	if (node->kind == TN_PREFIX4)
		return &pnode4(node)->peer;
	return &pnode6(node)->peer;
}

static u64 *node_key6(struct twill_node *node)
{
	return container_of(node, struct twill_node6, n)->key6;
}

/* ---- keys ---- */

static struct twill_key node_key(struct twill_node *node)
{
	struct twill_key k = { .hi = (u64)node->key4 << 32 };

	if (kind_is_v6(node->kind)) {
		k.hi = node_key6(node)[0];
		k.lo = node_key6(node)[1];
	}
	return k;
}

/* Number of leading bits @a and @b share, up to 128. */
static unsigned int key_common(const struct twill_key *a,
			       const struct twill_key *b)
{
	u64 x = a->hi ^ b->hi;

	if (x)
		return 64 - fls64(x);
	x = a->lo ^ b->lo;
	return x ? 128 - fls64(x) : 128;
}

/* Bit @i of @k, 0 being the most significant; @i < 128. */
static unsigned int key_bit(const struct twill_key *k, unsigned int i)
{
	if (i < 64)
		return (k->hi >> (63 - i)) & 1;
	return (k->lo >> (127 - i)) & 1;
}

/* @k with the bits from @cidr on cleared. */
static struct twill_key key_mask(const struct twill_key *k, unsigned int cidr)
{
	struct twill_key m = *k;

	if (cidr < 64) {
		m.hi = cidr ? m.hi & ~(~0ULL >> cidr) : 0;
		m.lo = 0;
	} else if (cidr < 128) {
		m.lo = cidr > 64 ? m.lo & ~(~0ULL >> (cidr - 64)) : 0;
	}
	return m;
}

static struct twill_key key_from_addr(int family, const void *addr)
{
	struct twill_key k = {};

	if (family == AF_INET) {
		__be32 a;

		memcpy(&a, addr, sizeof(a));
		k.hi = (u64)be32_to_cpu(a) << 32;
	} else {
		__be64 a[2];

		memcpy(a, addr, sizeof(a));
		k.hi = be64_to_cpu(a[0]);
		k.lo = be64_to_cpu(a[1]);
	}
	return k;
}

/* Writes @node's key in network order: 4 or 16 bytes. */
static void node_addr(struct twill_node *node, void *addr)
{
	if (kind_is_v6(node->kind)) {
		__be64 a[2] = {
			cpu_to_be64(node_key6(node)[0]),
			cpu_to_be64(node_key6(node)[1]),
		};

		memcpy(addr, a, sizeof(a));
	} else {
		__be32 a = cpu_to_be32(node->key4);

		memcpy(addr, &a, sizeof(a));
	}
}

static const struct twill_family *family_of(int family)
{
	if (family == AF_INET)
		return &family4;
	if (family == AF_INET6)
		return &family6;
	return NULL;
}

static struct twill_node __rcu **family_root(struct twill_table *table,
					     const struct twill_family *f)
{
	return f == &family4 ? &table->root4 : &table->root6;
}

/* ---- node allocation: reserve, take, kill, free ---- */

static int reserve_kind(struct twill_table *table, u8 kind, unsigned int n)
{
	struct twill_node *node;

	while (table->nspare[kind] < n) {
		node = kmem_cache_alloc(node_cache[kind], GFP_KERNEL);
		if (!node)
			return -ENOMEM;
		node->kind = kind;
		node->next = table->spare[kind];
		table->spare[kind] = node;
		table->nspare[kind]++;
	}
	return 0;
}

/* An insert needs at most one prefix node and one branch node. */
int twill_table_reserve_family(struct twill_table *table, int family,
			       unsigned int inserts)
{
	const struct twill_family *f = family_of(family);
	int err;

	lockdep_assert_held(table->lock);
	if (!f)
		return -EAFNOSUPPORT;
	err = reserve_kind(table, f->prefix_kind, inserts);
	if (!err)
		err = reserve_kind(table, f->branch_kind, inserts);
	return err;
}

int twill_table_reserve(struct twill_table *table, unsigned int inserts)
{
	int err;

	err = twill_table_reserve_family(table, AF_INET, inserts);
	if (!err)
		err = twill_table_reserve_family(table, AF_INET6, inserts);
	return err;
}

static void free_chain(struct twill_node *node)
{
	struct twill_node *next;

	for (; node; node = next) {
		next = node->next;
		kmem_cache_free(node_cache[node->kind], node);
		cond_resched();
	}
}

void twill_table_unreserve(struct twill_table *table)
{
	int kind;

	lockdep_assert_held(table->lock);
	for (kind = 0; kind < TWILL_NODE_KINDS; kind++) {
		free_chain(table->spare[kind]);
		table->spare[kind] = NULL;
		table->nspare[kind] = 0;
	}
}

/*
 * A reserved node, zeroed but for its kind.  Running out is a caller bug;
 * rather than leave a batch half applied, fall back to an allocation that
 * cannot fail (these nodes are small).
 */
static struct twill_node *take_node(struct twill_table *table, u8 kind)
{
	struct twill_node *node = table->spare[kind];

	if (WARN_ON_ONCE(!node)) {
		node = kmem_cache_alloc(node_cache[kind],
					GFP_KERNEL | __GFP_NOFAIL);
	} else {
		table->spare[kind] = node->next;
		table->nspare[kind]--;
	}
	memset(node, 0, kmem_cache_size(node_cache[kind]));
	node->kind = kind;
	table->nodes[kind]++;
	return node;
}

static struct twill_node *new_node(struct twill_table *table, u8 kind,
				   const struct twill_key *k, u8 cidr)
{
	struct twill_node *node = take_node(table, kind);

	node->cidr = cidr;
	if (kind_is_v6(kind)) {
		node_key6(node)[0] = k->hi;
		node_key6(node)[1] = k->lo;
	} else {
		node->key4 = k->hi >> 32;
	}
	return node;
}

/*
 * @node has been unlinked from the trie.  It is freed at the next flush;
 * if it still sits (stale) in a peer's list, the flush's sweep of that
 * list hands it over, because 'next' is still in use until then.
 */
static void kill_node(struct twill_table *table, struct twill_node *node)
{
	table->nodes[node->kind]--;
	if (node->state & TN_LISTED) {
		node->state |= TN_DEAD;
		return;
	}
	node->next = table->dead;
	table->dead = node;
}

/* ---- per-peer lists ---- */

static void list_add_node(struct twill_peer *peer, struct twill_node *node)
{
	node->next = peer->prefixes.first;
	peer->prefixes.first = node;
	peer->prefixes.count++;
	node->state |= TN_LISTED;
}

/* @node leaves @peer's list lazily: mark it, sweep later. */
static void list_mark_stale(struct twill_table *table, struct twill_peer *peer,
			    struct twill_node *node)
{
	struct twill_prefix_list *list = &peer->prefixes;

	node->state |= TN_STALE;
	list->count--;
	if (hlist_unhashed(&list->dirty))
		hlist_add_head(&list->dirty, &table->dirty);
}

/* Drops the stale entries of @list, passing dead ones to the dead list. */
static void list_sweep(struct twill_table *table,
		       struct twill_prefix_list *list)
{
	struct twill_node **pnode = &list->first;
	struct twill_node *node;

	while ((node = *pnode)) {
		if (!(node->state & TN_STALE)) {
			pnode = &node->next;
			continue;
		}
		*pnode = node->next;
		node->state &= ~(TN_LISTED | TN_STALE);
		if (node->state & TN_DEAD) {
			node->next = table->dead;
			table->dead = node;
		}
	}
	hlist_del_init(&list->dirty);
}

static void sweep_all(struct twill_table *table)
{
	struct twill_prefix_list *list;
	struct hlist_node *tmp;

	hlist_for_each_entry_safe(list, tmp, &table->dirty, dirty)
		list_sweep(table, list);
}

/* ---- the IPv4 directory ---- */

/* True if @a and @b share their first @bits bits (@bits <= 32). */
static bool same_top(u32 a, u32 b, unsigned int bits)
{
	return 32 - fls(a ^ b) >= bits;
}

/*
 * What a slot covering the addresses whose first @span bits are those of
 * @a must hold: the first node on their path testing bit @span or later,
 * or NULL when that block holds no prefix of @span bits or more.
 */
static struct twill_node *dir_target(struct twill_table *table, u32 a,
				     unsigned int span)
{
	struct twill_node *node = deref_w(table, table->root4);

	while (node && node->cidr < span) {
		if (!same_top(a, node->key4, node->cidr))
			return NULL;
		node = deref_w(table, node->bit[(a >> (31 - node->cidr)) & 1]);
	}
	return node && same_top(a, node->key4, span) ? node : NULL;
}

/*
 * @key4/@cidr was just inserted, moved or removed: refresh its slot.  Only
 * such a change (a prefix at least as long as a slot's span, inside the
 * block) can move a slot's node.  The nodes a change creates, copies or
 * unlinks are the prefix's own and those between it and its nearest
 * neighbour in the trie; a slot's node tests a bit at or past the span, so
 * it is one of them only if it shares the changed prefix's first span
 * bits, that is, only if it is the changed prefix's own slot.  Shorter
 * prefixes' nodes test bits before the span and are never a slot's.
 */
static void dir_update(struct twill_table *table, u32 key4, u8 cidr)
{
	struct twill_dir *dir = deref_w(table, table->dir4);
	unsigned int span;

	table->dir_ops++;
	if (!dir)
		return;
	span = dir->skip + dir->bits;
	if (cidr < span || (key4 & dir->mask) != dir->base)
		return;
	rcu_assign_pointer(dir->slot[(key4 >> dir->shift) & dir->nmask],
			   dir_target(table, key4, span));
}

/* The directory size for @n prefixes: about one slot per prefix. */
static unsigned int dir_bits(unsigned int n)
{
	if (n < DIR_MIN_PREFIXES)
		return 0;
	return clamp_t(unsigned int, ilog2(n), DIR_MIN_BITS, DIR_MAX_BITS);
}

/*
 * The block a directory of 2^@bits slots covers: the first bits every
 * prefix shares (the root's), as many as leave room for @bits.
 */
static void dir_block(struct twill_table *table, unsigned int bits, u8 *skip,
		      u32 *mask, u32 *base)
{
	struct twill_node *root = deref_w(table, table->root4);

	*skip = min_t(unsigned int, root ? root->cidr : 0, 32 - bits);
	*mask = *skip ? ~0U << (32 - *skip) : 0;
	*base = root ? root->key4 & *mask : 0;
}

static struct twill_dir *dir_build(struct twill_table *table,
				   unsigned int bits)
{
	struct twill_dir *dir;
	u32 i, a;

	/* vmalloc, so that /proc/vmallocinfo shows it by its caller. */
	dir = __vmalloc(struct_size(dir, slot, 1UL << bits),
			GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN);
	if (!dir)
		return NULL;
	dir->bits = bits;
	dir_block(table, bits, &dir->skip, &dir->mask, &dir->base);
	dir->shift = 32 - dir->skip - bits;
	dir->nmask = (1U << bits) - 1;
	for (i = 0; i <= dir->nmask; i++) {
		a = dir->base | (i << dir->shift);
		RCU_INIT_POINTER(dir->slot[i], dir_target(table, a,
							  dir->skip + bits));
		if (!(i & 4095))
			cond_resched();
	}
	return dir;
}

/* Whether @dir no longer suits the table (@bits: the size it would get). */
static bool dir_stale(struct twill_table *table, struct twill_dir *dir,
		      unsigned int bits)
{
	unsigned int n = table->nodes[TN_PREFIX4];
	u32 mask, base;
	u8 skip;

	if (!dir)
		return bits;
	if (!bits)
		return n < DIR_MIN_PREFIXES / 4;
	if (bits > dir->bits || bits + 2 < dir->bits)
		return true;
	dir_block(table, dir->bits, &skip, &mask, &base);
	if (skip == dir->skip && base == dir->base)
		return false;
	/*
	 * The block moved (a prefix outside it came, or it narrowed): the
	 * directory still answers right, only less often.  Rebuild once
	 * enough has changed to pay for it.
	 */
	return table->dir_ops > n / 8;
}

/*
 * After a grace period (vfree() defers itself out of softirq context).
 * twill_table_module_exit()'s rcu_barrier() waits for the last of these.
 */
static void dir_free(struct rcu_head *head)
{
	vfree(container_of(head, struct twill_dir, rcu));
}

/* At flush time: build, resize or drop the directory as the size asks. */
static void dir_refresh(struct twill_table *table)
{
	struct twill_dir *old = deref_w(table, table->dir4), *dir = NULL;
	unsigned int bits = dir_bits(table->nodes[TN_PREFIX4]);

	if (!dir_stale(table, old, bits))
		return;
	if (bits) {
		dir = dir_build(table, bits);
		/* Without memory, the old directory is still right. */
		if (!dir)
			return;
	}
	table->dir_ops = 0;
	rcu_assign_pointer(table->dir4, dir);
	if (old)
		call_rcu(&old->rcu, dir_free);
}

/* ---- writers ---- */

/* A prefix node copying @old's key and children, published in @slot. */
static struct twill_node *replace_node(struct twill_table *table,
				       const struct twill_family *f,
				       struct twill_node __rcu **slot,
				       struct twill_node *old,
				       struct twill_peer *peer)
{
	struct twill_key k = node_key(old);
	struct twill_node *node = new_node(table, f->prefix_kind, &k,
					   old->cidr);

	RCU_INIT_POINTER(node->bit[0], deref_w(table, old->bit[0]));
	RCU_INIT_POINTER(node->bit[1], deref_w(table, old->bit[1]));
	RCU_INIT_POINTER(*node_peer(node), peer);
	list_add_node(peer, node);
	rcu_assign_pointer(*slot, node);
	kill_node(table, old);
	return node;
}

/* @node already holds @k/@cidr: make @peer its owner.  True if new. */
static bool insert_exact(struct twill_table *table,
			 const struct twill_family *f,
			 struct twill_node __rcu **slot,
			 struct twill_node *node, struct twill_peer *peer)
{
	struct twill_peer *old = NULL;

	if (kind_has_peer(node->kind))
		old = deref_w(table, *node_peer(node));
	if (old == peer)
		return false;
	if (old)
		list_mark_stale(table, old, node);
	/* An unlisted zombie can simply come back to life. */
	if (kind_has_peer(node->kind) && !(node->state & TN_LISTED)) {
		list_add_node(peer, node);
		rcu_assign_pointer(*node_peer(node), peer);
	} else {
		/* Atomic for readers: old and new node have the same children. */
		replace_node(table, f, slot, node, peer);
	}
	if (old)
		return false;
	table->count++;
	return true;
}

/*
 * @k/@cidr is not in the trie; @node (may be NULL) sits in @slot where it
 * belongs.  @common is the number of bits @node's key shares with @k,
 * already capped to both cidrs.
 */
static void insert_new(struct twill_table *table, const struct twill_family *f,
		       struct twill_node __rcu **slot, struct twill_node *node,
		       unsigned int common, const struct twill_key *k, u8 cidr,
		       struct twill_peer *peer)
{
	struct twill_node *leaf = new_node(table, f->prefix_kind, k, cidr);
	struct twill_node *branch;
	struct twill_key nk;

	RCU_INIT_POINTER(*node_peer(leaf), peer);
	list_add_node(peer, leaf);
	table->count++;
	if (!node) {
		rcu_assign_pointer(*slot, leaf);
		return;
	}
	nk = node_key(node);
	if (common == cidr) {
		/* The new prefix covers @node: it goes above it. */
		RCU_INIT_POINTER(leaf->bit[key_bit(&nk, cidr)], node);
		rcu_assign_pointer(*slot, leaf);
		return;
	}
	/* They diverge at bit @common: join them with a branch. */
	nk = key_mask(k, common);
	branch = new_node(table, f->branch_kind, &nk, common);
	RCU_INIT_POINTER(branch->bit[key_bit(k, common)], leaf);
	RCU_INIT_POINTER(branch->bit[!key_bit(k, common)], node);
	rcu_assign_pointer(*slot, branch);
}

static bool insert_key(struct twill_table *table, const struct twill_family *f,
		       const struct twill_key *k, u8 cidr,
		       struct twill_peer *peer)
{
	struct twill_node __rcu **slot = family_root(table, f);
	struct twill_node *node;
	unsigned int common = 0;
	struct twill_key nk;

	while ((node = deref_w(table, *slot))) {
		nk = node_key(node);
		common = min3(key_common(&nk, k), (unsigned int)cidr,
			      (unsigned int)node->cidr);
		if (common < node->cidr)
			break;
		if (node->cidr == cidr)
			return insert_exact(table, f, slot, node, peer);
		slot = &node->bit[key_bit(k, node->cidr)];
	}
	insert_new(table, f, slot, node, common, k, cidr, peer);
	return true;
}

bool twill_table_insert(struct twill_table *table, int family, const void *addr,
			u8 cidr, struct twill_peer *peer)
{
	const struct twill_family *f = family_of(family);
	struct twill_key k;
	bool added;

	lockdep_assert_held(table->lock);
	if (WARN_ON_ONCE(!f || cidr > f->bits || !peer))
		return false;
	k = key_from_addr(family, addr);
	k = key_mask(&k, cidr);
	added = insert_key(table, f, &k, cidr, peer);
	if (f == &family4)
		dir_update(table, k.hi >> 32, cidr);
	return added;
}

/*
 * Finds the node holding exactly @k/@cidr.  @slot gets the slot pointing
 * to it, @pslot the slot pointing to its parent (NULL at the root).
 */
static struct twill_node *find_exact(struct twill_table *table,
				     const struct twill_family *f,
				     const struct twill_key *k, u8 cidr,
				     struct twill_node __rcu ***slot,
				     struct twill_node __rcu ***pslot)
{
	struct twill_node __rcu **s = family_root(table, f), **ps = NULL;
	struct twill_node *node;
	struct twill_key nk;

	while ((node = deref_w(table, *s)) && node->cidr <= cidr) {
		nk = node_key(node);
		if (key_common(&nk, k) < node->cidr)
			return NULL;
		if (node->cidr == cidr) {
			*slot = s;
			*pslot = ps;
			return node;
		}
		ps = s;
		s = &node->bit[key_bit(k, node->cidr)];
	}
	return NULL;
}

/*
 * @node, in @slot under the parent in @pslot, just lost its peer: unlink
 * whatever the trie no longer needs, keeping peerless nodes binary.
 */
static void prune(struct twill_table *table, struct twill_node __rcu **slot,
		  struct twill_node __rcu **pslot, struct twill_node *node)
{
	struct twill_node *c0 = deref_w(table, node->bit[0]);
	struct twill_node *c1 = deref_w(table, node->bit[1]);
	struct twill_node *parent, *sibling;

	if (c0 && c1)
		return;		/* stays as a zombie joining two subtrees */
	if (c0 || c1) {
		rcu_assign_pointer(*slot, c0 ? c0 : c1);
		kill_node(table, node);
		return;
	}
	parent = pslot ? deref_w(table, *pslot) : NULL;
	if (!parent || (kind_has_peer(parent->kind) &&
			deref_w(table, *node_peer(parent)))) {
		RCU_INIT_POINTER(*slot, NULL);
		kill_node(table, node);
		return;
	}
	/* The parent has no peer and would keep one child: bypass it. */
	sibling = deref_w(table, parent->bit[slot == &parent->bit[0]]);
	rcu_assign_pointer(*pslot, sibling);
	kill_node(table, parent);
	kill_node(table, node);
}

static struct twill_peer *remove_key(struct twill_table *table,
				     const struct twill_family *f,
				     const struct twill_key *k, u8 cidr)
{
	struct twill_node __rcu **slot, **pslot;
	struct twill_node *node;
	struct twill_peer *peer;

	node = find_exact(table, f, k, cidr, &slot, &pslot);
	if (!node || !kind_has_peer(node->kind))
		return NULL;
	peer = deref_w(table, *node_peer(node));
	if (!peer)
		return NULL;
	RCU_INIT_POINTER(*node_peer(node), NULL);
	list_mark_stale(table, peer, node);
	table->count--;
	prune(table, slot, pslot, node);
	if (f == &family4)
		dir_update(table, k->hi >> 32, cidr);
	return peer;
}

struct twill_peer *twill_table_remove(struct twill_table *table, int family,
				      const void *addr, u8 cidr)
{
	const struct twill_family *f = family_of(family);
	struct twill_key k;

	lockdep_assert_held(table->lock);
	if (!f || cidr > f->bits)
		return NULL;
	k = key_from_addr(family, addr);
	k = key_mask(&k, cidr);
	return remove_key(table, f, &k, cidr);
}

void twill_table_remove_peer(struct twill_table *table, struct twill_peer *peer)
{
	struct twill_node *node;
	struct twill_key k;

	lockdep_assert_held(table->lock);
	for (node = peer->prefixes.first; node; node = node->next) {
		if (node->state & TN_STALE)
			continue;
		/* Marks @node stale and maybe dead; its 'next' stays. */
		k = node_key(node);
		remove_key(table, kind_is_v6(node->kind) ? &family6 : &family4,
			   &k, node->cidr);
		cond_resched();
	}
	/* Everything is stale now: this empties the list. */
	list_sweep(table, &peer->prefixes);
}

struct twill_peer *twill_table_find(struct twill_table *table, int family,
				    const void *addr, u8 cidr)
{
	const struct twill_family *f = family_of(family);
	struct twill_node __rcu **slot, **pslot;
	struct twill_node *node;
	struct twill_key k;

	lockdep_assert_held(table->lock);
	if (!f || cidr > f->bits)
		return NULL;
	k = key_from_addr(family, addr);
	k = key_mask(&k, cidr);
	node = find_exact(table, f, &k, cidr, &slot, &pslot);
	if (!node || !kind_has_peer(node->kind))
		return NULL;
	return deref_w(table, *node_peer(node));
}

/* A flush's dead nodes, freed after one grace period for the batch. */
struct dead_batch {
	struct rcu_work work;
	struct twill_node *chain;
};

static struct workqueue_struct *free_wq;

static void free_batch(struct work_struct *work)
{
	struct dead_batch *batch = container_of(to_rcu_work(work),
						struct dead_batch, work);

	free_chain(batch->chain);
	kfree(batch);
}

void twill_table_flush(struct twill_table *table)
{
	struct dead_batch *batch;
	struct twill_node *dead;

	lockdep_assert_held(table->lock);
	sweep_all(table);
	dir_refresh(table);
	dead = table->dead;
	if (!dead)
		return;
	table->dead = NULL;
	/*
	 * The writer does not wait for readers: a commit holds update_lock
	 * and the generic netlink lock of every family.  Only if the small
	 * batch header cannot be had, wait here.
	 */
	batch = kmalloc(sizeof(*batch), GFP_KERNEL);
	if (!batch) {
		synchronize_rcu();
		free_chain(dead);
		return;
	}
	batch->chain = dead;
	INIT_RCU_WORK(&batch->work, free_batch);
	queue_rcu_work(free_wq, &batch->work);
}

/* ---- readers ---- */

/* Readers hold rcu_read_lock() or rcu_read_lock_bh(); writers may look. */
#define deref_r(table, p) \
	rcu_dereference_check(p, rcu_read_lock_bh_held() || \
			      lockdep_is_held((table)->lock))

static struct twill_node *walk4(struct twill_table *table,
				struct twill_node *node, u32 a,
				struct twill_peer **peer)
{
	struct twill_node *best = NULL;
	struct twill_peer *p;

	while (node) {
		/* Leading bits in common via XOR + fls. */
		if (32 - fls(a ^ node->key4) < node->cidr)
			break;
		if (node->kind == TN_PREFIX4) {
			p = deref_r(table, pnode4(node)->peer);
			if (p) {
				best = node;
				*peer = p;
			}
		}
		if (node->cidr == 32)
			break;
		node = deref_r(table, node->bit[(a >> (31 - node->cidr)) & 1]);
	}
	return best;
}

/* From the directory's slot if it finds a match, else from the root. */
static struct twill_node *lookup4(struct twill_table *table, u32 a,
				  struct twill_peer **peer)
{
	struct twill_dir *dir = deref_r(table, table->dir4);
	struct twill_node *best;

	if (dir && (a & dir->mask) == dir->base) {
		best = walk4(table, deref_r(table, dir->slot[(a >> dir->shift) &
							     dir->nmask]),
			     a, peer);
		if (best)
			return best;
	}
	return walk4(table, deref_r(table, table->root4), a, peer);
}

static unsigned int common6(u64 hi, u64 lo, const u64 *key)
{
	u64 x = hi ^ key[0];

	if (x)
		return 64 - fls64(x);
	x = lo ^ key[1];
	return x ? 128 - fls64(x) : 128;
}

static struct twill_node *lookup6(struct twill_table *table, u64 hi, u64 lo,
				  struct twill_peer **peer)
{
	struct twill_node *node = deref_r(table, table->root6), *best = NULL;
	struct twill_peer *p;
	unsigned int c, b;

	while (node) {
		c = node->cidr;
		if (common6(hi, lo, node_key6(node)) < c)
			break;
		if (node->kind == TN_PREFIX6) {
			p = deref_r(table, pnode6(node)->peer);
			if (p) {
				best = node;
				*peer = p;
			}
		}
		if (c == 128)
			break;
		b = c < 64 ? (hi >> (63 - c)) & 1 : (lo >> (127 - c)) & 1;
		node = deref_r(table, node->bit[b]);
	}
	return best;
}

struct twill_peer *twill_table_lookup(struct twill_table *table, int family,
				      const void *addr, u8 *cidr, void *prefix)
{
	struct twill_peer *peer = NULL;
	struct twill_node *best;
	struct twill_key k;

	if (family != AF_INET && family != AF_INET6)
		return NULL;
	k = key_from_addr(family, addr);
	if (family == AF_INET)
		best = lookup4(table, k.hi >> 32, &peer);
	else
		best = lookup6(table, k.hi, k.lo, &peer);
	if (!best)
		return NULL;
	if (cidr)
		*cidr = best->cidr;
	if (prefix) {
		memset(prefix, 0, 16);
		node_addr(best, prefix);
	}
	return peer;
}

/* ---- walking, sizes, life cycle ---- */

int twill_table_walk_peer(struct twill_peer *peer,
			  struct twill_prefix_cursor *cursor,
			  int (*fn)(void *ctx, int family, const void *addr,
				    u8 cidr),
			  void *ctx)
{
	struct twill_node *node = cursor->node ?: peer->prefixes.first;
	u8 addr[16];
	int ret;

	for (; node; node = node->next) {
		cond_resched();
		if (node->state & TN_STALE)
			continue;
		node_addr(node, addr);
		ret = fn(ctx, kind_is_v6(node->kind) ? AF_INET6 : AF_INET,
			 addr, node->cidr);
		if (ret) {
			cursor->node = node;
			return ret;
		}
	}
	cursor->node = NULL;
	return 0;
}

size_t twill_table_bytes(struct twill_table *table)
{
	struct twill_dir *dir = deref_w(table, table->dir4);
	size_t bytes = 0;
	int kind;

	for (kind = 0; kind < TWILL_NODE_KINDS; kind++)
		bytes += (size_t)table->nodes[kind] *
			 kmem_cache_size(node_cache[kind]);
	if (dir)
		bytes += struct_size(dir, slot, (size_t)dir->nmask + 1);
	return bytes;
}

void twill_table_init(struct twill_table *table, struct mutex *lock)
{
	memset(table, 0, sizeof(*table));
	table->lock = lock;
	INIT_HLIST_HEAD(&table->dirty);
}

/*
 * Frees a whole trie that readers can no longer reach, using 'next' as an
 * explicit stack (no recursion: depth goes up to 129).  Owners' lists
 * point into it, so they are emptied on the way.
 */
static void free_trie(struct twill_table *table, struct twill_node *root)
{
	struct twill_node *stack = root, *node, *child;
	struct twill_peer *peer;
	int i;

	if (root)
		root->next = NULL;
	while ((node = stack)) {
		stack = node->next;
		for (i = 0; i < 2; i++) {
			child = rcu_dereference_raw(node->bit[i]);
			if (child) {
				child->next = stack;
				stack = child;
			}
		}
		peer = kind_has_peer(node->kind) ?
		       rcu_dereference_raw(*node_peer(node)) : NULL;
		if (peer) {
			peer->prefixes.first = NULL;
			peer->prefixes.count = 0;
		}
		table->nodes[node->kind]--;
		kmem_cache_free(node_cache[node->kind], node);
		cond_resched();
	}
}

void twill_table_free(struct twill_table *table)
{
	struct twill_node *root4, *root6;
	struct twill_dir *dir;

	lockdep_assert_held(table->lock);
	/* Dead nodes leave the lists, so every listed node is owned. */
	sweep_all(table);
	root4 = deref_w(table, table->root4);
	root6 = deref_w(table, table->root6);
	dir = deref_w(table, table->dir4);
	RCU_INIT_POINTER(table->root4, NULL);
	RCU_INIT_POINTER(table->root6, NULL);
	RCU_INIT_POINTER(table->dir4, NULL);
	synchronize_rcu();
	vfree(dir);
	table->dir_ops = 0;
	free_trie(table, root4);
	free_trie(table, root6);
	free_chain(table->dead);
	table->dead = NULL;
	table->count = 0;
	twill_table_unreserve(table);
}

static const char * const node_cache_name[TWILL_NODE_KINDS] = {
	[TN_PREFIX4] = "twill_prefix4",
	[TN_BRANCH4] = "twill_branch4",
	[TN_PREFIX6] = "twill_prefix6",
	[TN_BRANCH6] = "twill_branch6",
};

static const unsigned int node_size[TWILL_NODE_KINDS] = {
	[TN_PREFIX4] = sizeof(struct twill_pnode4),
	[TN_BRANCH4] = sizeof(struct twill_node),
	[TN_PREFIX6] = sizeof(struct twill_pnode6),
	[TN_BRANCH6] = sizeof(struct twill_node6),
};

/*
 * Our own caches, never merged with others, so that /proc/slabinfo shows
 * the table's memory by name.  SLAB_ACCOUNT charges the nodes to the
 * memcg of whoever configures the table.  6.1 has no SLAB_NO_MERGE; there
 * a usercopy region (the whole object, never actually copied to user
 * space) is what keeps the cache from being merged, without the extra
 * free-pointer word a constructor would cost.
 */
static struct kmem_cache *create_cache(int kind)
{
#ifdef SLAB_NO_MERGE
	return kmem_cache_create(node_cache_name[kind], node_size[kind], 0,
				 SLAB_ACCOUNT | SLAB_NO_MERGE, NULL);
#else
	return kmem_cache_create_usercopy(node_cache_name[kind],
					  node_size[kind], 0, SLAB_ACCOUNT, 0,
					  node_size[kind], NULL);
#endif
}

int twill_table_module_init(void)
{
	int kind;

	free_wq = alloc_workqueue("twill_free", WQ_UNBOUND, 0);
	if (!free_wq)
		return -ENOMEM;
	for (kind = 0; kind < TWILL_NODE_KINDS; kind++) {
		node_cache[kind] = create_cache(kind);
		if (!node_cache[kind]) {
			twill_table_module_exit();
			return -ENOMEM;
		}
	}
	return 0;
}

void twill_table_module_exit(void)
{
	int kind;

	/*
	 * Batches still waiting for their grace period are queued by the
	 * time rcu_barrier() returns (twill_device_module_exit() runs one);
	 * destroying the queue runs them.
	 */
	rcu_barrier();
	if (free_wq)
		destroy_workqueue(free_wq);
	free_wq = NULL;
	for (kind = 0; kind < TWILL_NODE_KINDS; kind++) {
		kmem_cache_destroy(node_cache[kind]);
		node_cache[kind] = NULL;
	}
}

#ifdef DEBUG
#include "selftest/table.c"
#endif
