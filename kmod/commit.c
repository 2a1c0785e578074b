// SPDX-License-Identifier: GPL-2.0
/*
 * Plans and commits.  A commit runs in two phases under update_lock:
 *
 *  1. check: work out the device as the plan would leave it (peers created
 *     and removed, prefixes new, moved and removed), check it against the
 *     limits, allocate everything it needs (new peers, table nodes, the new
 *     config, new sockets).  Nothing visible changes; on error the plan is
 *     dropped and the device is exactly as before.
 *  2. apply: cannot fail.  New prefixes are inserted before old ones are
 *     removed, so a lookup of a prefix that exists before and after never
 *     misses, however large the change.
 */

#include <linux/etherdevice.h>
#include <linux/jhash.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/netdevice.h>

#include "commit.h"
#include "device.h"
#include "nat.h"
#include "service.h"
#include "netlink.h"
#include "socket.h"
#include "table.h"

#define PLAN_PEER_MIN_BUCKETS	64
#define PLAN_PEER_MAX_BUCKETS	BIT(16)
#define PREFIX_CHUNK		1024

struct plan_prefix {
	struct plan_prefix *hnext;
	struct twill_plan_peer *ppeer;
	u8 addr[16];
	u8 family;
	u8 cidr;
	bool remove;
	bool dup;	/* same as an earlier entry; ignored */
	bool noop;	/* the table already maps it to this peer */
};

struct prefix_chunk {
	struct prefix_chunk *next;
	u32 used;
	struct plan_prefix p[PREFIX_CHUNK];
};

struct twill_plan_peer {
	struct list_head list;
	struct twill_plan_peer *hnext;
	union twill_endpoint ep;
	u32 flags;
	bool has_mac;
	u8 mac[ETH_ALEN];
	s8 direct;			/* -1: unchanged, else 0/1 */
	struct twill_peer *peer;	/* set by the commit */
	bool created;
};

struct twill_plan {
	struct sock *owner;		/* held: the socket that started it */
	unsigned long deadline;		/* jiffies; see twill_plan_expired() */
	bool held;			/* being committed, see netlink.c */
	u32 dev_flags;
	u32 rights;			/* TWILL_RIGHT_*, of the committer */
	struct twill_settings set;
	struct list_head peers;
	u32 npeers;
	struct twill_plan_peer **peer_hash;	/* by address */
	u32 peer_mask;
	struct prefix_chunk *chunks, *last_chunk;
	size_t nprefixes;
	u32 limit_peers;
	size_t limit_prefixes;
	bool nat_set;			/* TWILL_A_NAT given: @nat replaces */
	struct twill_nat_config *nat;	/* NULL: NAT off */
	struct twill_service_plan *services;	/* NULL: none staged */
};

struct gone_prefix {
	u8 addr[16];
	u8 family;
	u8 cidr;
};

/* Peer states during a commit, valid while peer->stage_mark matches. */
enum { KEEP, REPLACE, REMOVE };

struct commit {
	struct twill_device *tdev;
	struct twill_plan *plan;
	struct netlink_ext_ack *extack;
	u32 mark;
	struct twill_config *cfg;	/* new config, NULL if unchanged */
	u32 max_peers, max_prefixes;
	struct twill_peer_hash *peer_hash;	/* grown hash, or NULL */
	struct twill_peer **removed;	/* peers to remove, referenced */
	u32 nremoved;
	struct plan_prefix **set;	/* every live entry, by prefix */
	u32 set_mask;
	size_t ninserts4, ninserts6, nnew, ngone;
	struct gone_prefix *gone;	/* single prefixes to remove */
	size_t ngone_list, gone_cap;
	bool sockets_changed;
	bool routes_changed;
	struct twill_nat_change nat;
	struct twill_service_change services;
};

/* --- Building a plan ----------------------------------------------- */

/*
 * A hostile client must not pin unbounded memory with a transaction that
 * never commits: allow twice what the device may hold now (removals are
 * entries too).  The limits the plan itself sets do not count: a larger
 * limit must be committed before it can be used.
 */
static void plan_set_limits(struct twill_plan *plan, struct twill_device *tdev)
{
	plan->limit_peers = 2 * tdev->max_peers;
	plan->limit_prefixes = 2 * (size_t)tdev->max_prefixes;
}

struct twill_plan *twill_plan_new(struct twill_device *tdev, struct sock *owner)
{
	struct twill_plan *plan = kzalloc(sizeof(*plan), GFP_KERNEL_ACCOUNT);
	u32 buckets;

