// SPDX-License-Identifier: GPL-2.0
/*
 * Self-test of the flow table, #included at the end of flow.c in DEBUG
 * builds: both directions found, clashes refused the right way, the limit
 * held, expired flows invisible, replaced in place, collected and reclaimed
 * from a full table (live ones never), dumps resumed without loss or
 * repeats, and the TCP state machine's timeouts.
 */

#define FST_MAX		8

static void fst_tuple(struct twill_flow_tuple *t, u32 src, u16 sport,
		      u32 dst, u16 dport)
{
	memset(t, 0, sizeof(*t));
	t->family = AF_INET;
	t->proto = IPPROTO_TCP;
	t->src.ip = htonl(src);
	t->dst.ip = htonl(dst);
	t->sport = htons(sport);
	t->dport = htons(dport);
}

/* A flow from a pod port to 198.51.100.1:80, translated to @nat_port. */
static struct twill_flow *fst_flow(u16 pod_port, u16 nat_port)
{
	struct twill_flow_tuple o, r;
	struct twill_flow *f;

	fst_tuple(&o, 0x0af40102, pod_port, 0xc6336401, 80);
	fst_tuple(&r, 0xc6336401, 80, 0xc0000201, nat_port);
	f = twill_flow_alloc(&o);
	if (f) {
		f->node[TWILL_FLOW_REPLY].t = r;
		twill_flow_seen(f, TWILL_FLOW_ORIG, true, false, false);
	}
	return f;
}

static __printf(1, 2) bool fst_err(const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err("twill: flow self-test: %pV", &vaf);
	va_end(args);
	return false;
}

static unsigned long fst_left(const struct twill_flow *f)
{
	return f->expires - jiffies;
}

/* Inserts a new flow, expecting @want; frees it unless inserted. */
static bool fst_insert(struct twill_flow_table *t, u16 pod, u16 nat, int want,
		       struct twill_flow **out)
{
	struct twill_flow *f = fst_flow(pod, nat);
	unsigned int expired = 0;
	int ret;

	if (!f)
		return fst_err("allocation failed\n");
	ret = twill_flow_insert(t, f, &expired);
	if (ret)
		twill_flow_free(f);
	if (ret != want)
		return fst_err("insert %u->%u: %d, expected %d\n", pod, nat,
			       ret, want);
	if (out)
		*out = ret ? NULL : f;
	return true;
}

static bool fst_found(struct twill_flow_table *t, struct twill_flow *f,
		      enum twill_flow_dir dir)
{
	struct twill_flow_node *n;

	rcu_read_lock();
	n = twill_flow_lookup(t, &f->node[dir].t);
	rcu_read_unlock();
	return n == &f->node[dir];
}

static int fst_count(void *ctx, struct twill_flow *f)
{
	(*(u32 *)ctx)++;
	return 0;
}

static void fst_nop(void *ctx)
{
}

static const struct twill_flow_walker fst_counter = {
	.flow = fst_count, .mark = fst_nop, .undo = fst_nop,
};

/* A message of @cap flows, as a dump fills them. */
struct fst_msg {
	u32 cap, in, at_mark, total;
};

static int fst_put(void *ctx, struct twill_flow *f)
{
	struct fst_msg *m = ctx;

	if (m->in == m->cap)
		return -EMSGSIZE;
	m->in++;
	return 0;
}

static void fst_mark(void *ctx)
{
	struct fst_msg *m = ctx;

	m->at_mark = m->in;
}

static void fst_undo(void *ctx)
{
	struct fst_msg *m = ctx;

	m->in = m->at_mark;
}

static const struct twill_flow_walker fst_msgs = {
	.flow = fst_put, .mark = fst_mark, .undo = fst_undo,
};

/* A dump in messages of @cap flows: every flow once, in as many calls. */
static bool fst_dump(struct twill_flow_table *t, u32 cap, u32 want)
{
	struct fst_msg m = { .cap = cap };
	u32 bucket = 0, skip = 0;
	int calls = 0, ret;

	do {
		m.in = 0;
		rcu_read_lock();
		ret = twill_flow_walk(t, &bucket, &skip, &fst_msgs, &m);
		rcu_read_unlock();
		m.total += m.in;
	} while (ret && ++calls < 4 * FST_MAX);
	if (m.total != want)
		return fst_err("a dump in messages of %u saw %u of %u flows\n",
			       cap, m.total, want);
	return true;
}

static bool fst_clashes(struct twill_flow_table *t, struct twill_flow **a)
{
	int i;

	if (!fst_insert(t, 1000, 1000, 0, a))
		return false;
	if (!fst_found(t, *a, TWILL_FLOW_ORIG) ||
	    !fst_found(t, *a, TWILL_FLOW_REPLY))
		return fst_err("a flow is not found in both directions\n");
	if (!fst_insert(t, 1000, 2000, -EEXIST, NULL) ||
	    !fst_insert(t, 1001, 1000, -EADDRINUSE, NULL))
		return false;
	for (i = 1; i < FST_MAX; i++)
		if (!fst_insert(t, 2000 + i, 2000 + i, 0, NULL))
			return false;
	return fst_insert(t, 3000, 3000, -ENOSPC, NULL);
}

