// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink: parsing requests into plans (commit.c applies them),
 * dumping the device and its table, lookups, and notifications.  Every
 * handler takes the device's update_lock; dumps re-take it per message and
 * detect changes in between through tdev->generation.
 */

#include <linux/etherdevice.h>
#include <linux/if.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "commit.h"
#include "device.h"
#include "nat.h"
#include "netlink.h"
#include "peer.h"
#include "service.h"
#include "table.h"

static struct genl_family genl_family;

static struct netlink_range_validation vni_range = {
	.max = TWILL_VNI_MAX,
};

static struct netlink_range_validation max_peers_range = {
	.min = 1, .max = 1U << 20,
};

static struct netlink_range_validation max_prefixes_range = {
	.min = 1, .max = 1U << 26,
};

static const struct nla_policy prefix_policy[TWILL_PREFIX_A_MAX + 1] = {
	[TWILL_PREFIX_A_FAMILY]	= { .type = NLA_U16 },
	[TWILL_PREFIX_A_ADDR]	= NLA_POLICY_MIN_LEN(sizeof(struct in_addr)),
	[TWILL_PREFIX_A_CIDR]	= { .type = NLA_U8 },
	[TWILL_PREFIX_A_FLAGS]	= { .type = NLA_U32 },
};

static const struct nla_policy peer_policy[TWILL_PEER_A_MAX + 1] = {
	[TWILL_PEER_A_ENDPOINT]	= NLA_POLICY_MIN_LEN(sizeof(struct sockaddr_in)),
	[TWILL_PEER_A_FLAGS]	= { .type = NLA_U32 },
	[TWILL_PEER_A_MAC]	= NLA_POLICY_EXACT_LEN(ETH_ALEN),
	[TWILL_PEER_A_PREFIXES]	= NLA_POLICY_NESTED_ARRAY(prefix_policy),
	[TWILL_PEER_A_DIRECT]	= NLA_POLICY_MAX(NLA_U8, 1),
};