	if (!plan)
		return NULL;
	plan_set_limits(plan, tdev);
	buckets = clamp_t(u32, roundup_pow_of_two(plan->limit_peers / 8),
			  PLAN_PEER_MIN_BUCKETS, PLAN_PEER_MAX_BUCKETS);
	plan->peer_hash = kvcalloc(buckets, sizeof(*plan->peer_hash),
				   GFP_KERNEL_ACCOUNT);
	if (!plan->peer_hash) {
		kfree(plan);
		return NULL;
	}
	plan->peer_mask = buckets - 1;
	sock_hold(owner);
	plan->owner = owner;
	INIT_LIST_HEAD(&plan->peers);
	twill_plan_touch(plan);
	return plan;
}

void twill_plan_free(struct twill_plan *plan)
{
	struct twill_plan_peer *ppeer, *tmp;
	struct prefix_chunk *chunk;

	if (!plan)
		return;
	list_for_each_entry_safe(ppeer, tmp, &plan->peers, list) {
		kfree(ppeer);
		cond_resched();
	}
	while ((chunk = plan->chunks)) {
		plan->chunks = chunk->next;
		kvfree(chunk);
		cond_resched();
	}
	kvfree(plan->peer_hash);
	twill_nat_config_free(plan->nat);
	twill_service_plan_free(plan->services);
	sock_put(plan->owner);
	kfree(plan);
}

bool twill_plan_owned_by(const struct twill_plan *plan, const struct sock *sk)
{
	return plan->owner == sk && !plan->held;
}

/* Its socket is closed: nobody can finish it. */
bool twill_plan_abandoned(const struct twill_plan *plan)
{
	return sock_flag(plan->owner, SOCK_DEAD) && !plan->held;
}

void twill_plan_touch(struct twill_plan *plan)
{
	plan->deadline = jiffies + TWILL_STAGE_TIMEOUT;
}

bool twill_plan_expired(const struct twill_plan *plan)
{
	return !plan->held && time_after_eq(jiffies, plan->deadline);
}

void twill_plan_hold(struct twill_plan *plan, bool held)
{
	plan->held = held;
}

/*
 * Settings whose change goes through twill_socket_set(), and the hooks
 * that NAT and services may need.
 */
bool twill_plan_needs_rtnl(const struct twill_plan *plan)
{
	const u64 socket_settings = BIT_ULL(TWILL_A_LISTEN_PORT) |
				    BIT_ULL(TWILL_A_LOCAL) |
				    BIT_ULL(TWILL_A_LINK) |
				    BIT_ULL(TWILL_A_FWMARK) |
				    BIT_ULL(TWILL_A_TOS);

	return plan->nat_set || plan->services ||
	       (plan->dev_flags & TWILL_F_REPLACE_SERVICES) ||
	       (plan->set.present & socket_settings);
}

/* A later message of a transaction replaces an earlier one's NAT. */
void twill_plan_nat(struct twill_plan *plan, struct twill_nat_config *cfg)
{
	twill_nat_config_free(plan->nat);
	plan->nat = cfg;
	plan->nat_set = true;
}

struct twill_service_plan **twill_plan_services(struct twill_plan *plan)
{
	return &plan->services;
}

void twill_plan_set_flags(struct twill_plan *plan, u32 flags)
{
	plan->dev_flags = flags;
}

void twill_plan_settings(struct twill_plan *plan, const struct twill_settings *s)
{
	struct twill_settings *d = &plan->set;
	int attr;

	for (attr = 0; attr <= TWILL_A_MAX; attr++)
		if (twill_settings_has(s, attr))
			d->val[attr] = s->val[attr];
	if (twill_settings_has(s, TWILL_A_LOCAL))
		d->local = s->local;
	if (twill_settings_has(s, TWILL_A_MAC))
		memcpy(d->mac, s->mac, ETH_ALEN);
	d->present |= s->present;
}

u16 twill_plan_listen_port(struct twill_plan *plan, struct twill_device *tdev)
{
	if (twill_settings_has(&plan->set, TWILL_A_LISTEN_PORT))
		return plan->set.val[TWILL_A_LISTEN_PORT];
	return twill_device_config(tdev)->listen_port;
}

/* By address only, so that one address under two ports shares a bucket. */
static u32 endpoint_bucket(const struct twill_plan *plan,
			   const union twill_endpoint *ep)
{
	return twill_endpoint_hash(ep) & plan->peer_mask;
}

/* Ports sit at the same offset in both families. */
static bool same_endpoint(const union twill_endpoint *a,
			  const union twill_endpoint *b)
{
	return twill_endpoint_same_address(a, b) &&
	       a->addr4.sin_port == b->addr4.sin_port;
}

/*
 * The plan's entry for @endpoint; a peer repeated in a later message (its
 * prefixes did not fit) merges into it.  @direct is -1 when not given.
 */
