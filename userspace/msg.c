// SPDX-License-Identifier: GPL-2.0
#include "msg.h"
#include "nat.h"
#include "service.h"
#include "settings.h"
#include "util.h"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <stdlib.h>
#include <string.h>

/* ---- building ---- */

struct builder {
	const struct tw_device *dev;
	struct tw_build *b;
	struct tw_batch *out;
	struct nlmsghdr *nlh;
	uint32_t *flags;	/* TWILL_A_FLAGS of the current message */
	struct nlattr *peers, *peer, *pfxs;
	size_t max;
};

static size_t attr_size(size_t payload)
{
	return MNL_ATTR_HDRLEN + MNL_ALIGN(payload);
}

size_t msg_prefix_size(const struct tw_prefix *p)
{
	return attr_size(0) + attr_size(2) +
	       attr_size(p->family == AF_INET ? 4 : 16) + attr_size(1) +
	       (p->remove ? attr_size(4) : 0);
}

static size_t ep_len(const union tw_sockaddr *ep)
{
	return ep->sa.sa_family == AF_INET ? sizeof(ep->in) : sizeof(ep->in6);
}

/* A peer's head: nest, endpoint, flags, mac, direct, prefixes nest. */
static size_t peer_head_size(void)
{
	return attr_size(0) + attr_size(sizeof(struct sockaddr_in6)) +
	       attr_size(4) + attr_size(TW_MAC_LEN) + attr_size(1) +
	       attr_size(0);
}

static size_t room(const struct builder *w)
{
	return w->max - w->nlh->nlmsg_len;
}

static struct nlmsghdr *put_genl(void *buf, uint16_t family, uint32_t seq,
				 uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = TWILL_GENL_VERSION;
	return nlh;
}

static void put_ifid(struct nlmsghdr *nlh, const struct tw_device *dev)
{
	if (dev->ifindex)
		mnl_attr_put_u32(nlh, TWILL_A_IFINDEX, dev->ifindex);
	else
		mnl_attr_put_strz(nlh, TWILL_A_IFNAME, dev->ifname);
}

/* The writable settings present in dev; never a read-only attribute. */
static void put_settings(struct nlmsghdr *nlh, const struct tw_device *d)
{
	const struct tw_setting *s;

	tw_for_each_setting(s)
		if (TW_HAS(d, s->field))
			setting_put(s, nlh, d);
	if (TW_HAS(d, TW_NAT))
		nat_put(nlh, &d->nat);
}

static void start_msg(struct builder *w)
{
	struct tw_batch *out = w->out;
	struct tw_msg *m;
	struct nlattr *fl;
	bool first = out->n == 0;

	tw_grow((void **)&out->msgs, &out->cap, out->n + 1, sizeof(*out->msgs));
	m = &out->msgs[out->n++];
	m->buf = tw_calloc(1, w->max);
	w->nlh = put_genl(m->buf, w->b->family, w->b->seq++,
			  TWILL_CMD_SET_DEVICE, NLM_F_ACK);
	put_ifid(w->nlh, w->dev);
	fl = mnl_nlmsg_get_payload_tail(w->nlh);
	mnl_attr_put_u32(w->nlh, TWILL_A_FLAGS, first ? w->dev->flags &
			 (TWILL_F_REPLACE_PEERS | TWILL_F_REPLACE_SERVICES) :
			 0);
	w->flags = mnl_attr_get_payload(fl);
	if (first)
		put_settings(w->nlh, w->dev);
	w->peers = NULL;
}

static void end_msg(struct builder *w, bool last)
{
	if (w->peers)
		mnl_attr_nest_end(w->nlh, w->peers);
	if (!last)
		*w->flags |= TWILL_F_STAGE;
	w->out->msgs[w->out->n - 1].len = w->nlh->nlmsg_len;
}