static const struct nla_policy set_policy[TWILL_A_MAX + 1] = {
	[TWILL_A_IFINDEX]	= { .type = NLA_U32 },
	[TWILL_A_IFNAME]	= { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[TWILL_A_FLAGS]		= { .type = NLA_U32 },
	[TWILL_A_LISTEN_PORT]	= NLA_POLICY_MIN(NLA_U16, 1),
	[TWILL_A_VNI]		= NLA_POLICY_FULL_RANGE(NLA_U32, &vni_range),
	[TWILL_A_FWMARK]	= { .type = NLA_U32 },
	[TWILL_A_LOCAL]		= { .type = NLA_BINARY,
				    .len = sizeof(struct in6_addr) },
	[TWILL_A_LINK]		= { .type = NLA_U32 },
	[TWILL_A_MAC]		= NLA_POLICY_EXACT_LEN(ETH_ALEN),
	[TWILL_A_PORT_MIN]	= NLA_POLICY_MIN(NLA_U16, 1),
	[TWILL_A_PORT_MAX]	= NLA_POLICY_MIN(NLA_U16, 1),
	[TWILL_A_TTL]		= { .type = NLA_U8 },
	[TWILL_A_TOS]		= { .type = NLA_U8 },
	[TWILL_A_DF]		= NLA_POLICY_MAX(NLA_U8, TWILL_DF_MAX),
	[TWILL_A_UDP_CSUM]	= NLA_POLICY_MAX(NLA_U8, 1),
	[TWILL_A_DIRECT]	= NLA_POLICY_MAX(NLA_U8, TWILL_DIRECT_MAX),
	[TWILL_A_MAX_PEERS]	= NLA_POLICY_FULL_RANGE(NLA_U32, &max_peers_range),
	[TWILL_A_MAX_PREFIXES]	= NLA_POLICY_FULL_RANGE(NLA_U32,
						&max_prefixes_range),
	[TWILL_A_PEERS]		= NLA_POLICY_NESTED_ARRAY(peer_policy),
	[TWILL_A_LINK_NAME]	= { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	/* Parsed strictly by nat.c. */
	[TWILL_A_NAT]		= { .type = NLA_NESTED },
};

static struct netlink_range_validation max_services_range = {
	.min = 1, .max = 1U << 20,
};

static struct netlink_range_validation max_backends_range = {
	.min = 1, .max = 1U << 24,
};

/* Primes only: service.c says so with a message of its own. */
static struct netlink_range_validation maglev_size_range = {
	.min = TWILL_MAGLEV_MIN_SIZE, .max = TWILL_MAGLEV_MAX_SIZE,
};

static const struct nla_policy set_services_policy[TWILL_A_MAX + 1] = {
	[TWILL_A_IFINDEX]	= { .type = NLA_U32 },
	[TWILL_A_IFNAME]	= { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[TWILL_A_FLAGS]		= { .type = NLA_U32 },
	/* Parsed strictly by service.c. */
	[TWILL_A_SERVICES]	= { .type = NLA_NESTED },
	[TWILL_A_MAX_SERVICES]	= NLA_POLICY_FULL_RANGE(NLA_U32,
						&max_services_range),
	[TWILL_A_MAX_BACKENDS]	= NLA_POLICY_FULL_RANGE(NLA_U32,
						&max_backends_range),
	[TWILL_A_MAGLEV_SIZE]	= NLA_POLICY_FULL_RANGE(NLA_U32,
						&maglev_size_range),
};

static const struct nla_policy get_policy[TWILL_A_MAX + 1] = {
	[TWILL_A_IFINDEX]	= { .type = NLA_U32 },
	[TWILL_A_IFNAME]	= { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
};

static const struct nla_policy get_services_policy[TWILL_A_MAX + 1] = {
	[TWILL_A_IFINDEX]	= { .type = NLA_U32 },
	[TWILL_A_IFNAME]	= { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	/* The filter: one service's key, parsed strictly by service.c. */
	[TWILL_A_SERVICES]	= { .type = NLA_NESTED },
};

static const struct nla_policy lookup_policy[TWILL_A_MAX + 1] = {
	[TWILL_A_IFINDEX]	= { .type = NLA_U32 },
	[TWILL_A_IFNAME]	= { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[TWILL_A_LOOKUP_ADDR]	= NLA_POLICY_MIN_LEN(sizeof(struct in_addr)),
};

/* The device a request names, with a reference; NULL and extack if none. */
static struct twill_device *lookup_device(struct net *net,
					  struct nlattr **attrs,
					  struct netlink_ext_ack *extack)
{
	struct twill_device *tdev;
	int ifindex = 0;

	if (attrs[TWILL_A_IFINDEX])
		ifindex = nla_get_u32(attrs[TWILL_A_IFINDEX]);
	if (!ifindex && !attrs[TWILL_A_IFNAME]) {
		NL_SET_ERR_MSG(extack, "no device given (ifindex or ifname)");
		return ERR_PTR(-EINVAL);
	}
	tdev = twill_device_lookup(net, ifindex,
				   ifindex ? NULL : nla_data(attrs[TWILL_A_IFNAME]));
	if (!tdev) {
		NL_SET_ERR_MSG(extack, "no such device");
		return ERR_PTR(-ENODEV);
	}
	if (IS_ERR(tdev))
		NL_SET_ERR_MSG(extack, "not a twill device");
	return tdev;
}

static int put_drops(struct sk_buff *skb, int type, const u64 *drops)
{
	struct nlattr *nest = nla_nest_start(skb, type);
	int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = TWILL_DROP_UNSPEC + 1; i <= TWILL_DROP_MAX; i++) {
		/* Pad with attribute 0, which is not a drop reason. */
		if (nla_put_u64_64bit(skb, i, drops[i], 0))
			return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int put_local(struct sk_buff *skb, const union twill_endpoint *local)
{
	if (local->addr.sa_family == AF_INET)
		return nla_put_in_addr(skb, TWILL_A_LOCAL,
				       local->addr4.sin_addr.s_addr);
	if (local->addr.sa_family == AF_INET6)
		return nla_put_in6_addr(skb, TWILL_A_LOCAL,
					&local->addr6.sin6_addr);
	return 0;
}

/* The name of the underlay link in the creating namespace, if it exists. */
static int put_link_name(struct sk_buff *skb, struct twill_device *tdev,
			 int ifindex)
{
	struct net_device *link;
	char name[IFNAMSIZ];

	if (!ifindex || !tdev->creating_net)
		return 0;
	rcu_read_lock();
	link = dev_get_by_index_rcu(tdev->creating_net, ifindex);
	if (link)
		strscpy(name, link->name, sizeof(name));
	rcu_read_unlock();
	return link ? nla_put_string(skb, TWILL_A_LINK_NAME, name) : 0;
}

static int put_config(struct sk_buff *skb, const struct twill_config *cfg)
{
	if (nla_put_u16(skb, TWILL_A_LISTEN_PORT, cfg->listen_port) ||
	    nla_put_u32(skb, TWILL_A_VNI, cfg->vni) ||
	    nla_put_u32(skb, TWILL_A_FWMARK, cfg->fwmark) ||
	    nla_put_u32(skb, TWILL_A_LINK, cfg->link) ||
	    nla_put(skb, TWILL_A_MAC, ETH_ALEN, cfg->mac) ||
	    nla_put_u16(skb, TWILL_A_PORT_MIN, cfg->port_min) ||
	    nla_put_u16(skb, TWILL_A_PORT_MAX, cfg->port_max) ||
	    nla_put_u8(skb, TWILL_A_TTL, cfg->ttl) ||
	    nla_put_u8(skb, TWILL_A_TOS, cfg->tos) ||
	    nla_put_u8(skb, TWILL_A_DF, cfg->df) ||
	    nla_put_u8(skb, TWILL_A_UDP_CSUM, cfg->udp_csum) ||
	    nla_put_u8(skb, TWILL_A_DIRECT, cfg->direct))
		return -EMSGSIZE;
	return put_local(skb, &cfg->local);
}

static int put_dev_attrs(struct sk_buff *skb, struct twill_device *tdev)
{
	struct twill_config *cfg = twill_device_config(tdev);
	u64 drops[__TWILL_DROP_MAX];

	lockdep_assert_held(&tdev->update_lock);
	if (nla_put_u32(skb, TWILL_A_IFINDEX, tdev->dev->ifindex) ||
	    nla_put_string(skb, TWILL_A_IFNAME, tdev->dev->name) ||
	    nla_put_u32(skb, TWILL_A_GENERATION, tdev->generation) ||
	    nla_put_u32(skb, TWILL_A_MAX_PEERS, tdev->max_peers) ||
	    nla_put_u32(skb, TWILL_A_MAX_PREFIXES, tdev->max_prefixes) ||
	    nla_put_u32(skb, TWILL_A_NUM_PEERS, tdev->num_peers) ||
	    nla_put_u32(skb, TWILL_A_NUM_PREFIXES, tdev->table.count) ||
	    put_config(skb, cfg) || put_link_name(skb, tdev, cfg->link) ||
	    twill_nat_put(skb, tdev))
		return -EMSGSIZE;
	twill_drops_read(tdev->drops, drops);
	return put_drops(skb, TWILL_A_DROPS, drops);
}

static int put_endpoint(struct sk_buff *skb, const union twill_endpoint *ep)
{
	size_t len = ep->addr.sa_family == AF_INET6 ?
		     sizeof(ep->addr6) : sizeof(ep->addr4);

	return nla_put(skb, TWILL_PEER_A_ENDPOINT, len, ep);
}

static int put_peer_stats(struct sk_buff *skb, struct twill_peer *peer)
{
	u64 drops[__TWILL_DROP_MAX];
	struct twill_peer_stats s;

	twill_peer_read_stats(peer, &s, drops);
	if (nla_put_u64_64bit(skb, TWILL_PEER_A_RX_PACKETS,
			      u64_stats_read(&s.rx_packets), TWILL_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, TWILL_PEER_A_RX_BYTES,
			      u64_stats_read(&s.rx_bytes), TWILL_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, TWILL_PEER_A_TX_PACKETS,
			      u64_stats_read(&s.tx_packets), TWILL_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, TWILL_PEER_A_TX_BYTES,
			      u64_stats_read(&s.tx_bytes), TWILL_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, TWILL_PEER_A_LAST_RX,
			      READ_ONCE(peer->last_rx_ns), TWILL_PEER_A_PAD))
		return -EMSGSIZE;
	return put_drops(skb, TWILL_PEER_A_DROPS, drops);
}

static int put_prefix(struct sk_buff *skb, int family, const void *addr,
		      u8 cidr)
{
	size_t len = family == AF_INET6 ? sizeof(struct in6_addr) :
					  sizeof(struct in_addr);
	struct nlattr *nest = nla_nest_start(skb, 0);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u16(skb, TWILL_PREFIX_A_FAMILY, family) ||
	    nla_put(skb, TWILL_PREFIX_A_ADDR, len, addr) ||
	    nla_put_u8(skb, TWILL_PREFIX_A_CIDR, cidr)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int walk_put_prefix(void *ctx, int family, const void *addr, u8 cidr)
{
	return put_prefix(ctx, family, addr, cidr);
}

/* Events keep room for the TRUNCATED flag and the closing nests. */
static int walk_put_event_prefix(void *ctx, int family, const void *addr,
				 u8 cidr)
{
	struct sk_buff *skb = ctx;

	if (skb_tailroom(skb) < 2 * nla_total_size(sizeof(u32)))
		return -EMSGSIZE;
	return put_prefix(skb, family, addr, cidr);
}

/*
 * The peer's fixed attributes, without prefixes.  @with_stats is false for
 * notifications, which describe configuration only.
 */
static int put_peer_head(struct sk_buff *skb, struct twill_peer *peer,
			 bool with_stats)
{
	u8 mac[ETH_ALEN];

	lockdep_assert_held(&peer->tdev->update_lock);
	twill_peer_mac(peer, mac);
	if (put_endpoint(skb, &peer->endpoint) ||
	    nla_put(skb, TWILL_PEER_A_MAC, ETH_ALEN, mac) ||
	    nla_put_u8(skb, TWILL_PEER_A_DIRECT, READ_ONCE(peer->direct)) ||
	    nla_put_u32(skb, TWILL_PEER_A_NUM_PREFIXES, peer->prefixes.count))
		return -EMSGSIZE;
	return with_stats ? put_peer_stats(skb, peer) : 0;
}

/* --- GET ------------------------------------------------------------- */

struct dump_ctx {
	struct twill_device *tdev;
	struct twill_peer *next_peer;	/* with a reference */
	struct twill_prefix_cursor cursor;
	u32 generation;
	bool done;
};

static struct dump_ctx *dump_ctx(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct dump_ctx) > sizeof(cb->ctx));
	return (struct dump_ctx *)cb->ctx;
}

static int get_start(struct netlink_callback *cb)
{
	struct dump_ctx *ctx = dump_ctx(cb);
	struct twill_device *tdev;

	tdev = lookup_device(sock_net(cb->skb->sk),
			     twill_compat_dump_attrs(cb), cb->extack);
	if (IS_ERR(tdev))
		return PTR_ERR(tdev);
	memset(ctx, 0, sizeof(*ctx));
	ctx->tdev = tdev;
	return 0;
}

/*
 * Puts one peer with as many prefixes as fit.  Returns 0 when the peer is
 * complete, -EMSGSIZE when it must continue in the next message (the cursor
 * says where), or -ENOBUFS when not even its head fitted.
 */
static int dump_peer(struct sk_buff *skb, struct dump_ctx *ctx,
		     struct twill_peer *peer)
{
	struct nlattr *peer_nest, *prefixes;
	int ret;

	peer_nest = nla_nest_start(skb, 0);
	if (!peer_nest)
		return -ENOBUFS;
	if (put_peer_head(skb, peer, true))
		goto cancel;
	prefixes = nla_nest_start(skb, TWILL_PEER_A_PREFIXES);
	if (!prefixes)
		goto cancel;
	ret = twill_table_walk_peer(peer, &ctx->cursor, walk_put_prefix, skb);
	nla_nest_end(skb, prefixes);
	nla_nest_end(skb, peer_nest);
	return ret ? -EMSGSIZE : 0;

cancel:
	nla_nest_cancel(skb, peer_nest);
	return -ENOBUFS;
}

static struct twill_peer *first_peer(struct dump_ctx *ctx)
{
	struct twill_device *tdev = ctx->tdev;
	struct twill_peer *peer = ctx->next_peer;

	if (!peer)
		return list_first_entry_or_null(&tdev->peer_list,
						struct twill_peer, list);
	/* A commit in between invalidated the cursor: the dump is INTR. */
	if (peer->dead || ctx->generation != tdev->generation)
		return NULL;
	return peer;
}

static void set_next_peer(struct dump_ctx *ctx, struct twill_peer *peer)
{
	if (peer)
		twill_peer_get(peer);
	twill_peer_put(ctx->next_peer);
	ctx->next_peer = peer;
}

static int dump_peers(struct sk_buff *skb, struct dump_ctx *ctx)
{
	struct twill_device *tdev = ctx->tdev;
	struct twill_peer *peer = first_peer(ctx);
	struct nlattr *peers;
	int ret = 0;

	peers = nla_nest_start(skb, TWILL_A_PEERS);
	if (!peers)
		return -EMSGSIZE;
	for (; peer; peer = list_next_entry(peer, list)) {
		if (list_entry_is_head(peer, &tdev->peer_list, list)) {
			peer = NULL;
			break;
		}
		ret = dump_peer(skb, ctx, peer);
		if (ret)
			break;
		memset(&ctx->cursor, 0, sizeof(ctx->cursor));
	}
	nla_nest_end(skb, peers);
	set_next_peer(ctx, peer);
	ctx->generation = tdev->generation;
	if (!peer)
		ctx->done = true;
	return ret == -ENOBUFS && !nla_len(peers) ? -EMSGSIZE : 0;
}

static int get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct dump_ctx *ctx = dump_ctx(cb);
	struct twill_device *tdev = ctx->tdev;
	void *hdr;
	int ret;

	if (ctx->done)
		return 0;
	mutex_lock(&tdev->update_lock);
	cb->seq = tdev->generation;
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &genl_family, NLM_F_MULTI, TWILL_CMD_GET_DEVICE);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto out;
	}
	genl_dump_check_consistent(cb, hdr);
	ret = put_dev_attrs(skb, tdev);
	if (!ret)
		ret = dump_peers(skb, ctx);
	if (ret) {
		genlmsg_cancel(skb, hdr);
		goto out;
	}
	genlmsg_end(skb, hdr);
	ret = skb->len;
out:
	mutex_unlock(&tdev->update_lock);
	return ret;
}

static int get_done(struct netlink_callback *cb)
{
	struct dump_ctx *ctx = dump_ctx(cb);

	if (ctx->tdev) {
		twill_peer_put(ctx->next_peer);
		dev_put(ctx->tdev->dev);
	}
	return 0;
}

/* --- SET ------------------------------------------------------------- */

static int parse_endpoint(const struct nlattr *attr, union twill_endpoint *ep,
			  struct netlink_ext_ack *extack)
{
	const struct sockaddr *sa = nla_data(attr);
	size_t len = nla_len(attr);

	memset(ep, 0, sizeof(*ep));
	if (sa->sa_family == AF_INET && len == sizeof(struct sockaddr_in)) {
		ep->addr4.sin_family = AF_INET;
		ep->addr4.sin_port = ((const struct sockaddr_in *)sa)->sin_port;
		ep->addr4.sin_addr = ((const struct sockaddr_in *)sa)->sin_addr;
		if (ipv4_is_multicast(ep->addr4.sin_addr.s_addr) ||
		    ipv4_is_zeronet(ep->addr4.sin_addr.s_addr))
			goto bad_addr;
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len == sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		ep->addr6.sin6_family = AF_INET6;
		ep->addr6.sin6_port = sin6->sin6_port;
		ep->addr6.sin6_addr = sin6->sin6_addr;
		if (ipv6_addr_any(&sin6->sin6_addr) ||
		    ipv6_addr_is_multicast(&sin6->sin6_addr))
			goto bad_addr;
		/* A scope id would be an ifindex of another namespace. */
		if (ipv6_addr_type(&sin6->sin6_addr) & IPV6_ADDR_LINKLOCAL) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "link-local endpoints are not supported");
			return -EINVAL;
		}
		return 0;
	}
	NL_SET_ERR_MSG_ATTR(extack, attr,
			    "endpoint must be a sockaddr_in or sockaddr_in6");
	return -EINVAL;

bad_addr:
	NL_SET_ERR_MSG_ATTR(extack, attr,
			    "endpoint must be a unicast address");
	return -EINVAL;
}

static bool host_bits_clear(int family, const u8 *addr, u8 cidr)
{
	int bytes = family == AF_INET6 ? 16 : 4;
	int i;

	for (i = cidr / 8; i < bytes; i++) {
		u8 mask = i == cidr / 8 ? 0xff >> (cidr % 8) : 0xff;

		if (addr[i] & mask)
			return false;
	}
	return true;
}

static int parse_prefix(struct twill_plan *plan, struct twill_plan_peer *ppeer,
			const struct nlattr *attr,
			struct netlink_ext_ack *extack)
{
	struct nlattr *tb[TWILL_PREFIX_A_MAX + 1];
	u32 flags = 0;
	int family, ret;
	u8 cidr;

	ret = nla_parse_nested(tb, TWILL_PREFIX_A_MAX, attr, prefix_policy,
			       extack);
	if (ret)
		return ret;
	if (!tb[TWILL_PREFIX_A_FAMILY] || !tb[TWILL_PREFIX_A_ADDR] ||
	    !tb[TWILL_PREFIX_A_CIDR]) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "prefix needs family, address and length");
		return -EINVAL;
	}
	if (tb[TWILL_PREFIX_A_FLAGS])
		flags = nla_get_u32(tb[TWILL_PREFIX_A_FLAGS]);
	if (flags & ~__TWILL_PREFIX_F_ALL) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TWILL_PREFIX_A_FLAGS],
				    "unknown prefix flags");
		return -EOPNOTSUPP;
	}
	family = nla_get_u16(tb[TWILL_PREFIX_A_FAMILY]);
	cidr = nla_get_u8(tb[TWILL_PREFIX_A_CIDR]);
	if (!((family == AF_INET && cidr <= 32 &&
	       nla_len(tb[TWILL_PREFIX_A_ADDR]) == sizeof(struct in_addr)) ||
	      (family == AF_INET6 && cidr <= 128 &&
	       nla_len(tb[TWILL_PREFIX_A_ADDR]) == sizeof(struct in6_addr)))) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "prefix family, address size and length disagree");
		return -EINVAL;
	}
	if (!host_bits_clear(family, nla_data(tb[TWILL_PREFIX_A_ADDR]), cidr)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TWILL_PREFIX_A_ADDR],
				    "prefix has host bits set");
		return -EINVAL;
	}
	ret = twill_plan_prefix(plan, ppeer, family,
				nla_data(tb[TWILL_PREFIX_A_ADDR]), cidr,
				flags & TWILL_PREFIX_F_REMOVE);
	if (ret == -ENOSPC)
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "transaction has more prefixes than the device allows");
	else if (ret)
		NL_SET_ERR_MSG_ATTR(extack, attr, "out of memory");
	return ret;
}