struct twill_plan_peer *twill_plan_peer(struct twill_plan *plan,
					const union twill_endpoint *endpoint,
					u32 flags, const u8 *mac, int direct)
{
	u32 bucket = endpoint_bucket(plan, endpoint);
	struct twill_plan_peer *ppeer;

	for (ppeer = plan->peer_hash[bucket]; ppeer; ppeer = ppeer->hnext)
		if (same_endpoint(&ppeer->ep, endpoint))
			goto found;
	if (plan->npeers >= plan->limit_peers)
		return ERR_PTR(-ENOSPC);
	ppeer = kzalloc(sizeof(*ppeer), GFP_KERNEL_ACCOUNT);
	if (!ppeer)
		return ERR_PTR(-ENOMEM);
	ppeer->ep = *endpoint;
	ppeer->direct = -1;
	ppeer->hnext = plan->peer_hash[bucket];
	plan->peer_hash[bucket] = ppeer;
	list_add_tail(&ppeer->list, &plan->peers);
	plan->npeers++;
found:
	ppeer->flags |= flags;
	if (mac) {
		ppeer->has_mac = true;
		memcpy(ppeer->mac, mac, ETH_ALEN);
	}
	if (direct >= 0)
		ppeer->direct = direct;
	return ppeer;
}

static struct plan_prefix *next_slot(struct twill_plan *plan)
{
	struct prefix_chunk *chunk = plan->last_chunk;

	if (!chunk || chunk->used == PREFIX_CHUNK) {
		chunk = kvzalloc(sizeof(*chunk), GFP_KERNEL_ACCOUNT);
		if (!chunk)
			return NULL;
		if (plan->last_chunk)
			plan->last_chunk->next = chunk;
		else
			plan->chunks = chunk;
		plan->last_chunk = chunk;
	}
	return &chunk->p[chunk->used++];
}

int twill_plan_prefix(struct twill_plan *plan, struct twill_plan_peer *ppeer,
		      int family, const void *addr, u8 cidr, bool remove)
{
	struct plan_prefix *p;

	if (plan->nprefixes >= plan->limit_prefixes)
		return -ENOSPC;
	p = next_slot(plan);
	if (!p)
		return -ENOMEM;
	p->ppeer = ppeer;
	p->family = family;
	p->cidr = cidr;
	p->remove = remove;
	memcpy(p->addr, addr, family == AF_INET6 ? 16 : 4);
	plan->nprefixes++;
	return 0;
}

struct prefix_iter {
	struct prefix_chunk *chunk;
	u32 i;
};

/* Every walk of a plan's prefixes may be millions long: yield per chunk. */
static struct plan_prefix *prefix_next(struct prefix_iter *it)
{
	while (it->chunk && it->i == it->chunk->used) {
		it->chunk = it->chunk->next;
		it->i = 0;
		cond_resched();
	}
	return it->chunk ? &it->chunk->p[it->i++] : NULL;
}

static struct plan_prefix *prefix_first(struct twill_plan *plan,
					struct prefix_iter *it)
{
	it->chunk = plan->chunks;
	it->i = 0;
	return prefix_next(it);
}

/* --- Phase 1: check -------------------------------------------------- */

static int peer_state(struct commit *c, struct twill_peer *peer)
{
	return peer->stage_mark == c->mark ? peer->stage_state : KEEP;
}

static void mark_peer(struct commit *c, struct twill_peer *peer, int state)
{
	peer->stage_mark = c->mark;
	peer->stage_state = state;
	peer->stage_changed = false;
}

static void mark_changed(struct commit *c, struct twill_peer *peer)
{
	if (peer->stage_mark != c->mark)
		mark_peer(c, peer, KEEP);
	peer->stage_changed = true;
}

static void set_config_value(struct twill_config *cfg, int attr, u32 val)
{
	switch (attr) {
	case TWILL_A_LISTEN_PORT:
		cfg->listen_port = val;
		break;
	case TWILL_A_VNI:
		cfg->vni = val;
		break;
	case TWILL_A_FWMARK:
		cfg->fwmark = val;
		break;
	case TWILL_A_LINK:
		cfg->link = val;
		break;
	case TWILL_A_PORT_MIN:
		cfg->port_min = val;
		break;
	case TWILL_A_PORT_MAX:
		cfg->port_max = val;
		break;
	case TWILL_A_TTL:
		cfg->ttl = val;
		break;
	case TWILL_A_TOS:
		cfg->tos = val;
		break;
	case TWILL_A_DF:
		cfg->df = val;
		break;
	case TWILL_A_UDP_CSUM:
		cfg->udp_csum = val;
		break;
	case TWILL_A_DIRECT:
		cfg->direct = val;
		break;
	}
}

static u32 setting_or(struct commit *c, int attr, u32 now)
{
	const struct twill_settings *s = &c->plan->set;

	return twill_settings_has(s, attr) ? s->val[attr] : now;
}

