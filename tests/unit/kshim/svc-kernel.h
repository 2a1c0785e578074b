/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kmod/service.c needs besides kshim.h: netlink attributes and
 * policies (validated as far as service.c relies on them), RCU and work
 * items that run at once (one thread, no readers), addresses, hashing.
 * Every shim header service.c includes includes this one.
 */
#ifndef TWILL_SVC_KERNEL_H
#define TWILL_SVC_KERNEL_H

#include "kshim.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define __read_mostly
#define __rcu
#define __force
#define BIT(n)			(1UL << (n))
#define BUILD_BUG_ON(c)		_Static_assert(!(c), #c)
#define max_t(t, a, b)		((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define clamp_t(t, v, lo, hi)	((t)(v) < (t)(lo) ? (t)(lo) : \
				 (t)(v) > (t)(hi) ? (t)(hi) : (t)(v))
#define container_of(p, t, m)	((t *)((char *)(p) - offsetof(t, m)))
#define struct_size(p, m, n)	(sizeof(*(p)) + (size_t)(n) * sizeof((p)->m[0]))

static inline u32 roundup_pow_of_two(u32 n)
{
	u32 p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static inline u32 reciprocal_scale(u32 val, u32 ep_ro)
{
	return (u32)(((u64)val * ep_ro) >> 32);
}

static inline void *kzalloc(size_t n, gfp_t gfp)
{
	(void)gfp;
	return calloc(1, n);
}

#define kvzalloc	kzalloc

static inline void *kvmalloc(size_t n, gfp_t gfp)
{
	(void)gfp;
	return malloc(n);
}

#define kfree		kvfree

extern u32 kshim_random;
static inline u32 get_random_u32(void)
{
	return kshim_random;
}

/* Any hash will do here; the kernel's jhash is not reproduced. */
static inline u32 jhash(const void *p, u32 len, u32 seed)
{
	const u8 *b = p;
	u32 h = seed ^ 2166136261u, i;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static inline u64 siphash_1u64(u64 v, const siphash_key_t *key)
{
	return siphash(&v, sizeof(v), key);
}

static inline void sort(void *base, size_t n, size_t size,
			int (*cmp)(const void *, const void *), void *swap)
{
	(void)swap;
	qsort(base, n, size, cmp);
}

/* Addresses */
union nf_inet_addr {
	u32 all[4];
	__be32 ip;
	__be32 ip6[4];
	struct in_addr in;
	struct in6_addr in6;
};

static inline bool nf_inet_addr_cmp(const union nf_inet_addr *a,
				    const union nf_inet_addr *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static inline bool ipv4_is_zeronet(__be32 a)
{
	return (a & htonl(0xff000000)) == 0;
}

static inline bool ipv4_is_multicast(__be32 a)
{
	return (a & htonl(0xf0000000)) == htonl(0xe0000000);
}

static inline bool ipv4_is_lbcast(__be32 a)
{
	return a == htonl(0xffffffff);
}

static inline bool ipv6_addr_any(const struct in6_addr *a)
{
	static const struct in6_addr any;

	return !memcmp(a, &any, sizeof(any));
}

static inline bool ipv6_addr_is_multicast(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xff;
}

/* RCU and locks: one thread, readers are the test itself */
struct mutex {
	int held;
};

#define lockdep_assert_held(l)	assert_held(l)
#define lockdep_is_held(l)	((l)->held)
#define rcu_dereference_protected(p, c)	(assert_cond(c), (p))
#define rcu_assign_pointer(p, v)	((p) = (v))
#define RCU_INIT_POINTER(p, v)		((p) = (v))

void assert_held(const struct mutex *m);
void assert_cond(int c);

struct work_struct {
	void (*fn)(struct work_struct *w);
};

struct rcu_work {
	struct work_struct work;
};

struct workqueue_struct {
	int unused;
};

#define WQ_UNBOUND 0
#define INIT_RCU_WORK(rw, f)	((rw)->work.fn = (f))
#define to_rcu_work(w)		container_of(w, struct rcu_work, work)

/* After a grace period: here, at once (nothing reads concurrently). */
static inline bool queue_rcu_work(struct workqueue_struct *wq,
				  struct rcu_work *rw)
{
	(void)wq;
	rw->work.fn(&rw->work);
	return true;
}

static inline struct workqueue_struct *alloc_workqueue(const char *name,
						       unsigned int flags,
						       int max)
{
	static struct workqueue_struct wq;

	(void)name;
	(void)flags;
	(void)max;
	return &wq;
}

static inline void destroy_workqueue(struct workqueue_struct *wq)
{
	(void)wq;
}

static inline void rcu_barrier(void)
{
}

/* Netlink attributes: struct nlattr is the uapi's */
struct netlink_ext_ack {
	const char *msg;
	const struct nlattr *bad_attr;
	char buf[80];	/* NETLINK_MAX_FMTMSG_LEN: longer ones are cut */
};

#define NL_SET_ERR_MSG(e, m)		((e)->msg = (m))
#define NL_SET_ERR_MSG_ATTR(e, a, m)	((e)->msg = (m), (e)->bad_attr = (a))
#define NL_SET_BAD_ATTR(e, a)		((e)->bad_attr = (a))
#define NL_SET_ERR_MSG_FMT(e, ...)	\
	(snprintf((e)->buf, sizeof((e)->buf), __VA_ARGS__), (e)->msg = (e)->buf)

enum { NLA_UNSPEC, NLA_U8, NLA_U16, NLA_U32, NLA_BINARY, NLA_NESTED,
       NLA_NESTED_ARRAY };
enum { NLA_VALIDATE_NONE, NLA_VALIDATE_MIN, NLA_VALIDATE_MAX,
       NLA_VALIDATE_RANGE_PTR };

struct netlink_range_validation {
	u64 min, max;
};

struct nla_policy {
	u8 type;
	u8 validation_type;
	u16 len;
	s64 min, max;
	struct netlink_range_validation *range;
	const struct nla_policy *nested;
};

#define NLA_POLICY_MIN(t, v)	{ .type = t, \
	.validation_type = NLA_VALIDATE_MIN, .min = v }
#define NLA_POLICY_MAX(t, v)	{ .type = t, \
	.validation_type = NLA_VALIDATE_MAX, .max = v }
#define NLA_POLICY_FULL_RANGE(t, r)	{ .type = t, \
	.validation_type = NLA_VALIDATE_RANGE_PTR, .range = r }