static int parse_peer(struct twill_device *tdev, struct twill_plan *plan,
		      const struct nlattr *attr,
		      struct netlink_ext_ack *extack)
{
	struct nlattr *tb[TWILL_PEER_A_MAX + 1], *pos;
	struct twill_plan_peer *ppeer;
	union twill_endpoint ep;
	const u8 *mac = NULL;
	int direct = -1;
	u32 flags = 0;
	int ret, rem;

	ret = nla_parse_nested(tb, TWILL_PEER_A_MAX, attr, peer_policy, extack);
	if (ret)
		return ret;
	if (!tb[TWILL_PEER_A_ENDPOINT]) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "peer needs an endpoint");
		return -EINVAL;
	}
	ret = parse_endpoint(tb[TWILL_PEER_A_ENDPOINT], &ep, extack);
	if (ret)
		return ret;
	if (tb[TWILL_PEER_A_FLAGS])
		flags = nla_get_u32(tb[TWILL_PEER_A_FLAGS]);
	if (flags & ~__TWILL_PEER_F_ALL) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TWILL_PEER_A_FLAGS],
				    "unknown peer flags");
		return -EOPNOTSUPP;
	}
	if (tb[TWILL_PEER_A_MAC]) {
		mac = nla_data(tb[TWILL_PEER_A_MAC]);
		if (!is_zero_ether_addr(mac) && !is_valid_ether_addr(mac)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[TWILL_PEER_A_MAC],
					    "peer MAC must be unicast");
			return -EINVAL;
		}
	}
	/* Port 0 means the device's listen port, as this request leaves it. */
	if (!ep.addr4.sin_port)
		ep.addr4.sin_port = htons(twill_plan_listen_port(plan, tdev));
	if (tb[TWILL_PEER_A_DIRECT])
		direct = nla_get_u8(tb[TWILL_PEER_A_DIRECT]);
	ppeer = twill_plan_peer(plan, &ep, flags, mac, direct);
	if (PTR_ERR_OR_ZERO(ppeer) == -ENOSPC)
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "transaction has more peers than the device allows");
	if (IS_ERR(ppeer))
		return PTR_ERR(ppeer);
	if (!tb[TWILL_PEER_A_PREFIXES])
		return 0;
	nla_for_each_nested(pos, tb[TWILL_PEER_A_PREFIXES], rem) {
		ret = parse_prefix(plan, ppeer, pos, extack);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_local(const struct nlattr *attr, union twill_endpoint *local,
		       struct netlink_ext_ack *extack)
{
	memset(local, 0, sizeof(*local));
	switch (nla_len(attr)) {
	case 0:
		return 0;
	case sizeof(struct in_addr):
		local->addr4.sin_family = AF_INET;
		local->addr4.sin_addr.s_addr = nla_get_in_addr(attr);
		return 0;
	case sizeof(struct in6_addr):
		local->addr6.sin6_family = AF_INET6;
		local->addr6.sin6_addr = nla_get_in6_addr(attr);
		return 0;
	}
	NL_SET_ERR_MSG_ATTR(extack, attr, "local address must be 0, 4 or 16 bytes");
	return -EINVAL;
}

/* Integer settings; the policy has checked each one's type and range. */
static const u8 scalar_attrs[] = {
	TWILL_A_LISTEN_PORT, TWILL_A_VNI, TWILL_A_FWMARK, TWILL_A_LINK,
	TWILL_A_PORT_MIN, TWILL_A_PORT_MAX, TWILL_A_TTL, TWILL_A_TOS,
	TWILL_A_DF, TWILL_A_UDP_CSUM, TWILL_A_MAX_PEERS, TWILL_A_MAX_PREFIXES,
	TWILL_A_DIRECT,
};

static u32 get_scalar(const struct nlattr *attr)
{
	switch (nla_len(attr)) {
	case sizeof(u8):
		return nla_get_u8(attr);
	case sizeof(u16):
		return nla_get_u16(attr);
	default:
		return nla_get_u32(attr);
	}
}

static void parse_scalars(struct nlattr **attrs, struct twill_settings *s)
{
	int i, attr;

	for (i = 0; i < ARRAY_SIZE(scalar_attrs); i++) {
		attr = scalar_attrs[i];
		if (!attrs[attr])
			continue;
		s->val[attr] = get_scalar(attrs[attr]);
		s->present |= BIT_ULL(attr);
	}
}

/*
 * The underlay link by name, looked up where the sockets live.  Whether a
 * name exists there is the creating namespace's business: a caller without
 * rights there learns nothing from the error.
 */
static int parse_link_name(struct twill_device *tdev, const struct nlattr *attr,
			   u32 rights, struct twill_settings *s,
			   struct netlink_ext_ack *extack)
{
	struct net_device *link = NULL;

	rcu_read_lock();
	if (tdev->creating_net)
		link = dev_get_by_name_rcu(tdev->creating_net, nla_data(attr));
	if (link)
		s->val[TWILL_A_LINK] = link->ifindex;
	rcu_read_unlock();
	if (link) {
		s->present |= BIT_ULL(TWILL_A_LINK);
		return 0;
	}
	if (!(rights & TWILL_RIGHT_HOST)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "changing link needs CAP_NET_ADMIN in the namespace that created the device");
		return -EPERM;
	}
	NL_SET_ERR_MSG_ATTR(extack, attr,
			    "no such underlay interface in the namespace that created the device");
	return -ENODEV;
}

