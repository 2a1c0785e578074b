// SPDX-License-Identifier: GPL-2.0
/*
 * kmod/maglev.c built natively (through kshim/): its in-kernel self-test,
 * SipHash against the reference vectors, and what the self-test cannot
 * afford at module load: many sizes and backend counts, one backend added
 * to N, and the build time of the largest table.
 */
#include "test.h"
#include "kshim.h"
#include "maglev.h"

#include <uapi/linux/twill.h>

int kshim_log_errors = 1;

static u64 rotl(u64 x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void sipround(u64 *v)
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13) ^ v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17) ^ v[2];
	v[2] = rotl(v[2], 32);
}

static void sipword(u64 *v, u64 m)
{
	v[3] ^= m;
	sipround(v);
	sipround(v);
	v[0] ^= m;
}

/* SipHash-2-4 (Aumasson, Bernstein), as the kernel's siphash(). */
u64 siphash(const void *data, size_t len, const siphash_key_t *key)
{
	const u8 *p = data;
	u64 v[4] = {
		key->key[0] ^ 0x736f6d6570736575ULL,
		key->key[1] ^ 0x646f72616e646f6dULL,
		key->key[0] ^ 0x6c7967656e657261ULL,
		key->key[1] ^ 0x7465646279746573ULL,
	};
	u64 m;
	size_t i, j;

	for (i = 0; i + 8 <= len; i += 8) {
		for (m = 0, j = 0; j < 8; j++)
			m |= (u64)p[i + j] << (8 * j);
		sipword(v, m);
	}
	for (m = (u64)len << 56, j = 0; i + j < len; j++)
		m |= (u64)p[i + j] << (8 * j);
	sipword(v, m);
	v[2] ^= 0xff;
	for (j = 0; j < 4; j++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static void test_siphash_vectors(void)
{
	siphash_key_t key = { { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL } };
	u8 msg[15];
	size_t i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (u8)i;
	CHECK(siphash(msg, 0, &key) == 0x726fdb47dd0e0e31ULL);
	CHECK(siphash(msg, 8, &key) == 0x93f5f5799a932462ULL);
	CHECK(siphash(msg, 15, &key) == 0xa129ca6149be45e5ULL);
}

static void test_maglev_selftest(void)
{
	CHECK(twill_maglev_selftest());
}

static const siphash_key_t seed = { { 1, 2 } };

static void backends(struct twill_maglev_backend *b, u32 first, u32 n,
		     u32 size)
{
	u32 i;

	for (i = 0; i < n; i++) {
		u8 key[6] = { 10, (u8)((first + i) >> 16), (u8)((first + i) >> 8),
			      (u8)(first + i), 0, 80 };

		twill_maglev_permute(&b[i], key, sizeof(key), &seed, size);
		b[i].weight = 1;
	}
}

/*
 * N backends, then one more appended: the newcomer takes its 1/(N+1) of
 * the slots, and each slot it takes may push the slot's owner onto another
 * owner's next preference: Maglev moves more than the ideal, by 10 to 55%
 * here (50+1 in 16381 slots: 493 for 321), and by less with more slots a
 * backend.  The bound catches a table that is rebuilt from scratch.
 */
static void test_maglev_add_one(void)
{
	static const u32 sizes[] = { 251, 16381, 65521 };
	static const u32 ns[] = { 2, 5, 10, 50 };
	struct twill_maglev_backend b[51];
	u16 *a, *t;
	size_t s, k;

	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		u32 size = sizes[s];

		a = malloc(size * sizeof(*a));
		t = malloc(size * sizeof(*t));
		for (k = 0; k < ARRAY_SIZE(ns); k++) {
			u32 n = ns[k], i, moved = 0, to_new = 0;
			double ideal = (double)size / (n + 1);

			if (n * 20 > size)
				continue;
			backends(b, 1, n + 1, size);
			CHECK(twill_maglev_build(a, size, b, n) == 0);
			CHECK(twill_maglev_build(t, size, b, n + 1) == 0);
			for (i = 0; i < size; i++) {
				moved += a[i] != t[i];
				to_new += t[i] == n;
			}
			/* The newcomer's share, and few moves besides. */
			CHECK(to_new >= size / (n + 1) &&
			      to_new <= size / (n + 1) + 1);
			if (moved > ideal * 1.6 + 2)
				fprintf(stderr, "  size %u, %u+1: moved %u, ideal %.0f\n",
					size, n, moved, ideal);
			CHECK(moved <= ideal * 1.6 + 2);
		}
		free(a);
		free(t);
	}
}

/*
 * Each weight's share within n slots of its proportion: backend i has
 * floor(R * w_i / w_max) after R rounds, so the others' rounding down
 * (under one slot each) goes to whoever claims in the last rounds.
 */
static void test_maglev_weight_shares(void)
{
	static const u32 w[] = { 1, 3, 10, 100, 65535 };
	struct twill_maglev_backend b[5];
	u32 count[5] = { 0 }, size = 131071, i;
	u16 *t = malloc(size * sizeof(*t));
	double sum = 0;

	backends(b, 100, 5, size);
	for (i = 0; i < 5; i++) {
		b[i].weight = w[i];
		sum += w[i];
	}
	CHECK(twill_maglev_build(t, size, b, 5) == 0);
	for (i = 0; i < size; i++)
		count[t[i]]++;
	for (i = 0; i < 5; i++) {
		double want = (double)size * w[i] / sum;

		if (count[i] + 5.0 < want || count[i] > want + 5.0)
			fprintf(stderr, "  weight %u: %u slots, want %.1f\n",
				w[i], count[i], want);
		CHECK(count[i] + 5.0 >= want && count[i] <= want + 5.0);
	}
	free(t);
}

static void test_maglev_build_time(void)
{
	static struct twill_maglev_backend b[1000];
	u32 size = TWILL_MAGLEV_MAX_SIZE;
	u16 *t = malloc(size * sizeof(*t));
	double t0;

	backends(b, 1, 1000, size);
	t0 = now_sec();
	CHECK(twill_maglev_build(t, size, b, 1000) == 0);
	/* A few ms here; generous for slow or sanitized builds. */
	CHECK(now_sec() - t0 < 2.0);
	free(t);
}

const struct test maglev_tests[] = {
	{ "maglev: siphash reference vectors", test_siphash_vectors },
	{ "maglev: the in-kernel self-test", test_maglev_selftest },
	{ "maglev: one backend added to N", test_maglev_add_one },
	{ "maglev: weight shares", test_maglev_weight_shares },
	{ "maglev: build time, largest table", test_maglev_build_time },
};
const size_t maglev_tests_count = sizeof(maglev_tests) / sizeof(maglev_tests[0]);