#define NLA_POLICY_NESTED_ARRAY(p)	{ .type = NLA_NESTED_ARRAY, \
	.nested = p }

static inline void *nla_data(const struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

static inline int nla_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static inline int nla_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline u8 nla_get_u8(const struct nlattr *a)
{
	return *(u8 *)nla_data(a);
}

static inline u16 nla_get_u16(const struct nlattr *a)
{
	u16 v;

	memcpy(&v, nla_data(a), sizeof(v));
	return v;
}

static inline u32 nla_get_u32(const struct nlattr *a)
{
	u32 v;

	memcpy(&v, nla_data(a), sizeof(v));
	return v;
}

static inline bool nla_ok(const struct nlattr *a, int rem)
{
	return rem >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&
	       a->nla_len <= rem;
}

static inline struct nlattr *nla_next(const struct nlattr *a, int *rem)
{
	unsigned int len = NLA_ALIGN(a->nla_len);

	*rem -= (int)len;
	return (struct nlattr *)((char *)a + len);
}

#define nla_for_each_nested(pos, nla, rem)				\
	for (pos = nla_data(nla), rem = nla_len(nla); nla_ok(pos, rem);	\
	     pos = nla_next(pos, &(rem)))

int nla_parse_nested(struct nlattr **tb, int max, const struct nlattr *nla,
		     const struct nla_policy *policy,
		     struct netlink_ext_ack *extack);

/* A message under construction */
struct sk_buff {
	char *data;
	unsigned int len, size;
};

int nla_put(struct sk_buff *skb, int type, int len, const void *data);

static inline int nla_put_u8(struct sk_buff *skb, int type, u8 v)
{
	return nla_put(skb, type, sizeof(v), &v);
}

static inline int nla_put_u16(struct sk_buff *skb, int type, u16 v)
{
	return nla_put(skb, type, sizeof(v), &v);
}

static inline int nla_put_u32(struct sk_buff *skb, int type, u32 v)
{
	return nla_put(skb, type, sizeof(v), &v);
}

struct nlattr *nla_nest_start(struct sk_buff *skb, int type);
void nla_nest_end(struct sk_buff *skb, struct nlattr *nest);
void nla_nest_cancel(struct sk_buff *skb, struct nlattr *nest);

#endif
