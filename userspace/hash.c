// SPDX-License-Identifier: GPL-2.0
#include "hash.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

uint32_t tw_hash_bytes(const void *data, size_t len, uint32_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	/* final avalanche (splitmix64) so low bits are well mixed */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return (uint32_t)h;
}

void tw_set_init(struct tw_set *s, const struct tw_set_ops *ops,
		 const void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->ctx = ctx;
}

void tw_set_free(struct tw_set *s)
{
	free(s->slots);
	s->slots = NULL;
	s->cap = s->n = 0;
}

static void insert_slot(struct tw_slot *slots, size_t cap, uint32_t ref1,
			uint32_t hash)
{
	size_t i = hash & (cap - 1);

	while (slots[i].ref1)
		i = (i + 1) & (cap - 1);
	slots[i].hash = hash;
	slots[i].ref1 = ref1;
}

static void rehash(struct tw_set *s, size_t ncap)
{
	struct tw_slot *old = s->slots;
	size_t i, ocap = s->cap;

	s->slots = tw_calloc(ncap, sizeof(*s->slots));
	s->cap = ncap;
	for (i = 0; i < ocap; i++) {
		if (old[i].ref1)
			insert_slot(s->slots, ncap, old[i].ref1, old[i].hash);
	}
	free(old);
}

uint32_t tw_set_find(const struct tw_set *s, const void *key, uint32_t hash)
{
	const struct tw_slot *sl;
	size_t i;

	if (!s->cap)
		return TW_SET_NONE;
	for (i = hash & (s->cap - 1); s->slots[i].ref1; i = (i + 1) & (s->cap - 1)) {
		sl = &s->slots[i];
		if (sl->hash == hash && s->ops->eq(s->ctx, key, sl->ref1 - 1))
			return sl->ref1 - 1;
	}
	return TW_SET_NONE;
}

void tw_set_add(struct tw_set *s, uint32_t ref, uint32_t hash)
{
	if ((s->n + 1) * 10 > s->cap * 7)
		rehash(s, s->cap ? s->cap * 2 : 64);
	insert_slot(s->slots, s->cap, ref + 1, hash);
	s->n++;
}
