// SPDX-License-Identifier: GPL-2.0
/*
 * Service tables (see service.h): staging services from netlink, building
 * a device's next table with its Maglev tables in process context,
 * publishing it, freeing what it replaced after a grace period, and the
 * dump.  The packet path (phase 2) reads them with twill_service_lookup()
 * and twill_service_choose().
 */

#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include <net/ipv6.h>

#include "commit.h"
#include "device.h"
#include "maglev.h"
#include "service.h"

#define PLAN_MIN_BUCKETS	64
#define PLAN_MAX_BUCKETS	BIT(16)
#define TABLE_MIN_SLOTS		16

/*
 * Fixed, not random: a service's backends are permuted the same way by
 * every rebuild and on every host, so that hosts agree on a flow's
 * backend and a table rebuilt for one change moves only what Maglev must.
 */
static const siphash_key_t maglev_seed = {
	{ 0x7477696c6c2d7376ULL, 0x632d6d61676c6576ULL }
};

static u32 key_seed __read_mostly;
/* Frees replaced tables and their services after a grace period. */
static struct workqueue_struct *free_wq;

struct twill_service_plan {
	struct twill_service **hash;	/* by key, chained through ->chain */
	u32 mask;
	u32 nservices, nbackends;	/* staged so far */
	u32 limit_services, limit_backends;
	bool has_max_services, has_max_backends, has_maglev_size;
	u32 max_services, max_backends, maglev_size;
};

/* What a backend's Maglev permutation is a hash of. */
struct backend_key {
	union nf_inet_addr addr;
	__be16 port;
	u16 zero;
};

static struct twill_service_table *table_of(struct twill_device *tdev)
{
	return rcu_dereference_protected(tdev->services,
					 lockdep_is_held(&tdev->update_lock));
}

static u32 key_hash(u8 family, const union nf_inet_addr *vip, __be16 port,
		    u8 proto)
{
	return jhash(vip, sizeof(*vip),
		     key_seed ^ ((u32)family << 24 | (u32)proto << 16 |
				 (__force u16)port));
}

static u32 vip_hash(u8 family, const union nf_inet_addr *vip)
{
	return jhash(vip, sizeof(*vip), key_seed ^ family);
}

static bool same_key(const struct twill_service *svc, u8 family,
		     const union nf_inet_addr *vip, __be16 port, u8 proto)
{
	return svc->family == family && svc->port == port &&
	       svc->proto == proto && nf_inet_addr_cmp(&svc->vip, vip);
}

static void svc_free(struct twill_service *svc)
{
	kvfree(svc->table);
	kvfree(svc);
}

/* --- Tables ---------------------------------------------------------- */

struct twill_service *
twill_service_lookup(struct twill_service_table *table, u8 family,
		     const union nf_inet_addr *vip, __be16 port, u8 proto)
{
	u32 i = key_hash(family, vip, port, proto) & table->mask;
	struct twill_service *svc;

	/* At most half full: a free slot ends every probe. */
	for (;; i = (i + 1) & table->mask) {
		svc = table->slots[i];
		if (!svc || same_key(svc, family, vip, port, proto))
			return svc;
	}
}

const struct twill_backend *
twill_service_backend(const struct twill_service *svc,
		      const union nf_inet_addr *addr, __be16 port)
{
	u32 i;

	for (i = 0; i < svc->nbackends; i++)
		if (svc->backends[i].port == port &&
		    nf_inet_addr_cmp(&svc->backends[i].addr, addr))
			return &svc->backends[i];
	return NULL;
}

bool twill_service_has_backend(const struct twill_service *svc,
			       const union nf_inet_addr *addr, __be16 port)
{
	return twill_service_backend(svc, addr, port);
}

bool twill_service_vip_known(struct twill_service_table *table, u8 family,
			     const union nf_inet_addr *vip)
{
	u32 i = vip_hash(family, vip) & table->mask;
	const struct twill_service_vip *v;

	/* As many slots as the services': at most half full too. */
	for (;; i = (i + 1) & table->mask) {
		v = &table->vips[i];
		if (!v->family)
			return false;
		if (v->family == family && nf_inet_addr_cmp(&v->addr, vip))
			return true;
	}
}

static struct twill_service *find(struct twill_service_table *table,
				  const struct twill_service *key)
{
	return twill_service_lookup(table, key->family, &key->vip, key->port,
				    key->proto);
}

static void table_free_work(struct work_struct *work)
{
	struct twill_service_table *table =
		container_of(to_rcu_work(work), struct twill_service_table,
			     free_work);
	struct twill_service *svc;

	while ((svc = table->retired)) {
		table->retired = svc->chain;
		svc_free(svc);
		cond_resched();
	}
	kvfree(table);
}

static struct twill_service_table *table_alloc(u32 nservices)
{
	u32 slots = max_t(u32, TABLE_MIN_SLOTS,
			  roundup_pow_of_two(2 * nservices));
	struct twill_service_table *table;

	table = kvzalloc(struct_size(table, slots, slots) +
			 slots * sizeof(*table->vips), GFP_KERNEL_ACCOUNT);
	if (!table)
		return NULL;
	table->mask = slots - 1;
	table->vips = (struct twill_service_vip *)&table->slots[slots];
	INIT_RCU_WORK(&table->free_work, table_free_work);
	return table;
}

/* Private until published: no reader yet. */
static void table_insert(struct twill_service_table *table,
			 struct twill_service *svc)
{
	u32 i = key_hash(svc->family, &svc->vip, svc->port, svc->proto) &
		table->mask;

