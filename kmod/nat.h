/* SPDX-License-Identifier: GPL-2.0 */
/*
 * twill's flow table and netfilter hooks, and the masquerade of pod
 * traffic leaving the host on them.  A device with NAT or services has a
 * struct twill_nat (the instance: flows, counters, collector); the
 * namespace it lives in has the netfilter hooks while at least one such
 * device is there.  The masquerade configuration arrives with a SET_DEVICE
 * commit (TWILL_A_NAT), the services with SET_SERVICES; a commit decides
 * whether the instance is needed after it: prepare (may fail), then apply
 * or abort.
 */
#ifndef _TWILL_NAT_H
#define _TWILL_NAT_H

#include <linux/netfilter.h>
#include <linux/workqueue.h>
#include <net/netlink.h>
#include <uapi/linux/twill.h>

#include "flow.h"

struct twill_device;
struct mem_cgroup;

struct twill_nat_prefix {
	union nf_inet_addr addr, mask;
	u8 family;
	u8 cidr;
};

struct twill_nat_config {
	u8 nmasq, nexcl;
	bool has_to4, has_to6;
	u16 port_min, port_max;
	u32 max_flows;
	__be32 to4;
	struct in6_addr to6;
	struct twill_nat_prefix masq[TWILL_NAT_MAX_PREFIXES];
	struct twill_nat_prefix excl[TWILL_NAT_MAX_PREFIXES];
	struct rcu_head rcu;
};

struct twill_nat_stats {
	u64 n[__TWILL_NAT_STAT_MAX];
	u64 svc[__TWILL_SERVICE_STAT_MAX];
};

/* One device's NAT; freed after its namespace's readers are gone. */
struct twill_nat {
	struct list_head list;		/* the namespace's, RCU, rtnl */
	struct net *net;		/* where the hooks are */
	struct twill_device *tdev;	/* outlives the instance */
	u64 id;				/* unique, for dumps to notice */
	struct twill_nat_config __rcu *cfg;	/* NULL: services only */
	struct twill_flow_table flows;
	struct twill_nat_stats __percpu *stats;
	struct mem_cgroup *memcg;	/* flows are charged here */
	struct delayed_work gc;
	struct work_struct purge;	/* twill_nat_purge_services() */
};

static inline void twill_nat_count(struct twill_nat *nat,
				   enum twill_nat_stat stat)
{
	this_cpu_inc(nat->stats->n[stat]);
}

static inline void twill_nat_count_service(struct twill_nat *nat,
					   enum twill_service_stat stat)
{
	this_cpu_inc(nat->stats->svc[stat]);
}

/*
 * Queues the removal of the service flows whose service or backend the
 * device's table no longer has (after a commit that dropped services):
 * it runs after the commit's ack, a grace period and one walk later.
 */
void twill_nat_purge_services(struct twill_device *tdev);

/* A commit's NAT part, between twill_nat_prepare() and apply or abort. */
struct twill_nat_change {
	bool active;			/* the commit changes NAT */
	bool decided;			/* twill_nat_prepare_instance() ran */
	bool need;			/* ... and the instance stays or comes */
	struct twill_nat_config *cfg;	/* the new config; NULL: NAT off */
	struct twill_nat *fresh;	/* instance made for it, hooks held */
};

/* Parses TWILL_A_NAT; NULL means "NAT off", else a config or ERR_PTR. */
struct twill_nat_config *twill_nat_parse(const struct nlattr *attr,
					 struct netlink_ext_ack *extack);
void twill_nat_config_free(struct twill_nat_config *cfg);

/*
 * Checks @cfg (taken over by @ch) against the caller's rights and
 * allocates what applying it needs.  rtnl and tdev->update_lock held.
 */
int twill_nat_prepare(struct twill_device *tdev, struct twill_nat_config *cfg,
		      u32 rights, struct twill_nat_change *ch,
		      struct netlink_ext_ack *extack);
/*
 * Makes sure the instance exists after the commit if NAT (as @ch leaves
 * it) or @services need it; it goes if neither does.  After
 * twill_nat_prepare(), if the commit has NAT; rtnl and update_lock held.
 */
int twill_nat_prepare_instance(struct twill_device *tdev,
			       struct twill_nat_change *ch, bool services,
			       struct netlink_ext_ack *extack);
/* Cannot fail; rtnl and update_lock held. */
void twill_nat_apply(struct twill_device *tdev, struct twill_nat_change *ch);
void twill_nat_abort(struct twill_nat_change *ch);

/*
 * Turns the device's NAT off and frees its flows: the device leaves its
 * namespace or goes away.  rtnl and update_lock held.
 */
void twill_nat_detach(struct twill_device *tdev);

/* TWILL_A_NAT with settings, counters and flow count; update_lock held. */
int twill_nat_put(struct sk_buff *skb, struct twill_device *tdev);
/* TWILL_A_SERVICE_STATS, if the device has an instance; update_lock held. */
int twill_nat_put_service_stats(struct sk_buff *skb, struct twill_device *tdev);

/* Where a flow dump stopped. */
struct twill_nat_dump_pos {
	u64 nat_id;
	u32 bucket, skip;
};

/*
 * Puts TWILL_A_FLOWS with as many flows as fit; returns 0 when the table
 * is done, -EMSGSIZE when more follow, -ENOENT when the device has no NAT
 * (or no longer the one the dump started on).  update_lock held.
 */
int twill_nat_dump_flows(struct sk_buff *skb, struct twill_device *tdev,
			 struct twill_nat_dump_pos *pos);
/* Whether the device has an instance (NAT or services). */
bool twill_nat_enabled(struct twill_device *tdev);

/* The datapath (xlate.c): netfilter verdicts for one NAT instance. */
unsigned int twill_xlate_in(struct twill_nat *nat, struct sk_buff *skb);
/* A host process's packet: its destination, rerouted by the caller. */
unsigned int twill_xlate_local(struct twill_nat *nat, struct sk_buff *skb);
unsigned int twill_xlate_out(struct twill_nat *nat, struct sk_buff *skb,
			     const struct nf_hook_state *state);

int twill_nat_module_init(void);
void twill_nat_module_exit(void);

#endif /* _TWILL_NAT_H */