static int parse_settings(struct twill_device *tdev, struct twill_plan *plan,
			  struct nlattr **attrs, u32 rights,
			  struct netlink_ext_ack *extack)
{
	struct twill_settings s = {};
	int ret;

	parse_scalars(attrs, &s);
	if (attrs[TWILL_A_LINK_NAME]) {
		ret = parse_link_name(tdev, attrs[TWILL_A_LINK_NAME], rights, &s,
				      extack);
		if (ret)
			return ret;
	}
	if (attrs[TWILL_A_MAC]) {
		memcpy(s.mac, nla_data(attrs[TWILL_A_MAC]), ETH_ALEN);
		if (!is_valid_ether_addr(s.mac)) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[TWILL_A_MAC],
					    "device MAC must be unicast and non-zero");
			return -EINVAL;
		}
		s.present |= BIT_ULL(TWILL_A_MAC);
	}
	if (attrs[TWILL_A_LOCAL]) {
		ret = parse_local(attrs[TWILL_A_LOCAL], &s.local, extack);
		if (ret)
			return ret;
		s.present |= BIT_ULL(TWILL_A_LOCAL);
	}
	twill_plan_settings(plan, &s);
	return 0;
}

static int parse_nat(struct twill_plan *plan, const struct nlattr *attr,
		     struct netlink_ext_ack *extack)
{
	struct twill_nat_config *cfg = twill_nat_parse(attr, extack);