	while (table->slots[i])
		i = (i + 1) & table->mask;
	table->slots[i] = svc;
	table->nservices++;
	table->nbackends += svc->nbackends;
	if (twill_service_vip_known(table, svc->family, &svc->vip))
		return;
	i = vip_hash(svc->family, &svc->vip) & table->mask;
	while (table->vips[i].family)
		i = (i + 1) & table->mask;
	table->vips[i].addr = svc->vip;
	table->vips[i].family = svc->family;
}

/* Frees @table and @retired once no reader can see them. */
static void table_retire(struct twill_service_table *table,
			 struct twill_service *retired)
{
	table->retired = retired;
	queue_rcu_work(free_wq, &table->free_work);
}

void twill_service_flush(struct twill_device *tdev)
{
	struct twill_service_table *table = table_of(tdev);
	struct twill_service *retired = NULL, *svc;
	u32 i;

	if (!table)
		return;
	RCU_INIT_POINTER(tdev->services, NULL);
	for (i = 0; i <= table->mask; i++) {
		svc = table->slots[i];
		if (svc) {
			svc->chain = retired;
			retired = svc;
		}
	}
	table_retire(table, retired);
}

/* --- Maglev ---------------------------------------------------------- */

static void service_seed(const struct twill_service *svc, siphash_key_t *seed)
{
	struct {
		union nf_inet_addr vip;
		__be16 port;
		u8 proto, family;
	} key = {
		.vip = svc->vip, .port = svc->port, .proto = svc->proto,
		.family = svc->family,
	};

	BUILD_BUG_ON(sizeof(key) != 20);
	seed->key[0] = siphash(&key, sizeof(key), &maglev_seed);
	seed->key[1] = siphash_1u64(seed->key[0], &maglev_seed);
}

/*
 * Which backends new flows go to: the active ones, or while none is (with
 * a weight), the terminating ones, as kube-proxy falls back to them.
 */
static u8 eligible_state(const struct twill_service *svc)
{
	u32 i;

	for (i = 0; i < svc->nbackends; i++)
		if (svc->backends[i].state == TWILL_BACKEND_S_ACTIVE &&
		    svc->backends[i].weight)
			return TWILL_BACKEND_S_ACTIVE;
	return TWILL_BACKEND_S_TERMINATING;
}

bool twill_service_choosable(const struct twill_service *svc,
			     const struct twill_backend *be)
{
	return be->weight && be->state == eligible_state(svc);
}

/* Gives @svc a table of @size slots; none when no backend is eligible. */
static int build(struct twill_service *svc, u32 size)
{
	struct backend_key key = {};
	struct twill_maglev_backend *mb;
	u8 state = eligible_state(svc);
	siphash_key_t seed;
	u32 i;
	int ret;

	kvfree(svc->table);
	svc->table = NULL;
	svc->size = size;
	if (!svc->nbackends)
		return 0;
	mb = kvmalloc_array(svc->nbackends, sizeof(*mb), GFP_KERNEL_ACCOUNT);
	svc->table = kvmalloc_array(size, sizeof(*svc->table),
				    GFP_KERNEL_ACCOUNT);
	ret = -ENOMEM;
	if (!mb || !svc->table)
		goto out;
	service_seed(svc, &seed);
	for (i = 0; i < svc->nbackends; i++) {
		const struct twill_backend *b = &svc->backends[i];

		key.addr = b->addr;
		key.port = b->port;
		twill_maglev_permute(&mb[i], &key, sizeof(key), &seed, size);
		mb[i].weight = b->state == state ? b->weight : 0;
	}
	ret = twill_maglev_build(svc->table, size, mb, svc->nbackends);
	if (ret == -ENOENT)
		ret = 0;	/* nothing to choose: refused (phase 2) */
	else if (!ret)
		goto done;
out:
	kvfree(svc->table);
	svc->table = NULL;
done:
	kvfree(mb);
	return ret;
}

/* Settings and backends; kvzalloc'd, so that padding compares too. */
static bool same_service(const struct twill_service *a,
			 const struct twill_service *b)
{
	return a->affinity == b->affinity && a->nbackends == b->nbackends &&
	       !memcmp(a->backends, b->backends,
		       a->nbackends * sizeof(a->backends[0]));
}

static struct twill_service *svc_copy(const struct twill_service *svc)
{
	size_t len = struct_size(svc, backends, svc->nbackends);
	struct twill_service *copy;

	copy = kvmalloc(len, GFP_KERNEL_ACCOUNT);
	if (!copy)
		return NULL;
	memcpy(copy, svc, len);
	copy->table = NULL;
	copy->chain = NULL;
	copy->live = false;
	return copy;
}

/* --- Staging --------------------------------------------------------- */

static struct netlink_range_validation weight_range = {
	.max = TWILL_BACKEND_MAX_WEIGHT,
};

static struct netlink_range_validation affinity_range = {
	.max = TWILL_SERVICE_MAX_AFFINITY,
};

static const struct nla_policy backend_policy[TWILL_BACKEND_A_MAX + 1] = {
	[TWILL_BACKEND_A_ADDR]	= { .type = NLA_BINARY,
				    .len = sizeof(struct in6_addr) },
	[TWILL_BACKEND_A_PORT]	= { .type = NLA_U16 },
	[TWILL_BACKEND_A_WEIGHT] = NLA_POLICY_FULL_RANGE(NLA_U32, &weight_range),
	[TWILL_BACKEND_A_STATE]	= NLA_POLICY_MAX(NLA_U8, TWILL_BACKEND_S_MAX),
};