static void open_peer(struct builder *w, const struct tw_peer *p, bool cont)
{
	uint32_t flags = p->flags;

	if (!w->peers)
		w->peers = mnl_attr_nest_start(w->nlh, TWILL_A_PEERS);
	w->peer = mnl_attr_nest_start(w->nlh, 0);
	mnl_attr_put(w->nlh, TWILL_PEER_A_ENDPOINT, ep_len(&p->ep), &p->ep);
	if (p->mode == TW_PFX_REPLACE && !cont)
		flags |= TWILL_PEER_F_REPLACE_PREFIXES;
	mnl_attr_put_u32(w->nlh, TWILL_PEER_A_FLAGS, flags);
	if (p->has_mac && !cont)
		mnl_attr_put(w->nlh, TWILL_PEER_A_MAC, TW_MAC_LEN, p->mac);
	if (p->has_direct && !cont)
		mnl_attr_put_u8(w->nlh, TWILL_PEER_A_DIRECT, p->direct);
	w->pfxs = NULL;
	if (p->mode != TW_PFX_NONE && !(p->flags & TWILL_PEER_F_REMOVE))
		w->pfxs = mnl_attr_nest_start(w->nlh, TWILL_PEER_A_PREFIXES);
}

static void close_peer(struct builder *w)
{
	if (w->pfxs)
		mnl_attr_nest_end(w->nlh, w->pfxs);
	mnl_attr_nest_end(w->nlh, w->peer);
}

void msg_put_prefix(struct nlmsghdr *nlh, const struct tw_prefix *p)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, 0);

	mnl_attr_put_u16(nlh, TWILL_PREFIX_A_FAMILY, p->family);
	mnl_attr_put(nlh, TWILL_PREFIX_A_ADDR, p->family == AF_INET ? 4 : 16,
		     p->addr);
	mnl_attr_put_u8(nlh, TWILL_PREFIX_A_CIDR, p->cidr);
	if (p->remove)
		mnl_attr_put_u32(nlh, TWILL_PREFIX_A_FLAGS,
				 TWILL_PREFIX_F_REMOVE);
	mnl_attr_nest_end(nlh, n);
}

static void next_msg(struct builder *w)
{
	end_msg(w, false);
	start_msg(w);
}

static void build_peer(struct builder *w, const struct tw_peer *p)
{
	size_t i;

	if (room(w) < peer_head_size() + attr_size(0) + 64)
		next_msg(w);
	open_peer(w, p, false);
	for (i = 0; w->pfxs && i < p->npfx; i++) {
		if (room(w) < msg_prefix_size(&p->pfx[i])) {
			close_peer(w);
			next_msg(w);
			open_peer(w, p, true);
		}
		msg_put_prefix(w->nlh, &p->pfx[i]);
	}
	close_peer(w);
}

void build_set(const struct tw_device *dev, struct tw_build *b,
	       struct tw_batch *out)
{
	struct builder w = { .dev = dev, .b = b, .out = out };
	size_t i;

	w.max = b->max_len ? b->max_len : TW_MSG_MAX;
	/* the NAT nest cannot be split: the first message holds it whole */
	if (TW_HAS(dev, TW_NAT) && w.max < nat_put_size(&dev->nat) + 1024)
		w.max = nat_put_size(&dev->nat) + 1024;
	memset(out, 0, sizeof(*out));
	start_msg(&w);
	for (i = 0; i < dev->npeers; i++)
		build_peer(&w, &dev->peers[i]);
	end_msg(&w, true);
}

void build_set_all(const struct tw_device *dev, struct tw_build *b,
		   struct tw_batch *out)
{
	struct tw_batch svcs;
	struct nlmsghdr *last;
	struct nlattr *a;
	size_t i;

	build_set(dev, b, out);
	if (!dev->has_services)
		return;
	/* the services follow in the same transaction and commit it */
	last = (struct nlmsghdr *)out->msgs[out->n - 1].buf;
	mnl_attr_for_each(a, last, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == TWILL_A_FLAGS)
			*(uint32_t *)mnl_attr_get_payload(a) |= TWILL_F_STAGE;
	build_set_services(dev, dev->svcs, dev->nsvcs, false, b, &svcs);
	for (i = 0; i < svcs.n; i++) {
		tw_grow((void **)&out->msgs, &out->cap, out->n + 1,
			sizeof(*out->msgs));
		out->msgs[out->n++] = svcs.msgs[i];
	}
	free(svcs.msgs);
}

void batch_free(struct tw_batch *batch)
{
	size_t i;

	for (i = 0; i < batch->n; i++)
		free(batch->msgs[i].buf);
	free(batch->msgs);
	memset(batch, 0, sizeof(*batch));
}