	if (IS_ERR(cfg))
		return PTR_ERR(cfg);
	twill_plan_nat(plan, cfg);
	return 0;
}

static int parse_flags(struct nlattr **attrs, bool first, u32 *flags,
		       struct netlink_ext_ack *extack)
{
	*flags = 0;
	if (attrs[TWILL_A_FLAGS])
		*flags = nla_get_u32(attrs[TWILL_A_FLAGS]);
	if (*flags & ~__TWILL_F_ALL) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[TWILL_A_FLAGS],
				    "unknown device flags");
		return -EOPNOTSUPP;
	}
	if (!first && (*flags & TWILL_F_REPLACE_PEERS)) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[TWILL_A_FLAGS],
				    "replace-peers must be in the first message of a transaction");
		return -EINVAL;
	}
	if (!first && (*flags & TWILL_F_REPLACE_SERVICES)) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[TWILL_A_FLAGS],
				    "replace-services must be in the first message of a transaction");
		return -EINVAL;
	}
	return 0;
}

/*
 * One message of a transaction: SET_DEVICE (settings, NAT, peers) or
 * SET_SERVICES; a transaction may mix them.
 */
static int parse_message(struct twill_device *tdev, struct twill_plan *plan,
			 u8 cmd, struct nlattr **attrs, bool first, u32 rights,
			 u32 *flags, struct netlink_ext_ack *extack)
{
	struct nlattr *pos;
	int ret, rem;

	ret = parse_flags(attrs, first, flags, extack);
	if (ret)
		return ret;
	if (first)
		twill_plan_set_flags(plan, *flags & (TWILL_F_REPLACE_PEERS |
						     TWILL_F_REPLACE_SERVICES));
	if (cmd == TWILL_CMD_SET_SERVICES)
		return twill_service_parse(tdev, twill_plan_services(plan),
					   attrs, extack);
	ret = parse_settings(tdev, plan, attrs, rights, extack);
	if (!ret && attrs[TWILL_A_NAT])
		ret = parse_nat(plan, attrs[TWILL_A_NAT], extack);
	if (ret || !attrs[TWILL_A_PEERS])
		return ret;
	nla_for_each_nested(pos, attrs[TWILL_A_PEERS], rem) {
		ret = parse_peer(tdev, plan, pos, extack);
		if (ret)
			return ret;
	}
	return 0;
}

