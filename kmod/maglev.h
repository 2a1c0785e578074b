/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016): a lookup table of
 * a prime number of slots, each naming a backend, filled by letting the
 * backends take turns claiming their next free preferred slot.  Every
 * backend's preference list is a permutation of the slots derived from two
 * hashes of its own key, so that it does not depend on the other backends:
 * adding or removing one backend of N moves about 1/N of the slots, and
 * every backend gets its share to within one slot a turn.
 *
 * Weights are honoured by turns: a backend of weight w claims a slot in
 * w of every w_max rounds, w_max being the largest weight present.
 *
 * The table is built in process context; publishing it is the caller's.
 */
#ifndef _TWILL_MAGLEV_H
#define _TWILL_MAGLEV_H

#include <linux/siphash.h>
#include <linux/types.h>

/* A slot no backend has claimed (only while building). */
#define TWILL_MAGLEV_EMPTY	U16_MAX
/* Backends a table can name: their index is a u16, U16_MAX is EMPTY. */
#define TWILL_MAGLEV_MAX_BACKENDS	(U16_MAX - 1)

struct twill_maglev_backend {
	u32 offset;	/* its first preferred slot, 0..size-1 */
	u32 skip;	/* the step through its preferences, 1..size-1 */
	u32 weight;	/* 0: never chosen */
};

/* Whether @size can be a table's size: a prime in the uapi's range. */
bool twill_maglev_size_valid(u32 size);

/*
 * Sets @b's preferences from @key (the backend's address and port): two
 * halves of one SipHash under @seed, which the caller keeps fixed for a
 * service so that rebuilding its table reproduces every backend's list.
 */
void twill_maglev_permute(struct twill_maglev_backend *b, const void *key,
			  size_t len, const siphash_key_t *seed, u32 size);

/*
 * Fills @table (@size u16 slots) with indexes into @b (@n entries).
 * Returns -ENOENT when no backend has a weight (the table is then all
 * EMPTY), -EINVAL for a bad size or too many backends (the table is not
 * touched: it may be smaller than @size), -ENOMEM.  Deter-
 * ministic: the same backends in the same order give the same table.
 */
int twill_maglev_build(u16 *table, u32 size,
		       const struct twill_maglev_backend *b, u32 n);

#ifdef DEBUG
bool twill_maglev_selftest(void);
#endif

#endif /* _TWILL_MAGLEV_H */
