// SPDX-License-Identifier: GPL-2.0
/*
 * Self-test of the Maglev tables, #included at the end of maglev.c in DEBUG
 * builds (and built natively by tests/unit): every slot names a backend
 * with a weight, equal weights share the slots to within one, weights
 * 1:2:3 get their proportion, a backend of weight 0 gets nothing, removing
 * or adding one of five backends moves close to a fifth of the slots, and
 * the same input gives the same table.
 */

#define MST_SIZE	TWILL_MAGLEV_DEFAULT_SIZE
#define MST_MAX		10
/*
 * Slots moved beyond the ideal, as a share of the table (in 1/1000): the
 * slots a newcomer takes push their owners onto their next preferences.
 * 5 backends in 16381 slots move 3757 (the ideal 3276, 2.9% more).
 */
#define MST_EXTRA_PERMILLE	50

static const siphash_key_t mst_seed = {
	{ 0x7477696c6c2d6d67ULL, 0x6c65762d73656564ULL }
};

static __printf(1, 2) bool mst_err(const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err("twill: maglev self-test: %pV", &vaf);
	va_end(args);
	return false;
}

/* Backend @id is 10.0.0.@id:8080, as service.c keys them (address, port). */
static void mst_backend(struct twill_maglev_backend *b, u32 id, u32 weight)
{
	u8 key[6] = { 10, 0, 0, id, 8080 >> 8, 8080 & 0xff };

	twill_maglev_permute(b, key, sizeof(key), &mst_seed, MST_SIZE);
	b->weight = weight;
}

/* Builds from backends @ids with @weights (NULL: all 1), counting slots. */
static bool mst_build(u16 *table, const u32 *ids, const u32 *weights, u32 n,
		      u32 *count)
{
	struct twill_maglev_backend b[MST_MAX];
	u32 i;
	int ret;

	for (i = 0; i < n; i++)
		mst_backend(&b[i], ids[i], weights ? weights[i] : 1);
	ret = twill_maglev_build(table, MST_SIZE, b, n);
	if (ret)
		return mst_err("build of %u backends: error %d\n", n, ret);
	memset(count, 0, MST_MAX * sizeof(*count));
	for (i = 0; i < MST_SIZE; i++) {
		if (table[i] >= n || !b[table[i]].weight)
			return mst_err("slot %u names backend %u of %u\n", i,
				       table[i], n);
		count[table[i]]++;
	}
	return true;
}

static bool mst_sizes(u16 *table)
{
	static const u32 good[] = { 7, 251, 16381, 65521, 131071 };
	static const u32 bad[] = { 0, 1, 2, 5, 9, 16383, 65536, 131073 };
	struct twill_maglev_backend b;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(good); i++)
		if (!twill_maglev_size_valid(good[i]))
			return mst_err("size %u refused\n", good[i]);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (twill_maglev_size_valid(bad[i]))
			return mst_err("size %u accepted\n", bad[i]);
	mst_backend(&b, 1, 0);
	if (twill_maglev_build(table, MST_SIZE, &b, 1) != -ENOENT)
		return mst_err("a table without weights was built\n");
	b.weight = 1;
	if (twill_maglev_build(table, 16383, &b, 1) != -EINVAL)
		return mst_err("a table of a size not prime was built\n");
	return true;
}

static bool mst_equal(u16 *table)
{
	static const u32 ids[MST_MAX] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	u32 count[MST_MAX], n, i, share;

	for (n = 1; n <= MST_MAX; n++) {
		if (!mst_build(table, ids, NULL, n, count))
			return false;
		share = MST_SIZE / n;
		/* Plain turns: shares differ by the last, partial round. */
		for (i = 0; i < n; i++)
			if (count[i] < share || count[i] > share + 1)
				return mst_err("%u equal backends: %u has %u slots, not %u\n",
					       n, i, count[i], share);
	}
	return true;
}

static bool mst_weights(u16 *table)
{
	static const u32 ids[] = { 1, 2, 3, 4, 5 };
	static const u32 w123[] = { 1, 2, 3 };
	static const u32 w0[] = { 1, 0, 1, 1, 1 };
	u32 count[MST_MAX], i, want;

	if (!mst_build(table, ids, w123, 3, count))
		return false;
	for (i = 0; i < 3; i++) {
		want = MST_SIZE * w123[i] / 6;
		if (count[i] + 2 < want || count[i] > want + 2)
			return mst_err("weights 1:2:3: backend %u has %u slots, not %u\n",
				       i, count[i], want);
	}
	if (!mst_build(table, ids, w0, 5, count))
		return false;
	if (count[1])
		return mst_err("weight 0: chosen for %u slots\n", count[1]);
	for (i = 0; i < 5; i++)
		if (i != 1 && (count[i] < MST_SIZE / 4 ||
			       count[i] > MST_SIZE / 4 + 1))
			return mst_err("weight 0: backend %u has %u slots\n", i,
				       count[i]);
	return true;
}

/* Slots whose backend (by id) differs between two tables. */
static u32 mst_moved(const u16 *a, const u32 *ida, const u16 *b,
		     const u32 *idb)
{
	u32 i, moved = 0;

	for (i = 0; i < MST_SIZE; i++)
		moved += ida[a[i]] != idb[b[i]];
	return moved;
}

/*
 * One of five goes, then comes back: the ideal is that only its own
 * slots move (a fifth); Maglev moves a few more, the paper's "minimal
 * disruption", which is bounded here.
 */
static bool mst_disruption(u16 *five, u16 *four)
{
	static const u32 ids5[] = { 11, 22, 33, 44, 55 };
	static const u32 ids4[] = { 11, 22, 44, 55 };
	u32 count[MST_MAX], moved, ideal, limit, gone;

	if (!mst_build(five, ids5, NULL, 5, count))
		return false;
	gone = count[2];
	if (!mst_build(four, ids4, NULL, 4, count))
		return false;
	moved = mst_moved(five, ids5, four, ids4);
	ideal = MST_SIZE / 5;
	limit = ideal + MST_SIZE * MST_EXTRA_PERMILLE / 1000;
	if (moved < ideal || moved > limit)
		return mst_err("removing 1 of 5 moved %u slots (ideal %u, limit %u)\n",
			       moved, ideal, limit);
	/* Every slot of the removed backend moved, by definition; the rest: */
	if (moved - gone > MST_SIZE * MST_EXTRA_PERMILLE / 1000)
		return mst_err("removing 1 of 5 moved %u slots of the others\n",
			       moved - gone);
	return true;
}

static bool mst_determinism(u16 *a, u16 *b)
{
	static const u32 ids[] = { 3, 1, 4, 5, 9 };
	static const u32 w[] = { 2, 7, 1, 8, 2 };
	u32 count[MST_MAX];

	if (!mst_build(a, ids, w, 5, count) || !mst_build(b, ids, w, 5, count))
		return false;
	if (memcmp(a, b, MST_SIZE * sizeof(*a)))
		return mst_err("the same backends built two different tables\n");
	return true;
}

bool twill_maglev_selftest(void)
{
	u16 *a, *b;
	bool ok;

	a = kvmalloc_array(MST_SIZE, sizeof(*a), GFP_KERNEL);
	b = kvmalloc_array(MST_SIZE, sizeof(*b), GFP_KERNEL);
	ok = a && b && mst_sizes(a) && mst_equal(a) && mst_weights(a) &&
	     mst_disruption(a, b) && mst_determinism(a, b);
	kvfree(a);
	kvfree(b);
	if (ok)
		pr_info("twill: maglev self-test passed\n");
	return ok;
}