void twill_netlink_stage_free(struct twill_device *tdev)
{
	lockdep_assert_held(&tdev->update_lock);
	twill_plan_free(tdev->stage);
	tdev->stage = NULL;
}

/*
 * An abandoned stage: its owner said nothing for TWILL_STAGE_TIMEOUT.  The
 * work is re-armed by every staged message, so it may run late for a stage
 * that was extended meanwhile: the plan's deadline decides.
 */
void twill_netlink_stage_expire(struct work_struct *work)
{
	struct twill_device *tdev = container_of(to_delayed_work(work),
						 struct twill_device,
						 stage_expiry);

	mutex_lock(&tdev->update_lock);
	if (tdev->stage && twill_plan_expired(tdev->stage))
		twill_netlink_stage_free(tdev);
	mutex_unlock(&tdev->update_lock);
}

/*
 * The plan this message adds to: the socket's staged one, or a new one.
 * A stage is keyed on the socket itself (held by the plan), not on its
 * port id, which a new socket may take over once the old one is closed;
 * a stage whose socket is closed or that expired no longer blocks anyone.
 */
static struct twill_plan *plan_for(struct twill_device *tdev,
				   struct sk_buff *skb, struct genl_info *info)
{
	struct sock *sk = NETLINK_CB(skb).sk;
	struct twill_plan *plan = tdev->stage;

	if (plan && (twill_plan_abandoned(plan) || twill_plan_expired(plan)))
		twill_netlink_stage_free(tdev);
	else if (plan && !twill_plan_owned_by(plan, sk))
		goto busy;
	else if (plan)
		return plan;
	plan = twill_plan_new(tdev, sk);
	return plan ?: ERR_PTR(-ENOMEM);

busy:
	NL_SET_ERR_MSG(info->extack,
		       "another client's transaction is in progress on this device");
	return ERR_PTR(-EBUSY);
}

/* What the sender may change besides the device's own peers. */
static u32 caller_rights(struct twill_device *tdev, struct sk_buff *skb)
{
	struct net *net = tdev->creating_net;
	u32 rights = 0;

	lockdep_assert_held(&tdev->update_lock);
	/* Non-NULL under update_lock: its pre_exit has not run yet. */
	if (net && netlink_ns_capable(skb, net->user_ns, CAP_NET_ADMIN))
		rights |= TWILL_RIGHT_HOST;
	if (netlink_capable(skb, CAP_NET_ADMIN))
		rights |= TWILL_RIGHT_INIT;
	return rights;
}

/*
 * Parses one message into the device's stage.  Returns 1 when the stage
 * is complete and must be committed, 0 when more messages follow, or an
 * error (the stage is then dropped).
 */
static int set_parse(struct twill_device *tdev, struct sk_buff *skb,
		     struct genl_info *info)
{
	struct twill_plan *plan;
	bool first;
	u32 flags;
	int ret;

	if (tdev->dead) {
		NL_SET_ERR_MSG(info->extack, "device is being removed");
		return -ENODEV;
	}
	plan = plan_for(tdev, skb, info);
	if (IS_ERR(plan))
		return PTR_ERR(plan);
	first = plan != tdev->stage;
	tdev->stage = plan;
	ret = parse_message(tdev, plan, info->genlhdr->cmd, info->attrs, first,
			    caller_rights(tdev, skb), &flags, info->extack);
	if (ret) {
		twill_netlink_stage_free(tdev);
		return ret;
	}
	if (!(flags & TWILL_F_STAGE))
		return 1;
	twill_plan_touch(plan);
	mod_delayed_work(system_wq, &tdev->stage_expiry, TWILL_STAGE_TIMEOUT);
	return 0;
}

static int set_commit(struct twill_device *tdev, struct sk_buff *skb,
		      struct genl_info *info)
{
	int ret;

	ret = twill_plan_commit(tdev, tdev->stage, caller_rights(tdev, skb),
				info->extack);
	twill_netlink_stage_free(tdev);
	return ret;
}

/*
 * A commit that may reopen the sockets needs rtnl (NIC offloads learn the
 * port), which ranks above update_lock: let go, take both in order, and
 * make sure the stage is still ours.  It is marked so that nobody else
 * takes it or expires it meanwhile.
 */
static int set_commit_rtnl(struct twill_device *tdev, struct sk_buff *skb,
			   struct genl_info *info)
{
	struct twill_plan *plan = tdev->stage;
	int ret;

	twill_plan_hold(plan, true);
	mutex_unlock(&tdev->update_lock);
	rtnl_lock();
	mutex_lock(&tdev->update_lock);
	if (tdev->stage == plan) {
		twill_plan_hold(plan, false);
		ret = set_commit(tdev, skb, info);
	} else {
		NL_SET_ERR_MSG(info->extack, "device is being removed");
		ret = -ENODEV;
	}
	rtnl_unlock();
	return ret;
}

static int set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct twill_device *tdev;
	int ret;

	tdev = lookup_device(genl_info_net(info), info->attrs, info->extack);
	if (IS_ERR(tdev))
		return PTR_ERR(tdev);
	mutex_lock(&tdev->update_lock);
	ret = set_parse(tdev, skb, info);
	if (ret > 0 && twill_plan_needs_rtnl(tdev->stage))
		ret = set_commit_rtnl(tdev, skb, info);
	else if (ret > 0)
		ret = set_commit(tdev, skb, info);
	mutex_unlock(&tdev->update_lock);
	dev_put(tdev->dev);
	return ret;
}

/* --- LOOKUP ---------------------------------------------------------- */