static const struct nla_policy service_policy[TWILL_SERVICE_A_MAX + 1] = {
	[TWILL_SERVICE_A_FAMILY]	= { .type = NLA_U16 },
	[TWILL_SERVICE_A_ADDR]		= { .type = NLA_BINARY,
					    .len = sizeof(struct in6_addr) },
	[TWILL_SERVICE_A_PORT]		= NLA_POLICY_MIN(NLA_U16, 1),
	[TWILL_SERVICE_A_PROTO]		= { .type = NLA_U8 },
	[TWILL_SERVICE_A_FLAGS]		= { .type = NLA_U32 },
	[TWILL_SERVICE_A_AFFINITY]	= NLA_POLICY_FULL_RANGE(NLA_U32,
							&affinity_range),
	[TWILL_SERVICE_A_BACKENDS]	= NLA_POLICY_NESTED_ARRAY(backend_policy),
};

static struct twill_service_plan *plan_new(struct twill_device *tdev)
{
	struct twill_service_plan *sp;
	u32 buckets;

	sp = kzalloc(sizeof(*sp), GFP_KERNEL_ACCOUNT);
	if (!sp)
		return NULL;
	/* As for peers: twice what the device may hold, removals included. */
	sp->limit_services = 2 * tdev->max_services;
	sp->limit_backends = 2 * tdev->max_backends;
	buckets = clamp_t(u32, roundup_pow_of_two(sp->limit_services / 4),
			  PLAN_MIN_BUCKETS, PLAN_MAX_BUCKETS);
	sp->hash = kvcalloc(buckets, sizeof(*sp->hash), GFP_KERNEL_ACCOUNT);
	if (!sp->hash) {
		kfree(sp);
		return NULL;
	}
	sp->mask = buckets - 1;
	return sp;
}

void twill_service_plan_free(struct twill_service_plan *sp)
{
	struct twill_service *svc;
	u32 i;

	if (!sp)
		return;
	for (i = 0; i <= sp->mask; i++) {
		while ((svc = sp->hash[i])) {
			sp->hash[i] = svc->chain;
			/* A committed one belongs to the device's table now. */
			if (!svc->live)
				svc_free(svc);
		}
		if (!(i % 1024))
			cond_resched();
	}
	kvfree(sp->hash);
	kfree(sp);
}

static struct twill_service **plan_bucket(struct twill_service_plan *sp,
					  const struct twill_service *key)
{
	return &sp->hash[key_hash(key->family, &key->vip, key->port,
				  key->proto) & sp->mask];
}

static struct twill_service *plan_find(struct twill_service_plan *sp,
				       const struct twill_service *key)
{
	struct twill_service *svc;

	for (svc = *plan_bucket(sp, key); svc; svc = svc->chain)
		if (same_key(svc, key->family, &key->vip, key->port,
			     key->proto))
			return svc;
	return NULL;
}

/* Calls @fn for every staged service until it returns non-zero. */
static int plan_walk(struct twill_service_plan *sp,
		     int (*fn)(void *ctx, struct twill_service *svc), void *ctx)
{
	struct twill_service *svc;
	u32 i;
	int ret;

	for (i = 0; sp && i <= sp->mask; i++) {
		for (svc = sp->hash[i]; svc; svc = svc->chain) {
			ret = fn(ctx, svc);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static bool unicast(u8 family, const union nf_inet_addr *a)
{
	if (family == AF_INET)
		return !ipv4_is_zeronet(a->ip) && !ipv4_is_multicast(a->ip) &&
		       !ipv4_is_lbcast(a->ip);
	return !ipv6_addr_any(&a->in6) && !ipv6_addr_is_multicast(&a->in6);
}

/* -EINVAL: not 4 or 16 bytes as @family says; -EDOM: not unicast. */
static int parse_addr(u8 family, const struct nlattr *attr,
		      union nf_inet_addr *addr)
{
	size_t len = family == AF_INET ? sizeof(__be32) :
					 sizeof(struct in6_addr);

	if (nla_len(attr) != len)
		return -EINVAL;
	memset(addr, 0, sizeof(*addr));
	memcpy(addr, nla_data(attr), len);
	return unicast(family, addr) ? 0 : -EDOM;
}

static int parse_backend(struct twill_service *svc, const struct nlattr *attr,
			 struct twill_backend *b, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[TWILL_BACKEND_A_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, TWILL_BACKEND_A_MAX, attr, backend_policy,
			       extack);
	if (ret)
		return ret;
	if (!tb[TWILL_BACKEND_A_ADDR]) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "backend needs an address");
		return -EINVAL;
	}
	ret = parse_addr(svc->family, tb[TWILL_BACKEND_A_ADDR], &b->addr);
	if (ret == -EINVAL)
		NL_SET_ERR_MSG_ATTR(extack, tb[TWILL_BACKEND_A_ADDR],
				    "backend address is not of the service's family");
	else if (ret)
		NL_SET_ERR_MSG_ATTR(extack, tb[TWILL_BACKEND_A_ADDR],
				    "backend address must be unicast");
	if (ret)
		return -EINVAL;
	b->port = svc->port;
	if (tb[TWILL_BACKEND_A_PORT] && nla_get_u16(tb[TWILL_BACKEND_A_PORT]))
		b->port = htons(nla_get_u16(tb[TWILL_BACKEND_A_PORT]));
	b->weight = TWILL_BACKEND_DEFAULT_WEIGHT;
	if (tb[TWILL_BACKEND_A_WEIGHT])
		b->weight = nla_get_u32(tb[TWILL_BACKEND_A_WEIGHT]);
	b->state = TWILL_BACKEND_S_ACTIVE;
	if (tb[TWILL_BACKEND_A_STATE])
		b->state = nla_get_u8(tb[TWILL_BACKEND_A_STATE]);
	return 0;
}

static int cmp_backend(const void *a, const void *b)
{
	const struct twill_backend *x = a, *y = b;
	int d = memcmp(&x->addr, &y->addr, sizeof(x->addr));

	return d ?: memcmp(&x->port, &y->port, sizeof(x->port));
}

/* Sorted, so that a table depends on the backends, not on their order. */
static int parse_backends(struct twill_service *svc, const struct nlattr *attr,
			  struct netlink_ext_ack *extack)
{
	const struct nlattr *pos;
	int rem, ret;
	u32 i = 0;

	nla_for_each_nested(pos, attr, rem) {
		ret = parse_backend(svc, pos, &svc->backends[i++], extack);
		if (ret)
			return ret;
	}
	sort(svc->backends, svc->nbackends, sizeof(svc->backends[0]),
	     cmp_backend, NULL);
	for (i = 1; i < svc->nbackends; i++) {
		if (!cmp_backend(&svc->backends[i - 1], &svc->backends[i])) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "service has the same backend (address and port) twice");
			return -EEXIST;
		}
	}
	return 0;
}

