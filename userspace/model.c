// SPDX-License-Identifier: GPL-2.0
#include "model.h"
#include "parse.h"
#include "util.h"
#include "service.h"

#include <stdlib.h>
#include <string.h>

#define REF(peer, idx) (((uint64_t)(peer) << 32) | (uint32_t)(idx))
#define REF_PEER(r) ((size_t)((r) >> 32))
#define REF_IDX(r) ((size_t)((r) & 0xffffffffU))

size_t ep_key(const union tw_sockaddr *ep, uint8_t key[32])
{
	memset(key, 0, 32);
	key[0] = (uint8_t)ep->sa.sa_family;
	if (ep->sa.sa_family == AF_INET) {
		memcpy(key + 1, &ep->in.sin_port, 2);
		memcpy(key + 3, &ep->in.sin_addr, 4);
		return 7;
	}
	memcpy(key + 1, &ep->in6.sin6_port, 2);
	memcpy(key + 3, &ep->in6.sin6_addr, 16);
	memcpy(key + 19, &ep->in6.sin6_scope_id, 4);
	return 23;
}

bool ep_equal(const union tw_sockaddr *a, const union tw_sockaddr *b)
{
	uint8_t ka[32], kb[32];

	return ep_key(a, ka) == ep_key(b, kb) && !memcmp(ka, kb, sizeof(ka));
}

uint16_t ep_port(const union tw_sockaddr *ep)
{
	return ntohs(ep->sa.sa_family == AF_INET ? ep->in.sin_port :
		     ep->in6.sin6_port);
}

void ep_set_port(union tw_sockaddr *ep, uint16_t port)
{
	if (ep->sa.sa_family == AF_INET)
		ep->in.sin_port = htons(port);
	else
		ep->in6.sin6_port = htons(port);
}

static uint32_t ep_hash(const union tw_sockaddr *ep)
{
	uint8_t key[32];
	size_t len = ep_key(ep, key);

	return tw_hash_bytes(key, len, 0);
}

