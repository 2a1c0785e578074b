// SPDX-License-Identifier: GPL-2.0
/*
 * NAT instances: their configuration, their place in a namespace, the
 * netfilter hooks, the collector and the netlink views.  The packet work
 * is in xlate.c, the table in flow.c.
 *
 * Hook priorities (both families):
 *   PRE_ROUTING at CONNTRACK - 1: after defragmentation (-400), so that
 *     every fragment of a reply is translated with its first, and before
 *     conntrack (-200), so that conntrack sees a reply as the reply of the
 *     tuple it tracked for the pod, and a stateful firewall
 *     (`ct state established`) accepts it.  Replies are translated before
 *     routing, which then sends them to the pod.
 *     A pod's packet to a service gets its backend there too, so that
 *     conntrack tracks client -> backend.
 *   POST_ROUTING at LAST - 1: after routing (the egress device picks the
 *     source address) and after every other POST_ROUTING hook, nf_nat's
 *     masquerade included, so that firewalls and conntrack see the pod's
 *     own address; just before conntrack's confirm (LAST), which records
 *     the tuples it computed before us and does not read the packet again.
 *     A backend's reply to a pod gets the service address as source here,
 *     after conntrack and rp_filter saw the backend's.
 *   LOCAL_OUT at NAT_DST: host processes' packets to a service, where
 *     nf_nat changes destinations too; routed again when translated.
 * twill turns on defragmentation (nf_defrag_ipv4/6, not conntrack) in a
 * namespace where it has hooks.
 */

#include <linux/memcontrol.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include <net/netfilter/ipv4/nf_defrag_ipv4.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/genetlink.h>

#include "commit.h"
#include "device.h"
#include "nat.h"
#include "service.h"

/* The collector visits all buckets in GC_PASSES runs, GC_INTERVAL apart. */
#define GC_INTERVAL	(HZ / 4)
#define GC_PASSES	16
#define GC_MIN_BUCKETS	1024

struct nat_net {
	struct list_head insts;		/* struct twill_nat, RCU, rtnl */
	unsigned int users;		/* hooks held, rtnl */
};

static unsigned int nat_net_id __read_mostly;
static atomic64_t nat_ids = ATOMIC64_INIT(0);

/* --- Hooks ----------------------------------------------------------- */

static struct nat_net *nat_net(const struct net *net)
{
	return net_generic(net, nat_net_id);
}

static unsigned int hook_in(void *priv, struct sk_buff *skb,
			    const struct nf_hook_state *state)
{
	struct twill_nat *nat;
	unsigned int verdict = NF_ACCEPT;

	list_for_each_entry_rcu(nat, &nat_net(state->net)->insts, list) {
		verdict = twill_xlate_in(nat, skb);
		if (verdict != NF_ACCEPT)
			break;
	}
	return verdict;
}

static unsigned int hook_out(void *priv, struct sk_buff *skb,
			     const struct nf_hook_state *state)
{
	struct twill_nat *nat;
	unsigned int verdict = NF_ACCEPT;

	list_for_each_entry_rcu(nat, &nat_net(state->net)->insts, list) {
		verdict = twill_xlate_out(nat, skb, state);
		if (verdict != NF_ACCEPT)
			break;
	}
	return verdict;
}

static unsigned int hook_local(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state)
{
	bool v6 = state->pf == NFPROTO_IPV6;
	unsigned int verdict = NF_ACCEPT;
	struct in6_addr before;
	struct twill_nat *nat;
	int ret;

	if (v6)
		before = ipv6_hdr(skb)->daddr;
	else
		memcpy(&before, &ip_hdr(skb)->daddr, sizeof(__be32));
	list_for_each_entry_rcu(nat, &nat_net(state->net)->insts, list) {
		verdict = twill_xlate_local(nat, skb);
		if (verdict != NF_ACCEPT)
			return verdict;
	}
	if (v6 ? ipv6_addr_equal(&ipv6_hdr(skb)->daddr, &before) :
		 ip_hdr(skb)->daddr == *(__be32 *)&before)
		return NF_ACCEPT;
	ret = v6 ? nf_ip6_route_me_harder(state->net, state->sk, skb) :
		   ip_route_me_harder(state->net, state->sk, skb, RTN_UNSPEC);
	return ret < 0 ? NF_DROP_ERR(ret) : NF_ACCEPT;
}