static int parse_key(struct nlattr **tb, const struct nlattr *attr,
		     struct twill_service *key, struct netlink_ext_ack *extack)
{
	u16 family;
	int ret;

	if (!tb[TWILL_SERVICE_A_FAMILY] || !tb[TWILL_SERVICE_A_ADDR] ||
	    !tb[TWILL_SERVICE_A_PORT] || !tb[TWILL_SERVICE_A_PROTO]) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "service needs family, address, port and protocol");
		return -EINVAL;
	}
	family = nla_get_u16(tb[TWILL_SERVICE_A_FAMILY]);
	if (family != AF_INET && family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TWILL_SERVICE_A_FAMILY],
				    "service family must be AF_INET or AF_INET6");
		return -EINVAL;
	}
	key->family = family;
	ret = parse_addr(family, tb[TWILL_SERVICE_A_ADDR], &key->vip);
	if (ret == -EINVAL)
		NL_SET_ERR_MSG_ATTR(extack, tb[TWILL_SERVICE_A_ADDR],
				    "service address must be 4 bytes for AF_INET, 16 for AF_INET6");
	else if (ret)
		NL_SET_ERR_MSG_ATTR(extack, tb[TWILL_SERVICE_A_ADDR],
				    "service address must be unicast");
	if (ret)
		return -EINVAL;
	key->port = htons(nla_get_u16(tb[TWILL_SERVICE_A_PORT]));
	key->proto = nla_get_u8(tb[TWILL_SERVICE_A_PROTO]);
	if (key->proto != IPPROTO_TCP && key->proto != IPPROTO_UDP) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TWILL_SERVICE_A_PROTO],
				    "service protocol must be TCP or UDP");
		return -EINVAL;
	}
	return 0;
}

static int parse_flags(struct nlattr **tb, const struct nlattr *attr,
		       bool *remove, struct netlink_ext_ack *extack)
{
	u32 flags = 0;

	if (tb[TWILL_SERVICE_A_FLAGS])
		flags = nla_get_u32(tb[TWILL_SERVICE_A_FLAGS]);
	if (flags & ~__TWILL_SERVICE_F_ALL) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TWILL_SERVICE_A_FLAGS],
				    "unknown service flags");
		return -EOPNOTSUPP;
	}
	*remove = flags & TWILL_SERVICE_F_REMOVE;
	if (*remove && (tb[TWILL_SERVICE_A_BACKENDS] ||
			tb[TWILL_SERVICE_A_AFFINITY])) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "a service to remove takes no backends or affinity");
		return -EINVAL;
	}
	return 0;
}

int twill_service_parse_filter(const struct nlattr *attr,
			       struct twill_service_key *key,
			       struct netlink_ext_ack *extack)
{
	struct nlattr *tb[TWILL_SERVICE_A_MAX + 1];
	const struct nlattr *pos, *one = NULL;
	struct twill_service svc = {};
	int rem, ret;

	nla_for_each_nested(pos, attr, rem) {
		if (one) {
			NL_SET_ERR_MSG_ATTR(extack, pos,
					    "a service filter names exactly one service");
			return -EINVAL;
		}
		one = pos;
	}
	if (!one || rem) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "a service filter names exactly one service");
		return -EINVAL;
	}
	ret = nla_parse_nested(tb, TWILL_SERVICE_A_MAX, one, service_policy,
			       extack);
	if (!ret)
		ret = parse_key(tb, one, &svc, extack);
	if (ret)
		return ret;
	/* Not ignored: a client asking for more than a key would misread. */
	if (tb[TWILL_SERVICE_A_FLAGS] || tb[TWILL_SERVICE_A_AFFINITY] ||
	    tb[TWILL_SERVICE_A_BACKENDS]) {
		NL_SET_ERR_MSG_ATTR(extack, one,
				    "a service filter takes only family, address, port and protocol");
		return -EINVAL;
	}
	key->vip = svc.vip;
	key->port = svc.port;
	key->proto = svc.proto;
	key->family = svc.family;
	return 0;
}

static u32 count_nested(const struct nlattr *attr)
{
	const struct nlattr *pos;
	u32 n = 0;
	int rem;

	if (attr)
		nla_for_each_nested(pos, attr, rem)
			n++;
	return n;
}