bool prefix_equal(const struct tw_prefix *a, const struct tw_prefix *b)
{
	return a->family == b->family && a->cidr == b->cidr &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

uint32_t prefix_hash(const struct tw_prefix *p)
{
	uint8_t key[18];

	key[0] = p->family;
	key[1] = p->cidr;
	memcpy(key + 2, p->addr, 16);
	return tw_hash_bytes(key, p->family == AF_INET ? 6 : 18, 1);
}

/* endpoint set: ref = peer index */
static bool ep_eq(const void *ctx, const void *key, uint32_t ref)
{
	const struct tw_device *dev = ctx;

	return ep_equal(key, &dev->peers[ref].ep);
}

static const struct tw_set_ops ep_ops = { ep_eq };

/* address set: ref = peer index; the port does not count */
static size_t addr_key(const union tw_sockaddr *ep, uint8_t key[17])
{
	key[0] = (uint8_t)ep->sa.sa_family;
	if (ep->sa.sa_family == AF_INET) {
		memcpy(key + 1, &ep->in.sin_addr, 4);
		return 5;
	}
	memcpy(key + 1, &ep->in6.sin6_addr, 16);
	return 17;
}

static bool addr_eq(const void *ctx, const void *key, uint32_t ref)
{
	const struct tw_device *dev = ctx;
	uint8_t ka[17], kb[17];
	size_t la = addr_key(key, ka);

	return la == addr_key(&dev->peers[ref].ep, kb) && !memcmp(ka, kb, la);
}

static const struct tw_set_ops addr_ops = { addr_eq };

static uint32_t addr_hash(const union tw_sockaddr *ep)
{
	uint8_t key[17];

	return tw_hash_bytes(key, addr_key(ep, key), 2);
}

/* prefix sets: ref = flat prefix id */
static const struct tw_prefix *flat_prefix(const struct tw_device *dev,
					   uint32_t id)
{
	uint64_t r = dev->pref[id];

	return &dev->peers[REF_PEER(r)].pfx[REF_IDX(r)];
}

static size_t flat_peer(const struct tw_device *dev, uint32_t id)
{
	return REF_PEER(dev->pref[id]);
}

static bool add_eq(const void *ctx, const void *key, uint32_t ref)
{
	return prefix_equal(key, flat_prefix(ctx, ref));
}

static const struct tw_set_ops add_ops = { add_eq };

/* removals: the peer is part of the key */
struct rm_key {
	const struct tw_prefix *p;
	size_t peer;
};

static uint32_t rm_hash(const struct tw_prefix *p, size_t peer)
{
	return prefix_hash(p) ^ (uint32_t)(peer * 0x9e3779b1U);
}

static bool rm_eq(const void *ctx, const void *key, uint32_t ref)
{
	const struct rm_key *k = key;

	return k->peer == flat_peer(ctx, ref) &&
	       prefix_equal(k->p, flat_prefix(ctx, ref));
}

static const struct tw_set_ops rm_ops = { rm_eq };

static uint32_t flat_add(struct tw_device *dev, size_t peer, size_t idx)
{
	tw_grow((void **)&dev->pref, &dev->cappref, dev->npref + 1,
		sizeof(*dev->pref));
	dev->pref[dev->npref] = REF(peer, idx);
	return (uint32_t)dev->npref++;
}

void dev_init(struct tw_device *dev)
{
	memset(dev, 0, sizeof(*dev));
	tw_set_init(&dev->ep_set, &ep_ops, dev);
	tw_set_init(&dev->addr_set, &addr_ops, dev);
	tw_set_init(&dev->add_set, &add_ops, dev);
	tw_set_init(&dev->rm_set, &rm_ops, dev);
}

void dev_free(struct tw_device *dev)
{
	size_t i;

	for (i = 0; i < dev->npeers; i++)
		free(dev->peers[i].pfx);
	free(dev->peers);
	for (i = 0; i < dev->nsvcs; i++)
		service_free(&dev->svcs[i]);
	free(dev->svcs);
	tw_set_free(&dev->ep_set);
	tw_set_free(&dev->addr_set);
	tw_set_free(&dev->add_set);
	tw_set_free(&dev->rm_set);
	free(dev->pref);
	dev_init(dev);
}

struct tw_peer *dev_find_peer(const struct tw_device *dev,
			      const union tw_sockaddr *ep)
{
	uint32_t ref = tw_set_find(&dev->ep_set, ep, ep_hash(ep));

	return ref == TW_SET_NONE ? NULL : &dev->peers[ref];
}

struct tw_peer *dev_new_peer(struct tw_device *dev)
{
	struct tw_peer *peer;

	tw_grow((void **)&dev->peers, &dev->cap, dev->npeers + 1,
		sizeof(*dev->peers));
	peer = &dev->peers[dev->npeers++];
	memset(peer, 0, sizeof(*peer));
	return peer;
}

static void index_peer(struct tw_device *dev, struct tw_peer *peer,
		       const union tw_sockaddr *ep)
{
	peer->ep = *ep;
	tw_set_add(&dev->ep_set, (uint32_t)(peer - dev->peers), ep_hash(ep));
}

static int dup_peer(const struct tw_peer *old, const union tw_sockaddr *ep)
{
	char buf[TW_EP_STRLEN];

	if (old->line)
		return tw_err("duplicate peer %s (first at line %u)",
			      fmt_endpoint(ep, buf), old->line);
	return tw_err("duplicate peer %s", fmt_endpoint(ep, buf));
}

int dev_set_endpoint(struct tw_device *dev, struct tw_peer *peer,
		     const union tw_sockaddr *ep)
{
	const struct tw_peer *old = dev_find_peer(dev, ep);

	if (old)
		return dup_peer(old, ep);
	index_peer(dev, peer, ep);
	return 0;
}

int dev_claim_address(struct tw_device *dev, const struct tw_peer *peer,
		      const char *token)
{
	uint32_t h = addr_hash(&peer->ep);
	uint32_t ref = tw_set_find(&dev->addr_set, &peer->ep, h);
	const struct tw_peer *old;
	char buf[TW_EP_STRLEN];

	if (ref == TW_SET_NONE) {
		tw_set_add(&dev->addr_set, (uint32_t)(peer - dev->peers), h);
		return 0;
	}
	old = &dev->peers[ref];
	if (old->line)
		return tw_err("peer %s: address already used by the peer on line %u",
			      token, old->line);
	return tw_err("peer %s: address already used by peer %s", token,
		      fmt_endpoint(&old->ep, buf));
}

static struct tw_peer *append_peer(struct tw_device *dev,
				   const union tw_sockaddr *ep)
{
	struct tw_peer *peer = dev_new_peer(dev);

	index_peer(dev, peer, ep);
	return peer;
}

struct tw_peer *dev_add_peer(struct tw_device *dev,
			     const union tw_sockaddr *ep)
{
	const struct tw_peer *old = dev_find_peer(dev, ep);

	if (old) {
		(void)dup_peer(old, ep);
		return NULL;
	}
	return append_peer(dev, ep);
}

struct tw_peer *dev_get_peer(struct tw_device *dev,
			     const union tw_sockaddr *ep)
{
	struct tw_peer *peer = dev_find_peer(dev, ep);

	return peer ? peer : append_peer(dev, ep);
}

void peer_push_prefix(struct tw_peer *peer, const struct tw_prefix *p)
{
	tw_grow((void **)&peer->pfx, &peer->cap, peer->npfx + 1,
		sizeof(*peer->pfx));
	peer->pfx[peer->npfx++] = *p;
}

static int dup_error(const struct tw_prefix *p, const struct tw_prefix *old,
		     const char *what)
{
	char buf[TW_PREFIX_STRLEN];

	fmt_prefix(p, buf);
	if (old->line)
		return tw_err("duplicate prefix %s (%s at line %u)", buf, what,
			      old->line);
	return tw_err("duplicate prefix %s (%s)", buf, what);
}

static int check_add(const struct tw_device *dev, size_t pi,
		     const struct tw_prefix *p)
{
	struct rm_key rk = { p, pi };
	uint32_t ref = tw_set_find(&dev->add_set, p, prefix_hash(p));

	if (ref != TW_SET_NONE)
		return dup_error(p, flat_prefix(dev, ref),
				 flat_peer(dev, ref) == pi ? "listed twice" :
				 "also on another peer");
	ref = tw_set_find(&dev->rm_set, &rk, rm_hash(p, pi));
	if (ref != TW_SET_NONE)
		return dup_error(p, flat_prefix(dev, ref),
				 "both added and removed");
	return 0;
}

static int check_remove(const struct tw_device *dev, size_t pi,
			const struct tw_prefix *p)
{
	struct rm_key rk = { p, pi };
	uint32_t ref = tw_set_find(&dev->rm_set, &rk, rm_hash(p, pi));

	if (ref != TW_SET_NONE)
		return dup_error(p, flat_prefix(dev, ref), "listed twice");
	ref = tw_set_find(&dev->add_set, p, prefix_hash(p));
	if (ref != TW_SET_NONE && flat_peer(dev, ref) == pi)
		return dup_error(p, flat_prefix(dev, ref),
				 "both added and removed");
	return 0;
}

int dev_add_prefix(struct tw_device *dev, struct tw_peer *peer,
		   const struct tw_prefix *p)
{
	size_t pi = (size_t)(peer - dev->peers);
	uint32_t id;

	if (p->remove ? check_remove(dev, pi, p) : check_add(dev, pi, p))
		return -1;
	peer_push_prefix(peer, p);
	id = flat_add(dev, pi, peer->npfx - 1);
	if (p->remove)
		tw_set_add(&dev->rm_set, id, rm_hash(p, pi));
	else
		tw_set_add(&dev->add_set, id, prefix_hash(p));
	return 0;
}

void dev_index_prefixes(struct tw_device *dev)
{
	size_t i, k;
	uint32_t h;

	tw_set_free(&dev->add_set);
	dev->npref = 0;
	for (i = 0; i < dev->npeers; i++) {
		for (k = 0; k < dev->peers[i].npfx; k++) {
			const struct tw_prefix *p = &dev->peers[i].pfx[k];

			h = prefix_hash(p);
			if (tw_set_find(&dev->add_set, p, h) == TW_SET_NONE)
				tw_set_add(&dev->add_set, flat_add(dev, i, k), h);
		}
	}
}

bool dev_find_prefix(const struct tw_device *dev, const struct tw_prefix *p,
		     size_t *peer, size_t *idx)
{
	uint32_t ref = tw_set_find(&dev->add_set, p, prefix_hash(p));

	if (ref == TW_SET_NONE)
		return false;
	*peer = REF_PEER(dev->pref[ref]);
	*idx = REF_IDX(dev->pref[ref]);
	return true;
}

size_t peer_total_prefixes(const struct tw_device *dev)
{
	size_t i, n = 0;

	for (i = 0; i < dev->npeers; i++)
		n += dev->peers[i].npfx;
	return n;
}

int prefix_cmp(const void *a, const void *b)
{
	const struct tw_prefix *x = a, *y = b;
	int c;

	if (x->family != y->family)
		return x->family == AF_INET ? -1 : 1;
	c = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (c)
		return c;
	return (int)x->cidr - (int)y->cidr;
}

void dev_sort_prefixes(struct tw_device *dev)
{
	size_t i;

	for (i = 0; i < dev->npeers; i++)
		qsort(dev->peers[i].pfx, dev->peers[i].npfx,
		      sizeof(struct tw_prefix), prefix_cmp);
}