static const struct nf_hook_ops hook_ops[] = {
	{
		.hook = hook_in,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_CONNTRACK - 1,
	}, {
		.hook = hook_out,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP_PRI_LAST - 1,
	}, {
		.hook = hook_local,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP_PRI_NAT_DST,
	}, {
		.hook = hook_local,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP6_PRI_NAT_DST,
	}, {
		.hook = hook_in,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP6_PRI_CONNTRACK - 1,
	}, {
		.hook = hook_out,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP6_PRI_LAST - 1,
	},
};

static int hooks_get(struct net *net)
{
	struct nat_net *nn = nat_net(net);
	int ret;

	ASSERT_RTNL();
	if (nn->users++)
		return 0;
	ret = nf_defrag_ipv4_enable(net);
	if (ret)
		goto err;
	ret = nf_defrag_ipv6_enable(net);
	if (ret)
		goto err_defrag6;
	ret = nf_register_net_hooks(net, hook_ops, ARRAY_SIZE(hook_ops));
	if (ret)
		goto err_hooks;
	return 0;

err_hooks:
	nf_defrag_ipv6_disable(net);
err_defrag6:
	nf_defrag_ipv4_disable(net);
err:
	nn->users--;
	return ret;
}

static void hooks_put(struct net *net)
{
	struct nat_net *nn = nat_net(net);

	ASSERT_RTNL();
	if (--nn->users)
		return;
	nf_unregister_net_hooks(net, hook_ops, ARRAY_SIZE(hook_ops));
	nf_defrag_ipv6_disable(net);
	nf_defrag_ipv4_disable(net);
}

/* --- Instances ------------------------------------------------------- */

static void gc_work(struct work_struct *work)
{
	struct twill_nat *nat = container_of(to_delayed_work(work),
					     struct twill_nat, gc);
	u32 budget = max_t(u32, GC_MIN_BUCKETS,
			   (nat->flows.mask + 1) / GC_PASSES);
	unsigned int n;

	n = twill_flow_gc(&nat->flows, budget);
	if (n)
		this_cpu_add(nat->stats->n[TWILL_NAT_STAT_FLOWS_EXPIRED], n);
	queue_delayed_work(system_power_efficient_wq, &nat->gc, GC_INTERVAL);
}

static void purge_work(struct work_struct *work);

static void nat_destroy(struct twill_nat *nat)
{
	/* Neither work takes RTNL or the update lock: callers hold both. */
	cancel_work_sync(&nat->purge);
	cancel_delayed_work_sync(&nat->gc);
	twill_flow_table_free(&nat->flows);
	free_percpu(nat->stats);
	mem_cgroup_put(nat->memcg);
	kfree(rcu_dereference_protected(nat->cfg, true));
	kvfree(nat);
}

/* The caller's memory cgroup pays for the table and, later, its flows. */
static struct twill_nat *nat_create(struct twill_device *tdev, u32 max_flows)
{
	struct net *net = dev_net(tdev->dev);
	struct twill_nat *nat;

	/* Large with lockdep (the bucket locks): not a high-order kmalloc. */
	nat = kvzalloc(sizeof(*nat), GFP_KERNEL_ACCOUNT);
	if (!nat)
		return NULL;
	INIT_DELAYED_WORK(&nat->gc, gc_work);
	INIT_WORK(&nat->purge, purge_work);
	nat->net = net;
	nat->tdev = tdev;
	nat->id = atomic64_inc_return(&nat_ids);
	nat->memcg = get_mem_cgroup_from_mm(current->mm);
	nat->stats = alloc_percpu_gfp(struct twill_nat_stats,
				      GFP_KERNEL_ACCOUNT);
	if (!nat->stats || twill_flow_table_init(&nat->flows, max_flows)) {
		nat_destroy(nat);
		return NULL;
	}
	return nat;
}

static struct twill_nat_config *config_of(struct twill_device *tdev)
{
	if (!tdev->nat)
		return NULL;
	return rcu_dereference_protected(tdev->nat->cfg,
					 lockdep_is_held(&tdev->update_lock));
}