static int parse_service(struct twill_service_plan *sp,
			 const struct nlattr *attr,
			 struct netlink_ext_ack *extack)
{
	struct nlattr *tb[TWILL_SERVICE_A_MAX + 1];
	struct twill_service key = {}, *svc;
	struct twill_service **bucket;
	bool remove;
	u32 n;
	int ret;

	ret = nla_parse_nested(tb, TWILL_SERVICE_A_MAX, attr, service_policy,
			       extack);
	if (!ret)
		ret = parse_key(tb, attr, &key, extack);
	if (!ret)
		ret = parse_flags(tb, attr, &remove, extack);
	if (ret)
		return ret;
	if (plan_find(sp, &key)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "service given twice in one transaction");
		return -EEXIST;
	}
	n = count_nested(tb[TWILL_SERVICE_A_BACKENDS]);
	if (n > TWILL_MAGLEV_MAX_BACKENDS) {
		NL_SET_ERR_MSG_FMT(extack, "more than %u backends in a service",
				   TWILL_MAGLEV_MAX_BACKENDS);
		NL_SET_BAD_ATTR(extack, attr);
		return -E2BIG;
	}
	if (sp->nservices >= sp->limit_services ||
	    n > sp->limit_backends - sp->nbackends) {
		NL_SET_ERR_MSG_FMT(extack,
				   "transaction holds more than %u services or %u backends",
				   sp->limit_services, sp->limit_backends);
		return -ENOSPC;
	}
	svc = kvzalloc(struct_size(svc, backends, n), GFP_KERNEL_ACCOUNT);
	if (!svc)
		return -ENOMEM;
	svc->vip = key.vip;
	svc->port = key.port;
	svc->proto = key.proto;
	svc->family = key.family;
	svc->remove = remove;
	svc->nbackends = n;
	if (tb[TWILL_SERVICE_A_AFFINITY])
		svc->affinity = nla_get_u32(tb[TWILL_SERVICE_A_AFFINITY]);
	if (n) {
		ret = parse_backends(svc, tb[TWILL_SERVICE_A_BACKENDS], extack);
		if (ret) {
			svc_free(svc);
			return ret;
		}
	}
	bucket = plan_bucket(sp, svc);
	svc->chain = *bucket;
	*bucket = svc;
	sp->nservices++;
	sp->nbackends += n;
	return 0;
}

static void parse_settings(struct twill_service_plan *sp, struct nlattr **attrs)
{
	if (attrs[TWILL_A_MAX_SERVICES]) {
		sp->has_max_services = true;
		sp->max_services = nla_get_u32(attrs[TWILL_A_MAX_SERVICES]);
	}
	if (attrs[TWILL_A_MAX_BACKENDS]) {
		sp->has_max_backends = true;
		sp->max_backends = nla_get_u32(attrs[TWILL_A_MAX_BACKENDS]);
	}
	if (attrs[TWILL_A_MAGLEV_SIZE]) {
		sp->has_maglev_size = true;
		sp->maglev_size = nla_get_u32(attrs[TWILL_A_MAGLEV_SIZE]);
	}
}

int twill_service_parse(struct twill_device *tdev,
			struct twill_service_plan **sp, struct nlattr **attrs,
			struct netlink_ext_ack *extack)
{
	const struct nlattr *size = attrs[TWILL_A_MAGLEV_SIZE], *pos;
	int rem, ret;

	lockdep_assert_held(&tdev->update_lock);
	if (size && !twill_maglev_size_valid(nla_get_u32(size))) {
		NL_SET_ERR_MSG_ATTR(extack, size,
				    "Maglev table size must be a prime");
		return -EINVAL;
	}
	if (!*sp) {
		*sp = plan_new(tdev);
		if (!*sp)
			return -ENOMEM;
	}
	parse_settings(*sp, attrs);
	if (!attrs[TWILL_A_SERVICES])
		return 0;
	nla_for_each_nested(pos, attrs[TWILL_A_SERVICES], rem) {
		ret = parse_service(*sp, pos, extack);
		if (ret)
			return ret;
	}
	return 0;
}

/* --- Commits --------------------------------------------------------- */

struct prepare {
	struct twill_device *tdev;
	struct twill_service_plan *sp;
	struct twill_service_table *old;
	struct twill_service_change *ch;
	struct netlink_ext_ack *extack;
	bool replace;
	bool changed;
	u32 nservices, nbackends;
};

/* An old service the new table keeps: neither replaced nor dropped. */
static bool kept(struct prepare *p, struct twill_service *svc)
{
	return !p->replace && !(p->sp && plan_find(p->sp, svc));
}

/* Counts a service of the new table; each backend needs a slot. */
static int count(struct prepare *p, const struct twill_service *svc)
{
	if (svc->nbackends > p->ch->maglev_size) {
		NL_SET_ERR_MSG_FMT(p->extack,
				   "%u backends in a service, more than its %u Maglev slots",
				   svc->nbackends, p->ch->maglev_size);
		return -EINVAL;
	}
	p->nservices++;
	p->nbackends += svc->nbackends;
	return 0;
}

/* The new table's size against the device's limits. */
static int check_size(struct prepare *p, u32 nservices, u32 nbackends)
{
	struct twill_service_change *ch = p->ch;

	if (nservices <= ch->max_services && nbackends <= ch->max_backends)
		return 0;
	NL_SET_ERR_MSG_FMT(p->extack,
			   "%u services, %u backends: past the limits %u, %u",
			   nservices, nbackends, ch->max_services,
			   ch->max_backends);
	return -ENOSPC;
}