static int put_lookup(struct sk_buff *skb, struct twill_device *tdev,
		      int family, const void *addr)
{
	struct nlattr *peers, *peer_nest, *prefixes;
	struct twill_peer *peer;
	u8 prefix[16], cidr;
	int ret = -ENOENT;

	rcu_read_lock();
	peer = twill_table_lookup(&tdev->table, family, addr, &cidr, prefix);
	if (!peer)
		goto out;
	ret = -EMSGSIZE;
	peers = nla_nest_start(skb, TWILL_A_PEERS);
	peer_nest = peers ? nla_nest_start(skb, 0) : NULL;
	if (!peer_nest || put_peer_head(skb, peer, false))
		goto out;
	prefixes = nla_nest_start(skb, TWILL_PEER_A_PREFIXES);
	if (!prefixes || put_prefix(skb, family, prefix, cidr))
		goto out;
	nla_nest_end(skb, prefixes);
	nla_nest_end(skb, peer_nest);
	nla_nest_end(skb, peers);
	ret = 0;
out:
	rcu_read_unlock();
	return ret;
}

static int lookup_reply(struct twill_device *tdev, struct genl_info *info,
			int family, const void *addr)
{
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &genl_family, 0, TWILL_CMD_LOOKUP);
	ret = -EMSGSIZE;
	if (!hdr || nla_put_u32(msg, TWILL_A_IFINDEX, tdev->dev->ifindex))
		goto err;
	ret = put_lookup(msg, tdev, family, addr);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "no prefix covers this address");
	if (ret)
		goto err;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err:
	nlmsg_free(msg);
	return ret;
}

static int lookup_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[TWILL_A_LOOKUP_ADDR];
	struct twill_device *tdev;
	int family, ret;

	if (!attr || (nla_len(attr) != sizeof(struct in_addr) &&
		      nla_len(attr) != sizeof(struct in6_addr))) {
		NL_SET_ERR_MSG(info->extack,
			       "lookup needs a 4- or 16-byte address");
		return -EINVAL;
	}
	family = nla_len(attr) == sizeof(struct in_addr) ? AF_INET : AF_INET6;
	tdev = lookup_device(genl_info_net(info), info->attrs, info->extack);
	if (IS_ERR(tdev))
		return PTR_ERR(tdev);
	/* The peer's prefix count is the writer's: read it as one. */
	mutex_lock(&tdev->update_lock);
	ret = lookup_reply(tdev, info, family, nla_data(attr));
	mutex_unlock(&tdev->update_lock);
	dev_put(tdev->dev);
	return ret;
}

/* --- GET_FLOWS ------------------------------------------------------- */

struct flows_ctx {
	struct twill_device *tdev;
	struct twill_nat_dump_pos pos;
	bool done;
};

static struct flows_ctx *flows_ctx(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct flows_ctx) > sizeof(cb->ctx));
	return (struct flows_ctx *)cb->ctx;
}

static int flows_start(struct netlink_callback *cb)
{
	struct flows_ctx *ctx = flows_ctx(cb);
	struct twill_device *tdev;
	bool nat;

	tdev = lookup_device(sock_net(cb->skb->sk),
			     twill_compat_dump_attrs(cb), cb->extack);
	if (IS_ERR(tdev))
		return PTR_ERR(tdev);
	mutex_lock(&tdev->update_lock);
	nat = twill_nat_enabled(tdev);
	mutex_unlock(&tdev->update_lock);
	if (!nat) {
		NL_SET_ERR_MSG(cb->extack, "device has no NAT or services");
		dev_put(tdev->dev);
		return -ENOENT;
	}
	memset(ctx, 0, sizeof(*ctx));
	ctx->tdev = tdev;
	return 0;
}

static int flows_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct flows_ctx *ctx = flows_ctx(cb);
	struct twill_device *tdev = ctx->tdev;
	void *hdr;
	int ret;

	if (ctx->done)
		return 0;
	mutex_lock(&tdev->update_lock);
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &genl_family, NLM_F_MULTI, TWILL_CMD_GET_FLOWS);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto out;
	}
	ret = nla_put_u32(skb, TWILL_A_IFINDEX, tdev->dev->ifindex) ||
	      nla_put_string(skb, TWILL_A_IFNAME, tdev->dev->name) ?
	      -EMSGSIZE : twill_nat_dump_flows(skb, tdev, &ctx->pos);
	if (ret == -ENOENT) {
		/* NAT went off (or was replaced): the dump ends here. */
		genlmsg_cancel(skb, hdr);
		ctx->done = true;
		ret = skb->len;
		goto out;
	}
	ctx->done = !ret;
	genlmsg_end(skb, hdr);
	ret = skb->len;
out:
	mutex_unlock(&tdev->update_lock);
	return ret;
}

static int flows_done(struct netlink_callback *cb)
{
	struct flows_ctx *ctx = flows_ctx(cb);

	if (ctx->tdev)
		dev_put(ctx->tdev->dev);
	return 0;
}

/* --- GET_SERVICES ---------------------------------------------------- */

struct services_ctx {
	struct twill_device *tdev;
	struct twill_service_dump_pos pos;
	struct twill_service_key filter;
	bool filtered;			/* only the service @filter names */
	bool done;
};

static struct services_ctx *services_ctx(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct services_ctx) > sizeof(cb->ctx));
	return (struct services_ctx *)cb->ctx;
}

/*
 * A filter is parsed before the device is looked up: a bad one fails the
 * dump before it holds anything.
 */
static int services_start(struct netlink_callback *cb)
{
	struct services_ctx *ctx = services_ctx(cb);
	struct nlattr **attrs = twill_compat_dump_attrs(cb);
	struct twill_device *tdev;
	int ret;

	memset(ctx, 0, sizeof(*ctx));
	if (attrs[TWILL_A_SERVICES]) {
		ret = twill_service_parse_filter(attrs[TWILL_A_SERVICES],
						 &ctx->filter, cb->extack);
		if (ret)
			return ret;
		ctx->filtered = true;
	}
	tdev = lookup_device(sock_net(cb->skb->sk), attrs, cb->extack);
	if (IS_ERR(tdev))
		return PTR_ERR(tdev);
	ctx->tdev = tdev;
	return 0;
}

/*
 * As GET_DEVICE: every message has the device and its service settings;
 * a commit in between marks the rest NLM_F_DUMP_INTR (the position is a
 * slot of a table that was replaced).
 */