bool twill_nat_enabled(struct twill_device *tdev)
{
	lockdep_assert_held(&tdev->update_lock);
	return tdev->nat;
}

void twill_nat_detach(struct twill_device *tdev)
{
	struct twill_nat *nat = tdev->nat;

	ASSERT_RTNL();
	lockdep_assert_held(&tdev->update_lock);
	if (!nat)
		return;
	tdev->nat = NULL;
	list_del_rcu(&nat->list);
	hooks_put(nat->net);
	/* The hooks of other devices may still be looking at its flows. */
	synchronize_net();
	nat_destroy(nat);
}

/* --- Commits --------------------------------------------------------- */

static bool same_config(const struct twill_nat_config *a,
			const struct twill_nat_config *b)
{
	if (!a || !b)
		return a == b;
	return !memcmp(a, b, offsetof(struct twill_nat_config, rcu));
}

static int check_rights(struct twill_device *tdev,
			const struct twill_nat_config *cfg, u32 rights,
			struct netlink_ext_ack *extack)
{
	const struct twill_nat_config *old = config_of(tdev);
	u32 now = old ? old->max_flows : TWILL_NAT_DEFAULT_MAX_FLOWS;

	if (!same_config(old, cfg) && !(rights & TWILL_RIGHT_HOST)) {
		NL_SET_ERR_MSG(extack,
			       "changing NAT needs CAP_NET_ADMIN in the namespace that created the device");
		return -EPERM;
	}
	if (cfg && cfg->max_flows > TWILL_NAT_DEFAULT_MAX_FLOWS &&
	    cfg->max_flows > now && !(rights & TWILL_RIGHT_INIT)) {
		NL_SET_ERR_MSG_FMT(extack,
				   "raising max-flows above %u needs CAP_NET_ADMIN in the initial user namespace",
				   TWILL_NAT_DEFAULT_MAX_FLOWS);
		return -EPERM;
	}
	return 0;
}

int twill_nat_prepare(struct twill_device *tdev, struct twill_nat_config *cfg,
		      u32 rights, struct twill_nat_change *ch,
		      struct netlink_ext_ack *extack)
{
	ASSERT_RTNL();
	lockdep_assert_held(&tdev->update_lock);
	ch->active = true;
	ch->cfg = cfg;
	return check_rights(tdev, cfg, rights, extack);
}

int twill_nat_prepare_instance(struct twill_device *tdev,
			       struct twill_nat_change *ch, bool services,
			       struct netlink_ext_ack *extack)
{
	const struct twill_nat_config *cfg;
	struct net *net = dev_net(tdev->dev);
	int ret;

	ASSERT_RTNL();
	lockdep_assert_held(&tdev->update_lock);
	cfg = ch->active ? ch->cfg : config_of(tdev);
	ch->decided = true;
	ch->need = cfg || services;
	if (!ch->need || tdev->nat)
		return 0;
	ch->fresh = nat_create(tdev, cfg ? cfg->max_flows :
				     TWILL_NAT_DEFAULT_MAX_FLOWS);
	if (!ch->fresh)
		return -ENOMEM;
	ret = hooks_get(net);
	if (ret) {
		NL_SET_ERR_MSG_FMT(extack, "cannot register NAT hooks: error %d",
				   ret);
		nat_destroy(ch->fresh);
		ch->fresh = NULL;
	}
	return ret;
}

static void publish(struct twill_device *tdev, struct twill_nat_change *ch)
{
	struct twill_nat *nat = ch->fresh;

	ch->fresh = NULL;
	tdev->nat = nat;
	list_add_tail_rcu(&nat->list, &nat_net(nat->net)->insts);
	queue_delayed_work(system_power_efficient_wq, &nat->gc, GC_INTERVAL);
}

void twill_nat_apply(struct twill_device *tdev, struct twill_nat_change *ch)
{
	struct twill_nat_config *old = config_of(tdev);
	struct twill_nat *nat;

	if (!ch->decided)
		return;
	if (!ch->need) {
		twill_nat_detach(tdev);
		return;
	}
	nat = tdev->nat ?: ch->fresh;
	/* The config first: a new instance masquerades from its first packet. */
	if (ch->active) {
		/* A flow table made for services alone keeps its size. */
		if (ch->cfg)
			WRITE_ONCE(nat->flows.max, ch->cfg->max_flows);
		rcu_assign_pointer(nat->cfg, ch->cfg);
		ch->cfg = NULL;
		if (old)
			kfree_rcu(old, rcu);
	}
	if (!tdev->nat)
		publish(tdev, ch);
}

