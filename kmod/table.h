/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CIDR peer table: longest-prefix match from an IPv4 or IPv6 address to
 * the peer that owns it.  Readers are lock-free under RCU; writers hold the
 * lock passed to twill_table_init() (the device's update_lock).
 *
 * Writers never fail half way: twill_table_reserve() allocates, up front,
 * every node a batch of inserts can need, after which twill_table_insert()
 * cannot fail.  Removed nodes are not freed until twill_table_flush(), which
 * hands the whole batch to one deferred free after a grace period, so
 * nodes carry no rcu_head and writers never wait for readers.
 */
#ifndef _TWILL_TABLE_H
#define _TWILL_TABLE_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>

struct twill_peer;
struct twill_node;
struct twill_dir;
struct sk_buff;

/* Prefix and branch nodes, IPv4 and IPv6: one kmem_cache each. */
#define TWILL_NODE_KINDS 4

struct twill_table {
	struct twill_node __rcu *root4;
	struct twill_node __rcu *root6;
	/* IPv4 shortcut past the trie's top levels; NULL for small tables */
	struct twill_dir __rcu *dir4;
	struct mutex *lock;		/* writers; also guards everything below */
	/* reserved nodes per kind, see reserve() */
	struct twill_node *spare[TWILL_NODE_KINDS];
	unsigned int nspare[TWILL_NODE_KINDS];
	unsigned int nodes[TWILL_NODE_KINDS];	/* in the tries, for bytes() */
	struct twill_node *dead;	/* unlinked, freed by flush() */
	struct hlist_head dirty;	/* prefix lists with stale entries */
	u32 count;			/* prefixes (nodes with a peer) */
	u32 dir_ops;			/* IPv4 changes since dir4 was built */
};

/*
 * Per-peer list of the prefixes it owns (writer side only).  The list is
 * singly linked, so entries removed from it are only marked stale and
 * dropped in bulk by twill_table_flush() or twill_table_remove_peer(); a
 * list with stale entries sits on the table's dirty list meanwhile.  So a
 * peer that ever owned a prefix must go through twill_table_remove_peer()
 * (or a flush) before it is freed.  @count counts live entries only.
 */
struct twill_prefix_list {
	struct twill_node *first;
	u32 count;
	struct hlist_node dirty;
};

int twill_table_module_init(void);
void twill_table_module_exit(void);

void twill_table_init(struct twill_table *table, struct mutex *lock);
/* Empties the table and frees everything, waiting for readers. */
void twill_table_free(struct twill_table *table);

/*
 * Make sure the next @inserts calls to insert() cannot fail.  Removals
 * never allocate.  reserve() covers both families; reserve_family() only
 * @family (AF_INET or AF_INET6), for callers that count them apart.
 */
int twill_table_reserve(struct twill_table *table, unsigned int inserts);
int twill_table_reserve_family(struct twill_table *table, int family,
			       unsigned int inserts);
/* Frees unused reserved nodes. */
void twill_table_unreserve(struct twill_table *table);

/*
 * Maps @addr/@cidr (network order, host bits already zero) to @peer, moving
 * the prefix from its previous owner if any.  Returns true when the prefix
 * is new to the table.  Needs a reservation.
 */
bool twill_table_insert(struct twill_table *table, int family, const void *addr,
			u8 cidr, struct twill_peer *peer);
/* Removes exactly @addr/@cidr; returns its former peer or NULL. */
struct twill_peer *twill_table_remove(struct twill_table *table, int family,
				      const void *addr, u8 cidr);
/* Removes every prefix of @peer. */
void twill_table_remove_peer(struct twill_table *table, struct twill_peer *peer);
/* Exact match (writer side): the owner of @addr/@cidr or NULL. */
struct twill_peer *twill_table_find(struct twill_table *table, int family,
				    const void *addr, u8 cidr);
/* Frees the nodes removed since the last flush once readers are done. */
void twill_table_flush(struct twill_table *table);

/*
 * Longest-prefix match, caller holds rcu_read_lock() or rcu_read_lock_bh().
 * Returns the peer without taking a reference; @cidr (optional) gets the
 * length of the matching prefix and @prefix (optional, 16 bytes) its address.
 */
struct twill_peer *twill_table_lookup(struct twill_table *table, int family,
				      const void *addr, u8 *cidr, void *prefix);

/*
 * Where a walk of a peer's prefixes stopped.  Zero it to start from the
 * first prefix.  It stays valid only while the table does not change (the
 * netlink dump checks the device's generation before resuming).
 */
struct twill_prefix_cursor {
	struct twill_node *node;
};

/*
 * Walks @peer's prefixes in a stable order from @cursor, calling @fn for
 * each until it returns non-zero; then @cursor points at the prefix for
 * which it did (so a resumed walk starts with it) and that value is
 * returned.  Returns 0 after the last prefix.  Writer side (table lock
 * held).
 */
int twill_table_walk_peer(struct twill_peer *peer,
			  struct twill_prefix_cursor *cursor,
			  int (*fn)(void *ctx, int family, const void *addr,
				    u8 cidr),
			  void *ctx);

/* Bytes of memory the table's nodes and directory use (for the benchmark). */
size_t twill_table_bytes(struct twill_table *table);

#ifdef DEBUG
bool twill_table_selftest(void);
/* Prints lookup cost and memory at several table sizes (slow). */
void twill_table_bench(void);
#endif

#endif /* _TWILL_TABLE_H */