static int check_config(struct commit *c)
{
	const u64 limits = BIT_ULL(TWILL_A_MAX_PEERS) |
			   BIT_ULL(TWILL_A_MAX_PREFIXES);
	struct twill_settings *s = &c->plan->set;
	struct twill_config *old = twill_device_config(c->tdev), *cfg;
	int attr;

	c->max_peers = setting_or(c, TWILL_A_MAX_PEERS, c->tdev->max_peers);
	c->max_prefixes = setting_or(c, TWILL_A_MAX_PREFIXES,
				     c->tdev->max_prefixes);
	if (!(s->present & ~limits))
		return 0;
	cfg = kmemdup(old, sizeof(*old), GFP_KERNEL_ACCOUNT);
	if (!cfg)
		return -ENOMEM;
	c->cfg = cfg;
	for (attr = 0; attr <= TWILL_A_MAX; attr++)
		if (twill_settings_has(s, attr))
			set_config_value(cfg, attr, s->val[attr]);
	if (twill_settings_has(s, TWILL_A_LOCAL))
		cfg->local = s->local;
	if (twill_settings_has(s, TWILL_A_MAC))
		memcpy(cfg->mac, s->mac, ETH_ALEN);
	if (cfg->port_min > cfg->port_max) {
		NL_SET_ERR_MSG(c->extack,
			       "source port range: minimum is above maximum");
		return -EINVAL;
	}
	c->sockets_changed = cfg->listen_port != old->listen_port ||
			     cfg->link != old->link ||
			     memcmp(&cfg->local, &old->local, sizeof(cfg->local));
	c->routes_changed = c->sockets_changed || cfg->fwmark != old->fwmark ||
			    cfg->tos != old->tos;
	return 0;
}

/*
 * Root in a container's user namespace may own a twill device (the host
 * moved it there) and edit its peers, but the sockets live in the
 * namespace that created the device: what acts there needs rights there.
 * Settings a request repeats unchanged need nothing.
 */
static int check_host_settings(struct commit *c)
{
	struct twill_config *old = twill_device_config(c->tdev), *cfg = c->cfg;
	const char *what = NULL;

	if (!cfg || (c->plan->rights & TWILL_RIGHT_HOST))
		return 0;
	if (cfg->listen_port != old->listen_port)
		what = "listen-port";
	else if (cfg->fwmark != old->fwmark)
		what = "fwmark";
	else if (cfg->link != old->link)
		what = "link";
	else if (memcmp(&cfg->local, &old->local, sizeof(cfg->local)))
		what = "local";
	else if (cfg->direct != old->direct)
		what = "direct";
	if (!what)
		return 0;
	NL_SET_ERR_MSG_FMT(c->extack,
			   "changing %s needs CAP_NET_ADMIN in the namespace that created the device",
			   what);
	return -EPERM;
}

/* Raising a limit past the default is for the host's administrator. */
static int check_limit(struct commit *c, const char *what, u32 want, u32 now,
		       u32 dflt)
{
	if (want <= now || want <= dflt || (c->plan->rights & TWILL_RIGHT_INIT))
		return 0;
	NL_SET_ERR_MSG_FMT(c->extack,
			   "raising %s above %u needs CAP_NET_ADMIN in the initial user namespace",
			   what, dflt);
	return -EPERM;
}

static int check_rights(struct commit *c)
{
	int ret;

	ret = check_limit(c, "max-peers", c->max_peers, c->tdev->max_peers,
			  TWILL_DEFAULT_MAX_PEERS);
	if (!ret)
		ret = check_limit(c, "max-prefixes", c->max_prefixes,
				  c->tdev->max_prefixes,
				  TWILL_DEFAULT_MAX_PREFIXES);
	if (!ret)
		ret = check_host_settings(c);
	return ret;
}

static int check_link(struct commit *c)
{
	struct net *net = c->tdev->creating_net;
	bool found;

	if (!c->cfg || !c->cfg->link)
		return 0;
	rcu_read_lock();
	found = net && dev_get_by_index_rcu(net, c->cfg->link);
	rcu_read_unlock();
	if (!found) {
		NL_SET_ERR_MSG(c->extack, "underlay link does not exist");
		return -ENODEV;
	}
	return 0;
}

/* Another peer of the request that will exist at @ppeer's address. */
static bool plan_clash(struct commit *c, struct twill_plan_peer *ppeer)
{
	struct twill_plan_peer *q;

	q = c->plan->peer_hash[endpoint_bucket(c->plan, &ppeer->ep)];
	for (; q; q = q->hnext) {
		if (q == ppeer || q->flags & TWILL_PEER_F_REMOVE ||
		    !twill_endpoint_same_address(&q->ep, &ppeer->ep))
			continue;
		if (q->peer || !(q->flags & TWILL_PEER_F_UPDATE_ONLY))
			return true;
	}
	return false;
}