void twill_nat_abort(struct twill_nat_change *ch)
{
	if (ch->fresh) {
		hooks_put(ch->fresh->net);
		nat_destroy(ch->fresh);
		ch->fresh = NULL;
	}
	twill_nat_config_free(ch->cfg);
	ch->cfg = NULL;
}

/* --- Configuration from netlink -------------------------------------- */

static struct netlink_range_validation max_flows_range = {
	.min = 1, .max = 1U << 24,
};

static const struct nla_policy prefix_policy[TWILL_PREFIX_A_MAX + 1] = {
	[TWILL_PREFIX_A_FAMILY]	= { .type = NLA_U16 },
	[TWILL_PREFIX_A_ADDR]	= { .type = NLA_BINARY,
				    .len = sizeof(struct in6_addr) },
	[TWILL_PREFIX_A_CIDR]	= { .type = NLA_U8 },
};

static const struct nla_policy nat_policy[TWILL_NAT_A_MAX + 1] = {
	[TWILL_NAT_A_MASQUERADE]	= NLA_POLICY_NESTED_ARRAY(prefix_policy),
	[TWILL_NAT_A_EXCLUDE]		= NLA_POLICY_NESTED_ARRAY(prefix_policy),
	[TWILL_NAT_A_TO4]		= NLA_POLICY_EXACT_LEN(sizeof(__be32)),
	[TWILL_NAT_A_TO6]		= NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[TWILL_NAT_A_PORT_MIN]		= NLA_POLICY_MIN(NLA_U16, 1),
	[TWILL_NAT_A_PORT_MAX]		= NLA_POLICY_MIN(NLA_U16, 1),
	[TWILL_NAT_A_MAX_FLOWS]		= NLA_POLICY_FULL_RANGE(NLA_U32,
							&max_flows_range),
};

void twill_nat_config_free(struct twill_nat_config *cfg)
{
	kfree(cfg);
}

static void prefix_mask(struct twill_nat_prefix *px)
{
	int i, bits;

	for (i = 0; i < 4; i++) {
		bits = clamp_t(int, px->cidr - 32 * i, 0, 32);
		px->mask.ip6[i] = bits ? htonl(~0U << (32 - bits)) : 0;
	}
}

static int parse_prefix(const struct nlattr *attr, struct twill_nat_prefix *px,
			struct netlink_ext_ack *extack)
{
	struct nlattr *tb[TWILL_PREFIX_A_MAX + 1];
	size_t len;
	u8 max;
	int i, ret;

	ret = nla_parse_nested(tb, TWILL_PREFIX_A_MAX, attr, prefix_policy,
			       extack);
	if (ret)
		return ret;
	if (!tb[TWILL_PREFIX_A_FAMILY] || !tb[TWILL_PREFIX_A_ADDR] ||
	    !tb[TWILL_PREFIX_A_CIDR]) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "NAT prefix needs family, address and length");
		return -EINVAL;
	}
	px->family = nla_get_u16(tb[TWILL_PREFIX_A_FAMILY]);
	len = px->family == AF_INET ? sizeof(__be32) : sizeof(struct in6_addr);
	max = px->family == AF_INET ? 32 : 128;
	if ((px->family != AF_INET && px->family != AF_INET6) ||
	    nla_len(tb[TWILL_PREFIX_A_ADDR]) != len) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "NAT prefix: family must be AF_INET or AF_INET6, with a 4 or 16 byte address");
		return -EINVAL;
	}
	px->cidr = nla_get_u8(tb[TWILL_PREFIX_A_CIDR]);
	if (px->cidr > max) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TWILL_PREFIX_A_CIDR],
				    "NAT prefix length out of range");
		return -EINVAL;
	}
	memcpy(&px->addr, nla_data(tb[TWILL_PREFIX_A_ADDR]), len);
	prefix_mask(px);
	for (i = 0; i < 4; i++) {
		if (px->addr.ip6[i] & ~px->mask.ip6[i]) {
			NL_SET_ERR_MSG_ATTR(extack, tb[TWILL_PREFIX_A_ADDR],
					    "NAT prefix has host bits set");
			return -EINVAL;
		}
	}
	return 0;
}

