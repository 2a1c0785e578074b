// SPDX-License-Identifier: GPL-2.0
/*
 * Work counters for the growth tests: the linker routes the CLI's calls
 * into its hash sets and allocator through these wrappers (-Wl,--wrap=...,
 * see Makefile), which count them.  A test runs the same work at 1x and 10x
 * input and bounds the ratio of the counts: a linear algorithm does ~10x the
 * lookups, hashes and allocations, a quadratic one ~100x.  Counted work,
 * unlike time, does not depend on the machine or its load.
 */
#include "test.h"
#include "hash.h"
#include "util.h"

unsigned long t_ops;

uint32_t __real_tw_set_find(const struct tw_set *s, const void *key, uint32_t hash);
void __real_tw_set_add(struct tw_set *s, uint32_t ref, uint32_t hash);
uint32_t __real_tw_hash_bytes(const void *data, size_t len, uint32_t seed);
void *__real_tw_malloc(size_t size);
void *__real_tw_calloc(size_t n, size_t size);
void *__real_tw_realloc(void *p, size_t n, size_t size);

uint32_t __wrap_tw_set_find(const struct tw_set *s, const void *key, uint32_t hash);
void __wrap_tw_set_add(struct tw_set *s, uint32_t ref, uint32_t hash);
uint32_t __wrap_tw_hash_bytes(const void *data, size_t len, uint32_t seed);
void *__wrap_tw_malloc(size_t size);
void *__wrap_tw_calloc(size_t n, size_t size);
void *__wrap_tw_realloc(void *p, size_t n, size_t size);

uint32_t __wrap_tw_set_find(const struct tw_set *s, const void *key, uint32_t hash)
{
	t_ops++;
	return __real_tw_set_find(s, key, hash);
}

void __wrap_tw_set_add(struct tw_set *s, uint32_t ref, uint32_t hash)
{
	t_ops++;
	__real_tw_set_add(s, ref, hash);
}

uint32_t __wrap_tw_hash_bytes(const void *data, size_t len, uint32_t seed)
{
	t_ops++;
	return __real_tw_hash_bytes(data, len, seed);
}

void *__wrap_tw_malloc(size_t size)
{
	t_ops++;
	return __real_tw_malloc(size);
}

void *__wrap_tw_calloc(size_t n, size_t size)
{
	t_ops++;
	return __real_tw_calloc(n, size);
}

void *__wrap_tw_realloc(void *p, size_t n, size_t size)
{
	t_ops++;
	return __real_tw_realloc(p, n, size);
}

/* Linear work: 10x the input may cost at most this many times the work
 * (linear: ~10; n log n: ~12; quadratic: ~100). */
#define GROWTH_MAX 20.0

bool check_growth(const char *what, unsigned long ops1, unsigned long ops10)
{
	double r = ops1 ? (double)ops10 / (double)ops1 : 0;

	printf("     %s: %lu operations at 1x, %lu at 10x: ratio %.1f (at most %.0f)\n",
	       what, ops1, ops10, r, GROWTH_MAX);
	return ops1 > 0 && r <= GROWTH_MAX;
}
