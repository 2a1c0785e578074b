/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An open-addressing hash set of 32-bit references into the caller's
 * arrays; comparison goes through a callback, so a million prefixes cost
 * 8 bytes per slot.
 */
#ifndef TWILL_HASH_H
#define TWILL_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TW_SET_NONE UINT32_MAX

struct tw_set_ops {
	/* Whether `key` equals the object reference `ref` stands for. */
	bool (*eq)(const void *ctx, const void *key, uint32_t ref);
};

/* The hash is kept next to the reference: probing and growing never
 * touch the objects except to confirm a match. */
struct tw_slot {
	uint32_t hash;
	uint32_t ref1;		/* ref + 1; 0 = empty */
};

struct tw_set {
	struct tw_slot *slots;
	size_t cap, n;
	const struct tw_set_ops *ops;
	const void *ctx;
};

void tw_set_init(struct tw_set *s, const struct tw_set_ops *ops,
		 const void *ctx);
void tw_set_free(struct tw_set *s);
/* Returns the reference equal to `key`, or TW_SET_NONE. */
uint32_t tw_set_find(const struct tw_set *s, const void *key, uint32_t hash);
/* Adds `ref` (whose hash is `hash`); the caller checked it is absent. */
void tw_set_add(struct tw_set *s, uint32_t ref, uint32_t hash);

uint32_t tw_hash_bytes(const void *data, size_t len, uint32_t seed);

#endif