/* A device has one peer per address: its port is not part of the match. */
static int create_peer(struct commit *c, struct twill_plan_peer *ppeer)
{
	struct twill_peer *clash = twill_peer_find_address(c->tdev, &ppeer->ep);

	if ((clash && peer_state(c, clash) != REMOVE) || plan_clash(c, ppeer)) {
		NL_SET_ERR_MSG_FMT(c->extack,
				   "address %pISc already belongs to another peer",
				   &ppeer->ep.addr);
		return -EEXIST;
	}
	ppeer->peer = twill_peer_create(c->tdev, &ppeer->ep);
	if (!ppeer->peer)
		return -ENOMEM;
	ppeer->created = true;
	return 0;
}

/* Existing peers the plan names; decides which peers go. */
static void resolve_existing(struct commit *c)
{
	struct twill_plan_peer *ppeer;

	list_for_each_entry(ppeer, &c->plan->peers, list) {
		cond_resched();
		ppeer->peer = twill_peer_find(c->tdev, &ppeer->ep);
		if (!ppeer->peer)
			continue;
		if (ppeer->flags & TWILL_PEER_F_REMOVE)
			mark_peer(c, ppeer->peer, REMOVE);
		else if (ppeer->flags & TWILL_PEER_F_REPLACE_PREFIXES)
			mark_peer(c, ppeer->peer, REPLACE);
		else
			mark_peer(c, ppeer->peer, KEEP);
	}
}

static int collect_removed(struct commit *c)
{
	bool replace = c->plan->dev_flags & TWILL_F_REPLACE_PEERS;
	struct twill_peer *peer;

	c->removed = kvcalloc(c->tdev->num_peers ?: 1, sizeof(*c->removed),
			      GFP_KERNEL_ACCOUNT);
	if (!c->removed)
		return -ENOMEM;
	list_for_each_entry(peer, &c->tdev->peer_list, list) {
		cond_resched();
		if (replace && peer->stage_mark != c->mark)
			mark_peer(c, peer, REMOVE);
		if (peer_state(c, peer) == REMOVE)
			c->removed[c->nremoved++] = twill_peer_get(peer);
	}
	return 0;
}

static bool ppeer_live(struct twill_plan_peer *ppeer)
{
	return ppeer->peer && !(ppeer->flags & TWILL_PEER_F_REMOVE);
}

/*
 * A direct peer's packets are sent raw on the underlay, in the namespace
 * that created the device: marking one (or unmarking it) needs rights
 * there, as the other underlay settings do.
 */
static int check_direct(struct commit *c)
{
	struct twill_plan_peer *ppeer;
	bool now;

	if (c->plan->rights & TWILL_RIGHT_HOST)
		return 0;
	list_for_each_entry(ppeer, &c->plan->peers, list) {
		cond_resched();
		if (!ppeer_live(ppeer) || ppeer->direct < 0)
			continue;
		/* A new peer starts indirect. */
		now = !ppeer->created && ppeer->peer->direct;
		if (ppeer->direct == now)
			continue;
		NL_SET_ERR_MSG_FMT(c->extack,
				   "changing direct of peer %pISpc needs CAP_NET_ADMIN in the namespace that created the device",
				   &ppeer->ep.addr);
		return -EPERM;
	}
	return 0;
}

static int check_peers(struct commit *c)
{
	struct twill_plan_peer *ppeer;
	u32 created = 0;
	int ret;

	resolve_existing(c);
	ret = collect_removed(c);
	if (ret)
		return ret;
	list_for_each_entry(ppeer, &c->plan->peers, list) {
		cond_resched();
		if (ppeer->peer ||
		    ppeer->flags & (TWILL_PEER_F_REMOVE |
				    TWILL_PEER_F_UPDATE_ONLY))
			continue;
		ret = create_peer(c, ppeer);
		if (ret)
			return ret;
		created++;
	}
	created += c->tdev->num_peers - c->nremoved;
	if (created > c->max_peers) {
		NL_SET_ERR_MSG_FMT(c->extack, "too many peers (limit %u)",
				   c->max_peers);
		return -ENOSPC;
	}
	c->peer_hash = twill_peer_hash_reserve(c->tdev, created);
	if (IS_ERR(c->peer_hash)) {
		ret = PTR_ERR(c->peer_hash);
		c->peer_hash = NULL;
	}
	return ret;
}

static u32 prefix_hash(int family, const void *addr, u8 cidr)
{
	return jhash(addr, family == AF_INET6 ? 16 : 4, family << 8 | cidr);
}

static bool same_prefix(const struct plan_prefix *p, int family,
			const void *addr, u8 cidr)
{
	return p->family == family && p->cidr == cidr &&
	       !memcmp(p->addr, addr, family == AF_INET6 ? 16 : 4);
}

/* The entry inserting @addr/@cidr, if any. */
static struct plan_prefix *find_insert(struct commit *c, int family,
				       const void *addr, u8 cidr)
{
	struct plan_prefix *p;

	p = c->set[prefix_hash(family, addr, cidr) & c->set_mask];
	for (; p; p = p->hnext)
		if (!p->remove && same_prefix(p, family, addr, cidr))
			return p;
	return NULL;
}