static int cmp_prefix(const void *a, const void *b)
{
	const struct twill_nat_prefix *x = a, *y = b;

	if (x->family != y->family)
		return x->family - y->family;
	if (x->cidr != y->cidr)
		return x->cidr - y->cidr;
	return memcmp(&x->addr, &y->addr, sizeof(x->addr));
}

/*
 * Kept sorted, so that the same lists in another order are the same
 * config (a caller without rights may repeat it unchanged).
 */
static int parse_prefixes(const struct nlattr *attr,
			  struct twill_nat_prefix *px, u8 *n,
			  struct netlink_ext_ack *extack)
{
	const struct nlattr *pos;
	int rem, ret;

	if (!attr)
		return 0;
	nla_for_each_nested(pos, attr, rem) {
		if (*n == TWILL_NAT_MAX_PREFIXES) {
			NL_SET_ERR_MSG_FMT(extack,
					   "more than %u prefixes in a NAT list",
					   TWILL_NAT_MAX_PREFIXES);
			return -E2BIG;
		}
		ret = parse_prefix(pos, &px[*n], extack);
		if (ret)
			return ret;
		(*n)++;
	}
	sort(px, *n, sizeof(*px), cmp_prefix, NULL);
	return 0;
}

static int parse_to(struct nlattr **tb, struct twill_nat_config *cfg,
		    struct netlink_ext_ack *extack)
{
	if (tb[TWILL_NAT_A_TO4]) {
		cfg->to4 = nla_get_in_addr(tb[TWILL_NAT_A_TO4]);
		cfg->has_to4 = true;
		if (ipv4_is_zeronet(cfg->to4) || ipv4_is_multicast(cfg->to4) ||
		    ipv4_is_lbcast(cfg->to4)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[TWILL_NAT_A_TO4],
					    "NAT source must be a unicast address");
			return -EINVAL;
		}
	}
	if (tb[TWILL_NAT_A_TO6]) {
		cfg->to6 = nla_get_in6_addr(tb[TWILL_NAT_A_TO6]);
		cfg->has_to6 = true;
		if (ipv6_addr_any(&cfg->to6) ||
		    ipv6_addr_is_multicast(&cfg->to6)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[TWILL_NAT_A_TO6],
					    "NAT source must be a unicast address");
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_config(struct nlattr **tb, struct twill_nat_config *cfg,
			struct netlink_ext_ack *extack)
{
	int ret;

	ret = parse_prefixes(tb[TWILL_NAT_A_MASQUERADE], cfg->masq,
			     &cfg->nmasq, extack);
	if (!ret)
		ret = parse_prefixes(tb[TWILL_NAT_A_EXCLUDE], cfg->excl,
				     &cfg->nexcl, extack);
	if (!ret)
		ret = parse_to(tb, cfg, extack);
	if (ret)
		return ret;
	cfg->port_min = tb[TWILL_NAT_A_PORT_MIN] ?
			nla_get_u16(tb[TWILL_NAT_A_PORT_MIN]) :
			TWILL_NAT_DEFAULT_PORT_MIN;
	cfg->port_max = tb[TWILL_NAT_A_PORT_MAX] ?
			nla_get_u16(tb[TWILL_NAT_A_PORT_MAX]) :
			TWILL_NAT_DEFAULT_PORT_MAX;
	cfg->max_flows = tb[TWILL_NAT_A_MAX_FLOWS] ?
			 nla_get_u32(tb[TWILL_NAT_A_MAX_FLOWS]) :
			 TWILL_NAT_DEFAULT_MAX_FLOWS;
	if (cfg->port_min > cfg->port_max) {
		NL_SET_ERR_MSG(extack,
			       "NAT port range: minimum is above maximum");
		return -EINVAL;
	}
	return 0;
}

static bool any_setting(struct nlattr **tb)
{
	int i;

	for (i = 1; i <= TWILL_NAT_A_MAX; i++)
		if (tb[i])
			return true;
	return false;
}

struct twill_nat_config *twill_nat_parse(const struct nlattr *attr,
					 struct netlink_ext_ack *extack)
{
	struct nlattr *tb[TWILL_NAT_A_MAX + 1];
	struct twill_nat_config *cfg;
	int ret;

	ret = nla_parse_nested(tb, TWILL_NAT_A_MAX, attr, nat_policy, extack);
	if (ret)
		return ERR_PTR(ret);
	if (!tb[TWILL_NAT_A_MASQUERADE] && !any_setting(tb))
		return NULL;
	cfg = kzalloc(sizeof(*cfg), GFP_KERNEL_ACCOUNT);
	if (!cfg)
		return ERR_PTR(-ENOMEM);
	ret = parse_config(tb, cfg, extack);
	if (!ret && !cfg->nmasq) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "NAT settings without masquerade prefixes (an empty nest turns NAT off)");
		ret = -EINVAL;
	}
	if (ret) {
		kfree(cfg);
		return ERR_PTR(ret);
	}
	return cfg;
}