size_t build_dump(void *buf, uint16_t family, uint32_t seq, uint8_t cmd,
		  const struct tw_device *dev)
{
	struct nlmsghdr *nlh = put_genl(buf, family, seq, cmd, NLM_F_DUMP);

	put_ifid(nlh, dev);
	return nlh->nlmsg_len;
}

/* A message about one service: its key alone (a filter) or all of it. */
static size_t one_service(void *buf, uint16_t family, uint32_t seq,
			  uint8_t cmd, uint16_t flags,
			  const struct tw_device *dev,
			  const struct tw_service *svc, bool key_only)
{
	struct nlmsghdr *nlh = put_genl(buf, family, seq, cmd, flags);
	struct nlattr *list;

	put_ifid(nlh, dev);
	list = mnl_attr_nest_start(nlh, TWILL_A_SERVICES);
	if (key_only)
		service_put_key(nlh, svc);
	else
		service_put(nlh, svc);
	mnl_attr_nest_end(nlh, list);
	return nlh->nlmsg_len;
}

size_t build_dump_service(void *buf, uint16_t family, uint32_t seq,
			  const struct tw_device *dev,
			  const struct tw_service *key)
{
	return one_service(buf, family, seq, TWILL_CMD_GET_SERVICES,
			   NLM_F_DUMP, dev, key, true);
}

size_t build_lookup(void *buf, uint16_t family, uint32_t seq,
		    const struct tw_device *dev, const struct tw_addr *addr)
{
	struct nlmsghdr *nlh = put_genl(buf, family, seq, TWILL_CMD_LOOKUP,
					NLM_F_ACK);

	put_ifid(nlh, dev);
	mnl_attr_put(nlh, TWILL_A_LOOKUP_ADDR,
		     addr->family == AF_INET ? 4 : 16, addr->addr);
	return nlh->nlmsg_len;
}

size_t build_set_service_size(const struct tw_service *svc)
{
	return 512 + svc->nbackends * 64;
}

size_t build_set_service(void *buf, uint16_t family, uint32_t seq,
			 const struct tw_device *dev,
			 const struct tw_service *svc)
{
	return one_service(buf, family, seq, TWILL_CMD_SET_SERVICES,
			   NLM_F_ACK, dev, svc, false);
}

/* A SET_SERVICES message of `len` bytes with its flags attribute. */
static struct nlmsghdr *services_msg(const struct tw_device *dev,
				     struct tw_build *b, struct tw_batch *out,
				     size_t len, uint32_t flags,
				     uint32_t **flagp)
{
	struct tw_msg *m;
	struct nlattr *fl;
	struct nlmsghdr *nlh;

	tw_grow((void **)&out->msgs, &out->cap, out->n + 1, sizeof(*out->msgs));
	m = &out->msgs[out->n++];
	m->buf = tw_calloc(1, len);
	nlh = put_genl(m->buf, b->family, b->seq++, TWILL_CMD_SET_SERVICES,
		       NLM_F_ACK);
	put_ifid(nlh, dev);
	fl = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put_u32(nlh, TWILL_A_FLAGS, flags);
	*flagp = mnl_attr_get_payload(fl);
	return nlh;
}

void build_set_services(const struct tw_device *dev,
			const struct tw_service *svcs, size_t n, bool replace,
			struct tw_build *b, struct tw_batch *out)
{
	size_t max = b->max_len ? b->max_len : TW_MSG_MAX, i = 0, k, len, need;
	struct nlmsghdr *nlh;
	struct nlattr *list;
	uint32_t *flags;

	memset(out, 0, sizeof(*out));
	do {
		/* the first service always goes in, alone if it must */
		len = max;
		if (i < n && build_set_service_size(&svcs[i]) > len)
			len = build_set_service_size(&svcs[i]);
		nlh = services_msg(dev, b, out, len,
				   !out->n && replace ?
				   TWILL_F_REPLACE_SERVICES : 0, &flags);
		list = mnl_attr_nest_start(nlh, TWILL_A_SERVICES);
		for (k = 0; i < n; i++, k++) {
			need = build_set_service_size(&svcs[i]) - 256;
			if (k && nlh->nlmsg_len + need > len)
				break;
			service_put(nlh, &svcs[i]);
		}
		mnl_attr_nest_end(nlh, list);
		if (i < n)
			*flags |= TWILL_F_STAGE;
		out->msgs[out->n - 1].len = nlh->nlmsg_len;
	} while (i < n);
}