static void prefix_error(struct commit *c, const struct plan_prefix *p,
			 const char *why)
{
	if (p->family == AF_INET6)
		NL_SET_ERR_MSG_FMT(c->extack, "prefix %pI6c/%u %s", p->addr,
				   p->cidr, why);
	else
		NL_SET_ERR_MSG_FMT(c->extack, "prefix %pI4/%u %s", p->addr,
				   p->cidr, why);
}

static int prefix_conflict(struct commit *c, struct plan_prefix *p,
			   struct plan_prefix *q)
{
	if (q->ppeer == p->ppeer && q->remove == p->remove) {
		p->dup = true;
		return 0;
	}
	if (q->ppeer == p->ppeer) {
		prefix_error(c, p, "both added and removed for one peer");
		return -EINVAL;
	}
	if (!q->remove && !p->remove) {
		prefix_error(c, p, "given to two peers");
		return -EINVAL;
	}
	return 0;
}

static int add_to_set(struct commit *c, struct plan_prefix *p)
{
	struct plan_prefix **head, *q;
	int ret;

	head = &c->set[prefix_hash(p->family, p->addr, p->cidr) & c->set_mask];
	for (q = *head; q; q = q->hnext) {
		if (!same_prefix(q, p->family, p->addr, p->cidr))
			continue;
		ret = prefix_conflict(c, p, q);
		if (ret || p->dup)
			return ret;
	}
	p->hnext = *head;
	*head = p;
	return 0;
}

static int build_set(struct commit *c)
{
	struct prefix_iter it;
	struct plan_prefix *p;
	size_t buckets;
	int ret;

	buckets = roundup_pow_of_two(max_t(size_t, c->plan->nprefixes, 16));
	c->set = kvcalloc(buckets, sizeof(*c->set), GFP_KERNEL_ACCOUNT);
	if (!c->set)
		return -ENOMEM;
	c->set_mask = buckets - 1;
	for (p = prefix_first(c->plan, &it); p; p = prefix_next(&it)) {
		if (!ppeer_live(p->ppeer))
			continue;
		ret = add_to_set(c, p);
		if (ret)
			return ret;
	}
	return 0;
}

static void count_inserts(struct commit *c)
{
	struct twill_table *table = &c->tdev->table;
	struct prefix_iter it;
	struct twill_peer *owner;
	struct plan_prefix *p;

	for (p = prefix_first(c->plan, &it); p; p = prefix_next(&it)) {
		if (p->dup || p->remove || !ppeer_live(p->ppeer))
			continue;
		owner = twill_table_find(table, p->family, p->addr, p->cidr);
		if (owner == p->ppeer->peer) {
			p->noop = true;
			continue;
		}
		/* New prefixes and moves need nodes; reserve exactly those. */
		if (p->family == AF_INET6)
			c->ninserts6++;
		else
			c->ninserts4++;
		if (!owner)
			c->nnew++;
		else
			mark_changed(c, owner);
		if (!p->ppeer->created)
			mark_changed(c, p->ppeer->peer);
	}
}

static void record_gone(struct commit *c, struct twill_peer *owner,
			int family, const void *addr, u8 cidr)
{
	struct gone_prefix *g = &c->gone[c->ngone_list++];

	g->family = family;
	g->cidr = cidr;
	memcpy(g->addr, addr, family == AF_INET6 ? 16 : 4);
	c->ngone++;
	mark_changed(c, owner);
}

struct walk_arg {
	struct commit *c;
	struct twill_peer *peer;
	bool record;
};

/*
 * A prefix of a peer that is replacing its prefixes or going away: it stays
 * if the plan inserts it (for this peer, or moving it to another one),
 * otherwise it is gone.  A removed peer's prefixes go with the peer, so
 * they are only counted.
 */
static int walk_gone(void *ctx, int family, const void *addr, u8 cidr)
{
	struct walk_arg *arg = ctx;

	if (find_insert(arg->c, family, addr, cidr))
		return 0;
	if (arg->record)
		record_gone(arg->c, arg->peer, family, addr, cidr);
	else
		arg->c->ngone++;
	return 0;
}

static void walk_peer_gone(struct commit *c, struct twill_peer *peer,
			   bool record)
{
	struct walk_arg arg = { .c = c, .peer = peer, .record = record };
	struct twill_prefix_cursor cursor = {};

	twill_table_walk_peer(peer, &cursor, walk_gone, &arg);
}

static bool replacing(struct commit *c, struct twill_plan_peer *ppeer)
{
	return ppeer_live(ppeer) && !ppeer->created &&
	       peer_state(c, ppeer->peer) == REPLACE;
}

static bool explicit_removal(struct plan_prefix *p)
{
	return p->remove && !p->dup && ppeer_live(p->ppeer) &&
	       !p->ppeer->created;
}