static bool fst_expiry(struct twill_flow_table *t, struct twill_flow *a)
{
	struct twill_flow *b;
	u32 n = 0;

	WRITE_ONCE(a->expires, jiffies - 1);
	if (fst_found(t, a, TWILL_FLOW_ORIG))
		return fst_err("an expired flow is still found\n");
	/* Same tuples: the expired flow's buckets are held, it goes. */
	if (!fst_insert(t, 1000, 1000, 0, &b))
		return false;
	if (atomic_read(&t->count) != FST_MAX)
		return fst_err("count %d after replacing an expired flow\n",
			       atomic_read(&t->count));
	WRITE_ONCE(b->expires, jiffies - 1);
	n = twill_flow_gc(t, t->mask + 1);
	if (n != 1 || atomic_read(&t->count) != FST_MAX - 1)
		return fst_err("the collector removed %u, count %d\n", n,
			       atomic_read(&t->count));
	return true;
}

static bool fst_walks(struct twill_flow_table *t)
{
	u32 bucket = 0, skip = 0, n = 0;

	rcu_read_lock();
	twill_flow_walk(t, &bucket, &skip, &fst_counter, &n);
	rcu_read_unlock();
	if (n != FST_MAX - 1)
		return fst_err("a walk saw %u flows\n", n);
	/* 1: every bucket split; 3: buckets start over in the next one */
	return fst_dump(t, 1, n) && fst_dump(t, 3, n) && fst_dump(t, 64, n);
}

static int fst_expire(void *ctx, struct twill_flow *f)
{
	WRITE_ONCE(f->expires, jiffies - 1);
	return 0;
}

static const struct twill_flow_walker fst_expirer = {
	.flow = fst_expire, .mark = fst_nop, .undo = fst_nop,
};

/*
 * Full of live flows, reclaim removes nothing; full of expired ones, it
 * empties the table (random buckets: 4096 passes of 16 of 1024 buckets
 * miss one with a probability of e^-64) and a new flow fits again.
 */
static bool fst_reclaim(struct twill_flow_table *t)
{
	u32 bucket = 0, skip = 0, removed = 0;
	int i;

	if (!fst_insert(t, 4000, 4000, 0, NULL))
		return false;
	for (i = 0; i < 64; i++)
		removed += twill_flow_reclaim(t);
	if (removed || atomic_read(&t->count) != FST_MAX)
		return fst_err("reclaim removed %u live flows\n", removed);
	if (!fst_insert(t, 4001, 4001, -ENOSPC, NULL))
		return false;
	rcu_read_lock();
	twill_flow_walk(t, &bucket, &skip, &fst_expirer, NULL);
	rcu_read_unlock();
	for (i = 0; i < 4096 && atomic_read(&t->count); i++)
		removed += twill_flow_reclaim(t);
	if (removed != FST_MAX || atomic_read(&t->count))
		return fst_err("reclaim removed %u of %u expired flows\n",
			       removed, FST_MAX);
	return fst_insert(t, 4001, 4001, 0, NULL);
}

static bool fst_tcp(void)
{
	struct twill_flow *f = fst_flow(1, 1);
	unsigned long left;
	bool ok = false;

	if (!f)
		return fst_err("allocation failed\n");
	twill_flow_seen(f, TWILL_FLOW_REPLY, true, false, false);
	if (f->state != TWILL_FLOW_S_REPLIED)
		goto out;
	twill_flow_seen(f, TWILL_FLOW_ORIG, false, false, false);
	if (f->state != TWILL_FLOW_S_ESTABLISHED || fst_left(f) < 3600 * HZ)
		goto out;
	twill_flow_seen(f, TWILL_FLOW_ORIG, false, true, false);
	left = fst_left(f);
	if (f->state != TWILL_FLOW_S_CLOSING || left < 60 * HZ)
		goto out;
	twill_flow_seen(f, TWILL_FLOW_REPLY, false, true, false);
	left = fst_left(f);
	if (left > 11 * HZ)
		goto out;
	twill_flow_seen(f, TWILL_FLOW_ORIG, false, false, true);
	ok = f->state == TWILL_FLOW_S_CLOSED;
out:
	if (!ok)
		pr_err("twill: flow self-test: TCP state %u, timeout %lu s\n",
		       f->state, fst_left(f) / HZ);
	twill_flow_free(f);
	return ok;
}

bool twill_flow_selftest(void)
{
	struct twill_flow_table *t;
	struct twill_flow *a;
	bool ok;

	t = kvzalloc(sizeof(*t), GFP_KERNEL);
	if (!t || twill_flow_table_init(t, FST_MAX)) {
		kvfree(t);
		return false;
	}
	ok = fst_clashes(t, &a) && fst_expiry(t, a) && fst_walks(t) &&
	     fst_reclaim(t) && fst_tcp();
	twill_flow_table_free(t);
	kvfree(t);
	if (ok)
		pr_info("twill: flow self-test passed\n");
	return ok;
}