static int count_staged(void *ctx, struct twill_service *svc)
{
	return svc->remove ? 0 : count(ctx, svc);
}

static int count_all(struct prepare *p)
{
	struct twill_service *svc;
	u32 i;
	int ret;

	ret = plan_walk(p->sp, count_staged, p);
	if (ret)
		return ret;
	for (i = 0; p->old && i <= p->old->mask; i++) {
		svc = p->old->slots[i];
		ret = svc && kept(p, svc) ? count(p, svc) : 0;
		if (ret)
			return ret;
	}
	return check_size(p, p->nservices, p->nbackends);
}

/* A staged service: the device's own if it is unchanged, else built. */
static int add_staged(void *ctx, struct twill_service *svc)
{
	struct prepare *p = ctx;
	struct twill_service *old = p->old ? find(p->old, svc) : NULL;
	int ret;

	if (svc->remove)
		return 0;
	if (old && old->size == p->ch->maglev_size && same_service(old, svc)) {
		table_insert(p->ch->fresh, old);
		return 0;
	}
	ret = build(svc, p->ch->maglev_size);
	if (ret)
		return ret;
	table_insert(p->ch->fresh, svc);
	p->changed = true;
	return 0;
}

/* The device's other services, rebuilt for a new table size. */
static int add_kept(struct prepare *p)
{
	struct twill_service_change *ch = p->ch;
	struct twill_service *svc, *copy;
	u32 i;
	int ret;

	for (i = 0; p->old && i <= p->old->mask; i++) {
		svc = p->old->slots[i];
		if (!svc || !kept(p, svc))
			continue;
		if (svc->size == ch->maglev_size) {
			table_insert(ch->fresh, svc);
			continue;
		}
		copy = svc_copy(svc);
		if (!copy)
			return -ENOMEM;
		copy->chain = ch->copies;
		ch->copies = copy;
		ret = build(copy, ch->maglev_size);
		if (ret)
			return ret;
		table_insert(ch->fresh, copy);
		p->changed = true;
	}
	return 0;
}

static bool limits_changed(struct twill_device *tdev,
			   const struct twill_service_change *ch)
{
	return ch->max_services != tdev->max_services ||
	       ch->max_backends != tdev->max_backends ||
	       ch->maglev_size != tdev->maglev_size;
}

/*
 * An endpoint change, the common one, replaces services by others of the
 * same keys: the next table can then be the current one's slots copied,
 * those pointers swapped, instead of every service hashed in again (at
 * 10,000 services that rebuild was most of a change's commit).  Not when
 * a service comes or goes, or a limit changes: the whole rebuild.
 */
static int not_swappable(void *ctx, struct twill_service *svc)
{
	struct prepare *p = ctx;

	return svc->remove || !find(p->old, svc);
}

static struct twill_service **slot_of(struct twill_service_table *table,
				      const struct twill_service *svc)
{
	u32 i = key_hash(svc->family, &svc->vip, svc->port, svc->proto) &
		table->mask;

	while (table->slots[i] != svc)
		i = (i + 1) & table->mask;
	return &table->slots[i];
}

static int swap_staged(void *ctx, struct twill_service *svc)
{
	struct prepare *p = ctx;
	struct twill_service_table *fresh = p->ch->fresh;
	struct twill_service *old = find(p->old, svc);
	int ret;

	ret = count(p, svc);
	if (ret)
		return ret;
	if (old->size == p->ch->maglev_size && same_service(old, svc))
		return 0;
	ret = build(svc, p->ch->maglev_size);
	if (ret)
		return ret;
	/* Same key, same probe sequence: the old one's slot is the new's. */
	*slot_of(fresh, old) = svc;
	fresh->nbackends = fresh->nbackends - old->nbackends + svc->nbackends;
	old->chain = p->ch->retired;
	p->ch->retired = old;
	p->changed = true;
	return 0;
}

static int prepare_swap(struct prepare *p)
{
	struct twill_service_change *ch = p->ch;
	struct twill_service_table *old = p->old, *fresh;
	u32 slots = old->mask + 1;
	size_t size = struct_size(old, slots, slots) +
		      slots * sizeof(*old->vips);
	int ret;

	fresh = kvmalloc(size, GFP_KERNEL_ACCOUNT);
	if (!fresh)
		return -ENOMEM;
	memcpy(fresh, old, size);
	fresh->vips = (struct twill_service_vip *)&fresh->slots[slots];
	fresh->retired = NULL;
	INIT_RCU_WORK(&fresh->free_work, table_free_work);
	ch->fresh = fresh;
	ret = plan_walk(p->sp, swap_staged, p);
	if (ret)
		return ret;
	return check_size(p, fresh->nservices, fresh->nbackends);
}

static bool swappable(struct twill_device *tdev, struct prepare *p)
{
	return !p->replace && p->old && p->sp &&
	       !limits_changed(tdev, p->ch) &&
	       !plan_walk(p->sp, not_swappable, p);
}

/* Old services the new table does not hold go with the old table. */
static void collect_retired(struct prepare *p)
{
	struct twill_service_table *fresh = p->ch->fresh;
	struct twill_service *svc;
	u32 i;

	for (i = 0; p->old && i <= p->old->mask; i++) {
		svc = p->old->slots[i];
		if (!svc || (fresh && find(fresh, svc) == svc))
			continue;
		svc->chain = p->ch->retired;
		p->ch->retired = svc;
		p->changed = true;
	}
}