/* --- Netlink views --------------------------------------------------- */

static int put_prefixes(struct sk_buff *skb, int type,
			const struct twill_nat_prefix *px, u8 n)
{
	struct nlattr *list, *nest;
	size_t len;
	u8 i;

	list = nla_nest_start(skb, type);
	if (!list)
		return -EMSGSIZE;
	for (i = 0; i < n; i++) {
		len = px[i].family == AF_INET ? sizeof(__be32) :
						sizeof(struct in6_addr);
		nest = nla_nest_start(skb, 0);
		if (!nest ||
		    nla_put_u16(skb, TWILL_PREFIX_A_FAMILY, px[i].family) ||
		    nla_put(skb, TWILL_PREFIX_A_ADDR, len, &px[i].addr) ||
		    nla_put_u8(skb, TWILL_PREFIX_A_CIDR, px[i].cidr))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	nla_nest_end(skb, list);
	return 0;
}

static void sum_stats(struct twill_nat *nat, struct twill_nat_stats *sum)
{
	const struct twill_nat_stats *s;
	int cpu, i;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		s = per_cpu_ptr(nat->stats, cpu);
		for (i = 0; i < __TWILL_NAT_STAT_MAX; i++)
			sum->n[i] += READ_ONCE(s->n[i]);
		for (i = 0; i < __TWILL_SERVICE_STAT_MAX; i++)
			sum->svc[i] += READ_ONCE(s->svc[i]);
	}
}

/* A nest of u64 counters, indexed from 1; type 0 pads. */
static int put_counters(struct sk_buff *skb, int type, const u64 *n, int max)
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	for (i = 1; i <= max; i++)
		if (nla_put_u64_64bit(skb, i, n[i], 0))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int put_stats(struct sk_buff *skb, struct twill_nat *nat)
{
	struct twill_nat_stats sum;

	sum_stats(nat, &sum);
	return put_counters(skb, TWILL_NAT_A_STATS, sum.n, TWILL_NAT_STAT_MAX);
}

int twill_nat_put_service_stats(struct sk_buff *skb, struct twill_device *tdev)
{
	struct twill_nat_stats sum;

	lockdep_assert_held(&tdev->update_lock);
	if (!tdev->nat)
		return 0;
	sum_stats(tdev->nat, &sum);
	return put_counters(skb, TWILL_A_SERVICE_STATS, sum.svc,
			    TWILL_SERVICE_STAT_MAX);
}

static int put_settings(struct sk_buff *skb, const struct twill_nat_config *cfg)
{
	if (put_prefixes(skb, TWILL_NAT_A_MASQUERADE, cfg->masq, cfg->nmasq) ||
	    put_prefixes(skb, TWILL_NAT_A_EXCLUDE, cfg->excl, cfg->nexcl) ||
	    (cfg->has_to4 && nla_put_in_addr(skb, TWILL_NAT_A_TO4, cfg->to4)) ||
	    (cfg->has_to6 &&
	     nla_put_in6_addr(skb, TWILL_NAT_A_TO6, &cfg->to6)) ||
	    nla_put_u16(skb, TWILL_NAT_A_PORT_MIN, cfg->port_min) ||
	    nla_put_u16(skb, TWILL_NAT_A_PORT_MAX, cfg->port_max) ||
	    nla_put_u32(skb, TWILL_NAT_A_MAX_FLOWS, cfg->max_flows))
		return -EMSGSIZE;
	return 0;
}