size_t build_service_config(void *buf, uint16_t family, uint32_t seq,
			    const struct tw_device *dev,
			    const struct tw_service_config *c)
{
	struct nlmsghdr *nlh = put_genl(buf, family, seq,
					TWILL_CMD_SET_SERVICES, NLM_F_ACK);

	put_ifid(nlh, dev);
	if (c->max_services)
		mnl_attr_put_u32(nlh, TWILL_A_MAX_SERVICES, c->max_services);
	if (c->max_backends)
		mnl_attr_put_u32(nlh, TWILL_A_MAX_BACKENDS, c->max_backends);
	if (c->maglev_size)
		mnl_attr_put_u32(nlh, TWILL_A_MAGLEV_SIZE, c->maglev_size);
	return nlh->nlmsg_len;
}

/* ---- parsing ---- */

static int copy_bin(const struct nlattr *a, void *dst, size_t len)
{
	if (mnl_attr_get_payload_len(a) != len)
		return -1;
	memcpy(dst, mnl_attr_get_payload(a), len);
	return 0;
}

int msg_parse_u64s(const struct nlattr *nest, uint64_t *v, size_t n)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		uint16_t t = mnl_attr_get_type(a);

		if (!t)
			continue;	/* padding */
		if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
			return -1;
		if (t < n)
			v[t] = mnl_attr_get_u64(a);
	}
	return 0;
}

static int parse_drops(const struct nlattr *nest, uint64_t *drops)
{
	return msg_parse_u64s(nest, drops, __TWILL_DROP_MAX);
}

int msg_parse_prefix(const struct nlattr *nest, struct tw_prefix *p)
{
	const struct nlattr *a;
	size_t alen = 0;

	memset(p, 0, sizeof(*p));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case TWILL_PREFIX_A_FAMILY:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return -1;
			p->family = (uint8_t)mnl_attr_get_u16(a);
			break;
		case TWILL_PREFIX_A_ADDR:
			alen = mnl_attr_get_payload_len(a);
			if (alen != 4 && alen != 16)
				return -1;
			memcpy(p->addr, mnl_attr_get_payload(a), alen);
			break;
		case TWILL_PREFIX_A_CIDR:
			if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
				return -1;
			p->cidr = mnl_attr_get_u8(a);
			break;
		default:
			break;
		}
	}
	if (!p->family)
		p->family = alen == 4 ? AF_INET : AF_INET6;
	if ((p->family == AF_INET && (alen != 4 || p->cidr > 32)) ||
	    (p->family == AF_INET6 && (alen != 16 || p->cidr > 128)))
		return -1;
	return 0;
}

static int parse_endpoint_attr(const struct nlattr *a, union tw_sockaddr *ep)
{
	size_t len = mnl_attr_get_payload_len(a);
	const struct sockaddr *sa = mnl_attr_get_payload(a);

	memset(ep, 0, sizeof(*ep));
	if (len == sizeof(ep->in) && sa->sa_family == AF_INET)
		memcpy(&ep->in, sa, len);
	else if (len == sizeof(ep->in6) && sa->sa_family == AF_INET6)
		memcpy(&ep->in6, sa, len);
	else
		return -1;
	/* compare only what identifies the peer */
	if (ep->sa.sa_family == AF_INET)
		memset(ep->in.sin_zero, 0, sizeof(ep->in.sin_zero));
	else
		ep->in6.sin6_flowinfo = 0;
	return 0;
}