static int check_limits(struct twill_device *tdev,
			struct twill_service_plan *sp, u32 rights,
			struct twill_service_change *ch,
			struct netlink_ext_ack *extack)
{
	ch->max_services = tdev->max_services;
	ch->max_backends = tdev->max_backends;
	ch->maglev_size = tdev->maglev_size;
	if (sp && sp->has_max_services)
		ch->max_services = sp->max_services;
	if (sp && sp->has_max_backends)
		ch->max_backends = sp->max_backends;
	if (sp && sp->has_maglev_size)
		ch->maglev_size = sp->maglev_size;
	if (rights & TWILL_RIGHT_INIT)
		return 0;
	if (ch->max_services > tdev->max_services &&
	    ch->max_services > TWILL_SERVICE_DEFAULT_MAX_SERVICES) {
		NL_SET_ERR_MSG_FMT(extack,
				   "max-services above %u needs CAP_NET_ADMIN in the initial user namespace",
				   TWILL_SERVICE_DEFAULT_MAX_SERVICES);
		return -EPERM;
	}
	if (ch->max_backends > tdev->max_backends &&
	    ch->max_backends > TWILL_SERVICE_DEFAULT_MAX_BACKENDS) {
		NL_SET_ERR_MSG_FMT(extack,
				   "max-backends above %u needs CAP_NET_ADMIN in the initial user namespace",
				   TWILL_SERVICE_DEFAULT_MAX_BACKENDS);
		return -EPERM;
	}
	return 0;
}

int twill_service_prepare(struct twill_device *tdev,
			  struct twill_service_plan *sp, bool replace,
			  u32 rights, struct twill_service_change *ch,
			  struct netlink_ext_ack *extack)
{
	struct prepare p = {
		.tdev = tdev, .sp = sp, .old = table_of(tdev), .ch = ch,
		.extack = extack, .replace = replace,
	};
	int ret;

	lockdep_assert_held(&tdev->update_lock);
	if (!sp && !replace)
		return 0;
	ret = check_limits(tdev, sp, rights, ch, extack);
	if (ret)
		return ret;
	if (swappable(tdev, &p)) {
		ret = prepare_swap(&p);
		if (ret)
			return ret;
		goto built;
	}
	ret = count_all(&p);
	if (ret)
		return ret;
	if (p.nservices) {
		ch->fresh = table_alloc(p.nservices);
		if (!ch->fresh)
			return -ENOMEM;
		ret = plan_walk(sp, add_staged, &p);
		if (!ret)
			ret = add_kept(&p);
		if (ret)
			return ret;
	}
	collect_retired(&p);
built:
	if (!p.changed && !limits_changed(tdev, ch)) {
		/* The same services again: nothing to publish. */
		twill_service_abort(ch);
		return 0;
	}
	if (!(rights & TWILL_RIGHT_HOST)) {
		NL_SET_ERR_MSG(extack,
			       "changing services needs CAP_NET_ADMIN in the namespace that created the device");
		return -EPERM;
	}
	ch->active = true;
	return 0;
}

static int mark_live(void *ctx, struct twill_service *svc)
{
	struct twill_service_table *fresh = ctx;

	if (!svc->remove && fresh && find(fresh, svc) == svc)
		svc->live = true;
	return 0;
}

/*
 * Beyond this many backends a service's are not compared one by one (a
 * square of them, under RTNL): its flows are checked by the purge.
 */
#define LOST_MAX_BACKENDS	64

/*
 * Whether a flow of @retired may have lost its service or backend in
 * @fresh: only then is the purge's grace period and walk worth paying.  A
 * backend added, re-weighted or made terminating keeps every flow.
 */
static bool lost_flows(const struct twill_service *retired,
		       struct twill_service_table *fresh)
{
	const struct twill_service *svc, *now;
	u32 i;

	for (svc = retired; svc; svc = svc->chain) {
		now = fresh ? find(fresh, svc) : NULL;
		if (!now || svc->nbackends > LOST_MAX_BACKENDS)
			return true;
		for (i = 0; i < svc->nbackends; i++)
			if (!twill_service_has_backend(now,
						       &svc->backends[i].addr,
						       svc->backends[i].port))
				return true;
	}
	return false;
}

void twill_service_apply(struct twill_device *tdev,
			 struct twill_service_plan *sp,
			 struct twill_service_change *ch)
{
	struct twill_service_table *old = table_of(tdev);
	struct twill_service *svc;

	lockdep_assert_held(&tdev->update_lock);
	if (!ch->active)
		return;
	tdev->max_services = ch->max_services;
	tdev->max_backends = ch->max_backends;
	tdev->maglev_size = ch->maglev_size;
	/* The table owns what it holds: the plan's services and copies. */
	plan_walk(sp, mark_live, ch->fresh);
	for (svc = ch->copies; svc; svc = svc->chain)
		svc->live = true;
	ch->copies = NULL;
	ch->purge = lost_flows(ch->retired, ch->fresh);
	rcu_assign_pointer(tdev->services, ch->fresh);
	ch->fresh = NULL;
	if (old)
		table_retire(old, ch->retired);
	ch->retired = NULL;
	ch->active = false;
	ch->applied = true;
}

bool twill_service_any(struct twill_device *tdev,
		       const struct twill_service_change *ch)
{
	const struct twill_service_table *table;

	lockdep_assert_held(&tdev->update_lock);
	table = ch->active ? ch->fresh : table_of(tdev);
	return table && table->nservices;
}