static size_t gone_capacity(struct commit *c)
{
	struct twill_plan_peer *ppeer;
	struct prefix_iter it;
	struct plan_prefix *p;
	size_t cap = 0;

	list_for_each_entry(ppeer, &c->plan->peers, list)
		if (replacing(c, ppeer))
			cap += ppeer->peer->prefixes.count;
	for (p = prefix_first(c->plan, &it); p; p = prefix_next(&it))
		cap += explicit_removal(p);
	return cap;
}

/* A single prefix removal only applies to the peer that owns it. */
static void count_explicit(struct commit *c)
{
	struct twill_table *table = &c->tdev->table;
	struct prefix_iter it;
	struct twill_peer *owner;
	struct plan_prefix *p;

	for (p = prefix_first(c->plan, &it); p; p = prefix_next(&it)) {
		if (!explicit_removal(p))
			continue;
		owner = twill_table_find(table, p->family, p->addr, p->cidr);
		if (owner != p->ppeer->peer || peer_state(c, owner) != KEEP ||
		    find_insert(c, p->family, p->addr, p->cidr))
			continue;
		record_gone(c, owner, p->family, p->addr, p->cidr);
	}
}

static int check_prefixes(struct commit *c)
{
	struct twill_plan_peer *ppeer;
	size_t after;
	u32 i;
	int ret;

	ret = build_set(c);
	if (ret)
		return ret;
	count_inserts(c);
	c->gone_cap = gone_capacity(c);
	c->gone = kvmalloc_array(c->gone_cap ?: 1, sizeof(*c->gone),
				 GFP_KERNEL_ACCOUNT);
	if (!c->gone)
		return -ENOMEM;
	list_for_each_entry(ppeer, &c->plan->peers, list) {
		cond_resched();
		if (replacing(c, ppeer))
			walk_peer_gone(c, ppeer->peer, true);
	}
	for (i = 0; i < c->nremoved; i++)
		walk_peer_gone(c, c->removed[i], false);
	count_explicit(c);
	after = c->tdev->table.count + c->nnew - c->ngone;
	if (after > c->max_prefixes) {
		NL_SET_ERR_MSG_FMT(c->extack,
				   "too many prefixes: %zu (limit %u)", after,
				   c->max_prefixes);
		return -ENOSPC;
	}
	ret = twill_table_reserve_family(&c->tdev->table, AF_INET,
					 c->ninserts4);
	if (!ret)
		ret = twill_table_reserve_family(&c->tdev->table, AF_INET6,
						 c->ninserts6);
	return ret;
}

/* Hands the plan's NAT config to the commit, which applies or frees it. */
static int check_nat(struct commit *c)
{
	struct twill_plan *plan = c->plan;
	struct twill_nat_config *cfg = plan->nat;

	if (!plan->nat_set)
		return 0;
	plan->nat = NULL;
	plan->nat_set = false;
	return twill_nat_prepare(c->tdev, cfg, plan->rights, &c->nat,
				 c->extack);
}

/* The new service table, built now so that applying it cannot fail. */
static int check_services(struct commit *c)
{
	struct twill_plan *plan = c->plan;

	return twill_service_prepare(c->tdev, plan->services,
				     plan->dev_flags & TWILL_F_REPLACE_SERVICES,
				     plan->rights, &c->services, c->extack);
}

/*
 * The flow table and hooks serve NAT and services: made or dropped by a
 * commit that changes either (one that changes neither leaves them).
 */
static int check_flows(struct commit *c)
{
	if (!c->nat.active && !c->services.active)
		return 0;
	return twill_nat_prepare_instance(c->tdev, &c->nat,
					  twill_service_any(c->tdev,
							    &c->services),
					  c->extack);
}

static int switch_sockets(struct commit *c)
{
	int ret;

	if (!c->cfg || !c->routes_changed || !netif_running(c->tdev->dev))
		return 0;
	ret = twill_socket_set(c->tdev, c->cfg);
	if (ret)
		NL_SET_ERR_MSG_FMT(c->extack,
				   "cannot open UDP port %u: error %d",
				   c->cfg->listen_port, ret);
	return ret;
}

/* --- Phase 2: apply -------------------------------------------------- */

static void apply_config(struct commit *c)
{
	struct twill_device *tdev = c->tdev;
	struct twill_config *old;

	tdev->max_peers = c->max_peers;
	tdev->max_prefixes = c->max_prefixes;
	if (!c->cfg)
		return;
	old = twill_device_config(tdev);
	rcu_assign_pointer(tdev->config, c->cfg);
	kfree_rcu(old, rcu);
	c->cfg = NULL;
	if (c->routes_changed)
		twill_socket_reset_routes(tdev);
}