static int services_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct services_ctx *ctx = services_ctx(cb);
	struct twill_device *tdev = ctx->tdev;
	struct twill_service_dump_pos was = ctx->pos;
	void *hdr;
	int ret;

	if (ctx->done)
		return 0;
	mutex_lock(&tdev->update_lock);
	cb->seq = tdev->generation;
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &genl_family, NLM_F_MULTI, TWILL_CMD_GET_SERVICES);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto out;
	}
	genl_dump_check_consistent(cb, hdr);
	ret = nla_put_u32(skb, TWILL_A_IFINDEX, tdev->dev->ifindex) ||
	      nla_put_u32(skb, TWILL_A_GENERATION, tdev->generation) ||
	      nla_put_string(skb, TWILL_A_IFNAME, tdev->dev->name) ||
	      (!was.slot && !was.backend &&
	       twill_nat_put_service_stats(skb, tdev)) ?
	      -EMSGSIZE : twill_service_dump(skb, tdev,
					     ctx->filtered ? &ctx->filter : NULL,
					     &ctx->pos);
	/* Not one service (or backend) fitted in an empty message. */
	if (ret && !memcmp(&was, &ctx->pos, sizeof(was))) {
		genlmsg_cancel(skb, hdr);
		goto out;
	}
	ctx->done = !ret;
	genlmsg_end(skb, hdr);
	ret = skb->len;
out:
	mutex_unlock(&tdev->update_lock);
	return ret;
}

static int services_done(struct netlink_callback *cb)
{
	struct services_ctx *ctx = services_ctx(cb);

	if (ctx->tdev)
		dev_put(ctx->tdev->dev);
	return 0;
}

/* --- Notifications --------------------------------------------------- */

static bool have_listeners(struct twill_device *tdev)
{
	return genl_has_listeners(&genl_family, dev_net(tdev->dev), 0);
}

/* An event message with its header, or NULL if nobody listens. */
static struct sk_buff *event_new(struct twill_device *tdev,
				 enum twill_cmd cmd, void **hdr)
{
	struct sk_buff *msg;

	lockdep_assert_held(&tdev->update_lock);
	if (!have_listeners(tdev))
		return NULL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put(msg, 0, 0, &genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Sends a complete event, or drops it if filling it failed (@err). */
static void event_send(struct twill_device *tdev, struct sk_buff *msg,
		       void *hdr, int err)
{
	if (err) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&genl_family, dev_net(tdev->dev), msg, 0, 0,
				GFP_KERNEL);
}

void twill_netlink_notify_device(struct twill_device *tdev)
{
	struct sk_buff *msg;
	void *hdr;

	msg = event_new(tdev, TWILL_CMD_DEVICE_CHANGED, &hdr);
	if (msg)
		event_send(tdev, msg, hdr, put_dev_attrs(msg, tdev));
}

void twill_netlink_notify_services(struct twill_device *tdev)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = event_new(tdev, TWILL_CMD_SERVICES_CHANGED, &hdr);
	if (!msg)
		return;
	err = nla_put_u32(msg, TWILL_A_IFINDEX, tdev->dev->ifindex) ||
	      nla_put_string(msg, TWILL_A_IFNAME, tdev->dev->name) ||
	      nla_put_u32(msg, TWILL_A_GENERATION, tdev->generation) ||
	      twill_service_put_counts(msg, tdev);
	event_send(tdev, msg, hdr, err);
}

static int put_event_peer(struct sk_buff *msg, struct twill_peer *peer,
			  enum twill_cmd cmd)
{
	struct twill_prefix_cursor cursor = {};
	struct nlattr *peers, *peer_nest, *prefixes;
	int ret;

	peers = nla_nest_start(msg, TWILL_A_PEERS);
	peer_nest = peers ? nla_nest_start(msg, 0) : NULL;
	if (!peer_nest || put_peer_head(msg, peer, false))
		return -EMSGSIZE;
	if (cmd != TWILL_CMD_PEER_REMOVED) {
		prefixes = nla_nest_start(msg, TWILL_PEER_A_PREFIXES);
		if (!prefixes)
			return -EMSGSIZE;
		ret = twill_table_walk_peer(peer, &cursor, walk_put_event_prefix,
					    msg);
		nla_nest_end(msg, prefixes);
		if (ret && nla_put_u32(msg, TWILL_PEER_A_FLAGS,
				       TWILL_PEER_F_TRUNCATED))
			return -EMSGSIZE;
	}
	nla_nest_end(msg, peer_nest);
	nla_nest_end(msg, peers);
	return 0;
}

void twill_netlink_notify_peer(struct twill_device *tdev,
			       struct twill_peer *peer, enum twill_cmd cmd)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = event_new(tdev, cmd, &hdr);
	if (!msg)
		return;
	err = nla_put_u32(msg, TWILL_A_IFINDEX, tdev->dev->ifindex) ||
	      nla_put_string(msg, TWILL_A_IFNAME, tdev->dev->name) ||
	      nla_put_u32(msg, TWILL_A_GENERATION, tdev->generation) ||
	      put_event_peer(msg, peer, cmd);
	event_send(tdev, msg, hdr, err);
}

/* --- Family ---------------------------------------------------------- */

static const struct genl_ops genl_ops[] = {
	{
		.cmd = TWILL_CMD_GET_DEVICE,
		.start = get_start,
		.dumpit = get_dumpit,
		.done = get_done,
		.policy = get_policy,
		.maxattr = TWILL_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = TWILL_CMD_SET_DEVICE,
		.doit = set_doit,
		.policy = set_policy,
		.maxattr = TWILL_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = TWILL_CMD_LOOKUP,
		.doit = lookup_doit,
		.policy = lookup_policy,
		.maxattr = TWILL_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = TWILL_CMD_GET_FLOWS,
		.start = flows_start,
		.dumpit = flows_dumpit,
		.done = flows_done,
		.policy = get_policy,
		.maxattr = TWILL_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = TWILL_CMD_GET_SERVICES,
		.start = services_start,
		.dumpit = services_dumpit,
		.done = services_done,
		.policy = get_services_policy,
		.maxattr = TWILL_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = TWILL_CMD_SET_SERVICES,
		.doit = set_doit,
		.policy = set_services_policy,
		.maxattr = TWILL_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group genl_mcgrps[] = {
	{ .name = TWILL_MCGRP_EVENTS, TWILL_COMPAT_MCGRP_FLAGS },
};

static struct genl_family genl_family __ro_after_init = {
	.ops = genl_ops,
	.n_ops = ARRAY_SIZE(genl_ops),
	/* Every command validates strictly, reserved header fields too. */
	.resv_start_op = 0,
	.mcgrps = genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(genl_mcgrps),
	.name = TWILL_GENL_NAME,
	.version = TWILL_GENL_VERSION,
	.module = THIS_MODULE,
	.netnsok = true,
};

int twill_netlink_module_init(void)
{
	return genl_register_family(&genl_family);
}

void twill_netlink_module_exit(void)
{
	genl_unregister_family(&genl_family);
}