void twill_service_abort(struct twill_service_change *ch)
{
	struct twill_service *svc;

	while ((svc = ch->copies)) {
		ch->copies = svc->chain;
		svc_free(svc);
	}
	/* Only the slots: what they point to is the plan's or the device's. */
	kvfree(ch->fresh);
	ch->fresh = NULL;
	ch->retired = NULL;
	ch->active = false;
}

/* --- Dumps ----------------------------------------------------------- */

static int put_backend(struct sk_buff *skb, const struct twill_service *svc,
		       const struct twill_backend *b)
{
	size_t len = svc->family == AF_INET ? sizeof(__be32) :
					      sizeof(struct in6_addr);
	struct nlattr *nest = nla_nest_start(skb, 0);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put(skb, TWILL_BACKEND_A_ADDR, len, &b->addr) ||
	    nla_put_u16(skb, TWILL_BACKEND_A_PORT, ntohs(b->port)) ||
	    nla_put_u32(skb, TWILL_BACKEND_A_WEIGHT, b->weight) ||
	    nla_put_u8(skb, TWILL_BACKEND_A_STATE, b->state)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int put_service_head(struct sk_buff *skb,
			    const struct twill_service *svc)
{
	size_t len = svc->family == AF_INET ? sizeof(__be32) :
					      sizeof(struct in6_addr);

	if (nla_put_u16(skb, TWILL_SERVICE_A_FAMILY, svc->family) ||
	    nla_put(skb, TWILL_SERVICE_A_ADDR, len, &svc->vip) ||
	    nla_put_u16(skb, TWILL_SERVICE_A_PORT, ntohs(svc->port)) ||
	    nla_put_u8(skb, TWILL_SERVICE_A_PROTO, svc->proto) ||
	    nla_put_u32(skb, TWILL_SERVICE_A_AFFINITY, svc->affinity) ||
	    nla_put_u32(skb, TWILL_SERVICE_A_NUM_BACKENDS, svc->nbackends))
		return -EMSGSIZE;
	return 0;
}

/*
 * Puts @svc with its backends from *@next on; -EMSGSIZE when not all of
 * them fitted (*@next says where to go on), or when not even its head did
 * (*@next is then unchanged).
 */
static int put_service(struct sk_buff *skb, const struct twill_service *svc,
		       u32 *next)
{
	struct nlattr *nest, *backends;
	int ret = 0;

	nest = nla_nest_start(skb, 0);
	if (!nest)
		return -EMSGSIZE;
	if (put_service_head(skb, svc))
		goto cancel;
	backends = nla_nest_start(skb, TWILL_SERVICE_A_BACKENDS);
	if (!backends)
		goto cancel;
	for (; *next < svc->nbackends; (*next)++) {
		ret = put_backend(skb, svc, &svc->backends[*next]);
		if (ret)
			break;
	}
	nla_nest_end(skb, backends);
	nla_nest_end(skb, nest);
	return ret;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int put_settings(struct sk_buff *skb, struct twill_device *tdev,
			const struct twill_service_table *table)
{
	if (nla_put_u32(skb, TWILL_A_MAX_SERVICES, tdev->max_services) ||
	    nla_put_u32(skb, TWILL_A_MAX_BACKENDS, tdev->max_backends) ||
	    nla_put_u32(skb, TWILL_A_MAGLEV_SIZE, tdev->maglev_size))
		return -EMSGSIZE;
	return twill_service_put_counts(skb, tdev);
}

int twill_service_put_counts(struct sk_buff *skb, struct twill_device *tdev)
{
	struct twill_service_table *table = table_of(tdev);

	if (nla_put_u32(skb, TWILL_A_NUM_SERVICES,
			table ? table->nservices : 0) ||
	    nla_put_u32(skb, TWILL_A_NUM_BACKENDS,
			table ? table->nbackends : 0))
		return -EMSGSIZE;
	return 0;
}

/* The one service a filter names, if the table has it. */
static int dump_one(struct sk_buff *skb, struct twill_service_table *table,
		    const struct twill_service_key *key,
		    struct twill_service_dump_pos *pos)
{
	struct twill_service *svc;

	if (!table)
		return 0;
	svc = twill_service_lookup(table, key->family, &key->vip, key->port,
				   key->proto);
	return svc ? put_service(skb, svc, &pos->backend) : 0;
}

int twill_service_dump(struct sk_buff *skb, struct twill_device *tdev,
		       const struct twill_service_key *only,
		       struct twill_service_dump_pos *pos)
{
	struct twill_service_table *table = table_of(tdev);
	struct twill_service *svc;
	struct nlattr *nest;
	int ret = 0;

	lockdep_assert_held(&tdev->update_lock);
	if (put_settings(skb, tdev, table))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, TWILL_A_SERVICES);
	if (!nest)
		return -EMSGSIZE;
	if (only) {
		ret = dump_one(skb, table, only, pos);
		nla_nest_end(skb, nest);
		return ret;
	}
	for (; table && pos->slot <= table->mask; pos->slot++) {
		svc = table->slots[pos->slot];
		if (!svc)
			continue;
		ret = put_service(skb, svc, &pos->backend);
		if (ret)
			break;
		pos->backend = 0;
	}
	nla_nest_end(skb, nest);
	return ret;
}

/* --- Module ---------------------------------------------------------- */

int twill_service_module_init(void)
{
	key_seed = get_random_u32();
	free_wq = alloc_workqueue("twill-svc", WQ_UNBOUND, 0);
	return free_wq ? 0 : -ENOMEM;
}

void twill_service_module_exit(void)
{
	/* The devices are gone; their tables wait for a grace period. */
	rcu_barrier();
	destroy_workqueue(free_wq);
}