int twill_nat_put(struct sk_buff *skb, struct twill_device *tdev)
{
	const struct twill_nat_config *cfg = config_of(tdev);
	struct twill_nat *nat = tdev->nat;
	struct nlattr *nest;

	/* Services alone: NAT is off (their counters are elsewhere). */
	if (!cfg)
		return 0;
	nest = nla_nest_start(skb, TWILL_A_NAT);
	if (!nest || put_settings(skb, cfg) ||
	    nla_put_u32(skb, TWILL_NAT_A_NUM_FLOWS,
			atomic_read(&nat->flows.count)) ||
	    nla_put_u32(skb, TWILL_NAT_A_BUCKETS, nat->flows.mask + 1) ||
	    put_stats(skb, nat))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int put_tuple(struct sk_buff *skb, const struct twill_flow_tuple *t,
		     int src, int dst, int sport, int dport)
{
	size_t len = t->family == AF_INET ? sizeof(__be32) :
					    sizeof(struct in6_addr);

	if (nla_put(skb, src, len, &t->src) || nla_put(skb, dst, len, &t->dst) ||
	    nla_put_u16(skb, sport, ntohs(t->sport)) ||
	    nla_put_u16(skb, dport, ntohs(t->dport)))
		return -EMSGSIZE;
	return 0;
}

static u32 timeout_ms(const struct twill_flow *f)
{
	long left = (long)(READ_ONCE(f->expires) - jiffies);

	return left > 0 ? jiffies_to_msecs(left) : 0;
}

/* A flows dump's message and where its current bucket began. */
struct flow_msg {
	struct sk_buff *skb;
	void *mark;
};

static int put_flow(void *ctx, struct twill_flow *f)
{
	const struct twill_flow_tuple *o = &f->node[TWILL_FLOW_ORIG].t;
	struct sk_buff *skb = ((struct flow_msg *)ctx)->skb;
	struct nlattr *nest;

	nest = nla_nest_start(skb, 0);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u16(skb, TWILL_FLOW_A_FAMILY, o->family) ||
	    nla_put_u8(skb, TWILL_FLOW_A_PROTO, o->proto) ||
	    put_tuple(skb, o, TWILL_FLOW_A_ORIG_SRC, TWILL_FLOW_A_ORIG_DST,
		      TWILL_FLOW_A_ORIG_SPORT, TWILL_FLOW_A_ORIG_DPORT) ||
	    put_tuple(skb, &f->node[TWILL_FLOW_REPLY].t, TWILL_FLOW_A_REPLY_SRC,
		      TWILL_FLOW_A_REPLY_DST, TWILL_FLOW_A_REPLY_SPORT,
		      TWILL_FLOW_A_REPLY_DPORT) ||
	    nla_put_u8(skb, TWILL_FLOW_A_STATE, READ_ONCE(f->state)) ||
	    nla_put_u32(skb, TWILL_FLOW_A_TIMEOUT, timeout_ms(f))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static void mark_bucket(void *ctx)
{
	struct flow_msg *m = ctx;

	m->mark = skb_tail_pointer(m->skb);
}

static void undo_bucket(void *ctx)
{
	struct flow_msg *m = ctx;

	nlmsg_trim(m->skb, m->mark);
}

static const struct twill_flow_walker flow_walker = {
	.flow = put_flow,
	.mark = mark_bucket,
	.undo = undo_bucket,
};

int twill_nat_dump_flows(struct sk_buff *skb, struct twill_device *tdev,
			 struct twill_nat_dump_pos *pos)
{
	struct flow_msg m = { .skb = skb };
	struct twill_nat *nat = tdev->nat;
	struct nlattr *nest;
	int ret;

	lockdep_assert_held(&tdev->update_lock);
	if (!nat || (pos->nat_id && pos->nat_id != nat->id))
		return -ENOENT;
	pos->nat_id = nat->id;
	nest = nla_nest_start(skb, TWILL_A_FLOWS);
	if (!nest)
		return -EMSGSIZE;
	rcu_read_lock();
	ret = twill_flow_walk(&nat->flows, &pos->bucket, &pos->skip,
			      &flow_walker, &m);
	rcu_read_unlock();
	nla_nest_end(skb, nest);
	return ret;
}

/* --- Services' flows -------------------------------------------------- */

/*
 * A service flow whose service or backend the device (@ctx) no longer
 * has.  A backend only made terminating or put in maintenance keeps its
 * flows, as kube-proxy keeps their conntrack entries.
 */
static bool service_flow_stale(void *ctx, const struct twill_flow *f)
{
	const struct twill_flow_tuple *o = &f->node[TWILL_FLOW_ORIG].t;
	const struct twill_flow_tuple *r = &f->node[TWILL_FLOW_REPLY].t;
	struct twill_device *tdev = ctx;
	struct twill_service_table *table;
	const struct twill_service *svc;

	/* An expired flow is the collector's, and uncounted here. */
	if (!(f->flags & TWILL_FLOW_F_SERVICE) || twill_flow_expired(f))
		return false;
	/* The walk holds the RCU read lock around each bucket. */
	table = rcu_dereference(tdev->services);
	if (!table)
		return true;
	svc = twill_service_lookup(table, o->family, &o->dst, o->dport,
				   o->proto);
	return !svc || !twill_service_has_backend(svc, &r->src, r->sport);
}

/*
 * After the commit's ack, so that a change of one service among many is
 * not made to wait for a grace period and a walk of the whole table.  A
 * packet that read the old table may be choosing a removed backend right
 * now: after the grace period every new flow has chosen in the new table,
 * and the walk finds every stale one.  The instance outlives this work
 * (nat_destroy() cancels it), the device outlives the instance.
 */
static void purge_work(struct work_struct *work)
{
	struct twill_nat *nat = container_of(work, struct twill_nat, purge);
	unsigned int n;

	synchronize_rcu();
	n = twill_flow_purge(&nat->flows, service_flow_stale, nat->tdev);
	if (n)
		this_cpu_add(nat->stats->svc[TWILL_SERVICE_STAT_FLOWS_PURGED],
			     n);
}

void twill_nat_purge_services(struct twill_device *tdev)
{
	lockdep_assert_held(&tdev->update_lock);
	if (tdev->nat)
		queue_work(system_unbound_wq, &tdev->nat->purge);
}

/* --- Module ---------------------------------------------------------- */

/*
 * NAT belongs to the namespace: a device that leaves it loses its NAT,
 * and its services with it, which translate that namespace's traffic
 * (they may be set again where the device goes: a commit brings a new
 * flow table there).  Deletion ends here too.
 */
static int netdev_event(struct notifier_block *nb, unsigned long event,
			void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct twill_device *tdev;

	if (event != NETDEV_UNREGISTER || !twill_device_is(dev))
		return NOTIFY_DONE;
	tdev = netdev_priv(dev);
	mutex_lock(&tdev->update_lock);
	twill_nat_detach(tdev);
	twill_service_flush(tdev);
	mutex_unlock(&tdev->update_lock);
	return NOTIFY_DONE;
}

static struct notifier_block netdev_notifier = {
	.notifier_call = netdev_event,
};

static __net_init int nat_net_init(struct net *net)
{
	INIT_LIST_HEAD(&nat_net(net)->insts);
	return 0;
}

static struct pernet_operations pernet_ops = {
	.init = nat_net_init,
	.id = &nat_net_id,
	.size = sizeof(struct nat_net),
};

int twill_nat_module_init(void)
{
	int ret;

	ret = twill_flow_module_init();
	if (ret)
		return ret;
	ret = register_pernet_subsys(&pernet_ops);
	if (ret)
		goto err_pernet;
	ret = register_netdevice_notifier(&netdev_notifier);
	if (ret)
		goto err_notifier;
	return 0;

err_notifier:
	unregister_pernet_subsys(&pernet_ops);
err_pernet:
	twill_flow_module_exit();
	return ret;
}

void twill_nat_module_exit(void)
{
	unregister_netdevice_notifier(&netdev_notifier);
	unregister_pernet_subsys(&pernet_ops);
	twill_flow_module_exit();
}