static const struct nlattr *find_nested(const struct nlattr *nest,
					uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static int get_u64(const struct nlattr *a, uint64_t *v)
{
	if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
		return -1;
	*v = mnl_attr_get_u64(a);
	return 0;
}

static int peer_attr(const struct nlattr *a, struct tw_peer *peer,
		     uint32_t *flags)
{
	struct tw_prefix p;
	const struct nlattr *x;

	switch (mnl_attr_get_type(a)) {
	case TWILL_PEER_A_FLAGS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return -1;
		*flags = mnl_attr_get_u32(a);
		return 0;
	case TWILL_PEER_A_MAC:
		peer->has_mac = true;
		return copy_bin(a, peer->mac, TW_MAC_LEN);
	case TWILL_PEER_A_DIRECT:
		if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
			return -1;
		peer->has_direct = true;
		peer->direct = mnl_attr_get_u8(a) != 0;
		return 0;
	case TWILL_PEER_A_PREFIXES:
		mnl_attr_for_each_nested(x, a) {
			if (msg_parse_prefix(x, &p))
				return -1;
			peer_push_prefix(peer, &p);
		}
		return 0;
	case TWILL_PEER_A_RX_PACKETS:
		return get_u64(a, &peer->rx_packets);
	case TWILL_PEER_A_RX_BYTES:
		return get_u64(a, &peer->rx_bytes);
	case TWILL_PEER_A_TX_PACKETS:
		return get_u64(a, &peer->tx_packets);
	case TWILL_PEER_A_TX_BYTES:
		return get_u64(a, &peer->tx_bytes);
	case TWILL_PEER_A_LAST_RX:
		return get_u64(a, &peer->last_rx_ns);
	case TWILL_PEER_A_DROPS:
		return parse_drops(a, peer->drops);
	case TWILL_PEER_A_NUM_PREFIXES:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return -1;
		peer->num_prefixes = mnl_attr_get_u32(a);
		return 0;
	default:
		return 0;
	}
}

static int parse_peer(const struct nlattr *nest, struct tw_device *dev,
		      uint32_t *flags)
{
	const struct nlattr *a = find_nested(nest, TWILL_PEER_A_ENDPOINT);
	union tw_sockaddr ep;
	struct tw_peer *peer;

	if (!a || parse_endpoint_attr(a, &ep))
		return -1;
	/* a continuation merges into the entry with the same endpoint */
	peer = dev_get_peer(dev, &ep);
	mnl_attr_for_each_nested(a, nest) {
		if (peer_attr(a, peer, flags))
			return -1;
	}
	return 0;
}

static int get_u32(const struct nlattr *a, uint32_t *v)
{
	if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return -1;
	*v = mnl_attr_get_u32(a);
	return 0;
}

static int get_ifname(const struct nlattr *a, char *name)
{
	const char *s = mnl_attr_get_str(a);
	size_t len = strnlen(s, mnl_attr_get_payload_len(a));

	if (len >= IFNAMSIZ)
		return -1;
	memcpy(name, s, len);
	name[len] = '\0';
	return 0;
}

/* Returns the field the attribute set, TW_NFIELDS if none, -1 on error. */
static int device_attr(const struct nlattr *a, struct tw_device *d)
{
	const struct tw_setting *s;

	switch (mnl_attr_get_type(a)) {
	case TWILL_A_IFINDEX:
		return get_u32(a, &d->ifindex) ? -1 : TW_NFIELDS;
	case TWILL_A_IFNAME:
		return get_ifname(a, d->ifname) ? -1 : TW_NFIELDS;
	case TWILL_A_NUM_PEERS:
		return get_u32(a, &d->num_peers) ? -1 : TW_NUM_PEERS;
	case TWILL_A_NUM_PREFIXES:
		return get_u32(a, &d->num_prefixes) ? -1 : TW_NUM_PREFIXES;
	case TWILL_A_GENERATION:
		return get_u32(a, &d->generation) ? -1 : TW_GENERATION;
	case TWILL_A_DROPS:
		return parse_drops(a, d->drops) ? -1 : TW_DROPS;
	case TWILL_A_NAT:
		return nat_parse_attr(a, &d->nat) ? -1 : TW_NAT;
	default:
		s = setting_by_attr(mnl_attr_get_type(a));
		if (!s)
			return TW_NFIELDS;
		return setting_get(s, a, d) ? -1 : (int)s->field;
	}
}

int parse_device_msg(const struct nlmsghdr *nlh, struct tw_device *dev,
		     uint32_t *peer_flags)
{
	const struct nlattr *a, *p;
	uint32_t flags = 0;
	int field;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct genlmsghdr))
		return tw_err("malformed reply from the kernel");
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == TWILL_A_PEERS) {
			mnl_attr_for_each_nested(p, a) {
				if (parse_peer(p, dev, &flags))
					return tw_err("malformed peer in reply from the kernel");
			}
			continue;
		}
		field = device_attr(a, dev);
		if (field < 0)
			return tw_err("malformed attribute %u in reply from the kernel",
				      mnl_attr_get_type(a));
		if (field < TW_NFIELDS)
			dev->mask |= TW_BIT(field);
	}
	if (peer_flags)
		*peer_flags = flags;
	return 0;
}