static void apply_peers(struct commit *c)
{
	struct twill_plan_peer *ppeer;
	struct twill_peer *peer;
	u8 mac[ETH_ALEN];

	if (c->peer_hash) {
		twill_peer_hash_grow(c->tdev, c->peer_hash);
		c->peer_hash = NULL;
	}
	list_for_each_entry(ppeer, &c->plan->peers, list) {
		cond_resched();
		if (!ppeer_live(ppeer))
			continue;
		peer = ppeer->peer;
		twill_peer_mac(peer, mac);
		if (ppeer->has_mac && !ether_addr_equal(mac, ppeer->mac)) {
			twill_peer_set_mac(peer, ppeer->mac);
			if (!ppeer->created)
				mark_changed(c, peer);
		}
		if (ppeer->direct >= 0 && ppeer->direct != peer->direct) {
			WRITE_ONCE(peer->direct, ppeer->direct);
			if (!ppeer->created)
				mark_changed(c, peer);
		}
		if (ppeer->created)
			twill_peer_publish(peer);
	}
}

static void apply_prefixes(struct commit *c)
{
	struct twill_table *table = &c->tdev->table;
	struct prefix_iter it;
	struct plan_prefix *p;
	size_t n;

	for (p = prefix_first(c->plan, &it); p; p = prefix_next(&it)) {
		if (p->dup || p->noop || p->remove || !ppeer_live(p->ppeer))
			continue;
		twill_table_insert(table, p->family, p->addr, p->cidr,
				   p->ppeer->peer);
	}
	for (n = 0; n < c->ngone_list; n++)
		twill_table_remove(table, c->gone[n].family, c->gone[n].addr,
				   c->gone[n].cidr);
	for (n = 0; n < c->nremoved; n++)
		twill_peer_remove(c->removed[n]);
}

static void apply(struct commit *c)
{
	apply_config(c);
	twill_nat_apply(c->tdev, &c->nat);
	twill_service_apply(c->tdev, c->plan->services, &c->services);
	apply_peers(c);
	apply_prefixes(c);
	c->tdev->generation++;
	twill_table_flush(&c->tdev->table);
}

static void send_events(struct commit *c)
{
	struct twill_device *tdev = c->tdev;
	struct twill_plan_peer *ppeer;
	struct twill_peer *peer;
	u32 i;

	if (c->plan->set.present || c->nat.active)
		twill_netlink_notify_device(tdev);
	if (c->services.applied)
		twill_netlink_notify_services(tdev);
	list_for_each_entry(ppeer, &c->plan->peers, list)
		if (ppeer->created)
			twill_netlink_notify_peer(tdev, ppeer->peer,
						  TWILL_CMD_PEER_ADDED);
	list_for_each_entry(peer, &tdev->peer_list, list) {
		cond_resched();
		if (peer->stage_mark == c->mark && peer->stage_changed)
			twill_netlink_notify_peer(tdev, peer,
						  TWILL_CMD_PEER_CHANGED);
	}
	for (i = 0; i < c->nremoved; i++)
		twill_netlink_notify_peer(tdev, c->removed[i],
					  TWILL_CMD_PEER_REMOVED);
}

static void commit_cleanup(struct commit *c, bool applied)
{
	struct twill_plan_peer *ppeer;
	u32 i;

	if (!applied) {
		list_for_each_entry(ppeer, &c->plan->peers, list)
			if (ppeer->created)
				twill_peer_put(ppeer->peer);
	}
	for (i = 0; i < c->nremoved; i++)
		twill_peer_put(c->removed[i]);
	twill_nat_abort(&c->nat);
	twill_service_abort(&c->services);
	twill_table_unreserve(&c->tdev->table);
	kvfree(c->removed);
	kvfree(c->set);
	kvfree(c->gone);
	kvfree(c->peer_hash);
	kfree(c->cfg);
}

int twill_plan_commit(struct twill_device *tdev, struct twill_plan *plan,
		      u32 rights, struct netlink_ext_ack *extack)
{
	struct commit c = { .tdev = tdev, .plan = plan, .extack = extack };
	int ret;

	lockdep_assert_held(&tdev->update_lock);
	plan->rights = rights;
	c.mark = ++tdev->commit_seq;
	ret = check_config(&c);
	if (!ret)
		ret = check_rights(&c);
	if (!ret)
		ret = check_link(&c);
	if (!ret)
		ret = check_peers(&c);
	if (!ret)
		ret = check_direct(&c);
	if (!ret)
		ret = check_prefixes(&c);
	if (!ret)
		ret = check_nat(&c);
	if (!ret)
		ret = check_services(&c);
	if (!ret)
		ret = check_flows(&c);
	if (!ret)
		ret = switch_sockets(&c);
	if (!ret) {
		apply(&c);
		if (c.services.purge)
			twill_nat_purge_services(c.tdev);
		send_events(&c);
	}
	commit_cleanup(&c, !ret);
	return ret;
}
