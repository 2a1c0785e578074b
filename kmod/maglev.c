// SPDX-License-Identifier: GPL-2.0
/*
 * Maglev lookup tables (see maglev.h).  Pure computation on the caller's
 * memory plus two scratch words a backend, so that it can also be built
 * and tested outside the kernel (tests/unit/test_maglev.c).
 */

#include <linux/sched.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <uapi/linux/twill.h>

#include "maglev.h"

bool twill_maglev_size_valid(u32 size)
{
	u32 d;

	if (size < TWILL_MAGLEV_MIN_SIZE || size > TWILL_MAGLEV_MAX_SIZE ||
	    !(size & 1))
		return false;
	for (d = 3; d * d <= size; d += 2)
		if (!(size % d))
			return false;
	return true;
}

void twill_maglev_permute(struct twill_maglev_backend *b, const void *key,
			  size_t len, const siphash_key_t *seed, u32 size)
{
	u64 h = siphash(key, len, seed);

	/* A prime size makes every skip coprime to it: a full permutation. */
	b->offset = (u32)h % size;
	b->skip = (u32)(h >> 32) % (size - 1) + 1;
}

/* Scratch state of one backend while a table is filled. */
struct turn {
	u32 pos;	/* its next preferred slot */
	u32 credit;	/* weight earned towards its next claim */
};

/* The backend's next preferred slot nobody has: one exists, size is prime. */
static u32 claim(u16 *table, u32 size, const struct twill_maglev_backend *b,
		 struct turn *t)
{
	u32 slot;

	while (table[t->pos] != TWILL_MAGLEV_EMPTY) {
		t->pos += b->skip;
		if (t->pos >= size)
			t->pos -= size;
	}
	slot = t->pos;
	t->pos += b->skip;
	if (t->pos >= size)
		t->pos -= size;
	return slot;
}

int twill_maglev_build(u16 *table, u32 size,
		       const struct twill_maglev_backend *b, u32 n)
{
	u32 i, filled = 0, wmax = 0;
	struct turn *t;

	if (!twill_maglev_size_valid(size) || n > TWILL_MAGLEV_MAX_BACKENDS)
		return -EINVAL;
	for (i = 0; i < size; i++)
		table[i] = TWILL_MAGLEV_EMPTY;
	for (i = 0; i < n; i++)
		wmax = max(wmax, b[i].weight);
	if (!wmax)
		return -ENOENT;
	t = kvcalloc(n, sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		t[i].pos = b[i].offset;
	/*
	 * Rounds: every backend earns its weight, and claims a slot when it
	 * has earned w_max, so at most one a round, in the same order every
	 * round.  Equal weights degenerate into the paper's plain turns.
	 */
	while (filled < size) {
		for (i = 0; i < n && filled < size; i++) {
			t[i].credit += b[i].weight;
			if (t[i].credit < wmax)
				continue;
			t[i].credit -= wmax;
			table[claim(table, size, &b[i], &t[i])] = i;
			filled++;
		}
		cond_resched();
	}
	kvfree(t);
	return 0;
}

#ifdef DEBUG
#include "selftest/maglev.c"
#endif
