/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The twill net_device: an L3 point-to-point overlay device.  Lock order is
 * rtnl_lock -> tdev->update_lock; every writer of settings, peers and the
 * table holds update_lock, readers (the datapath) use RCU.
 */
#ifndef _TWILL_DEVICE_H
#define _TWILL_DEVICE_H

#include <linux/netdevice.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <net/gro_cells.h>
#include <uapi/linux/twill.h>

#include "table.h"
#include "peer.h"

struct twill_socket;
struct twill_plan;
struct twill_nat;
struct twill_service_table;

/* Defaults sized for a 5,000-node cluster with room to spare. */
#define TWILL_DEFAULT_MAX_PEERS		16384
#define TWILL_DEFAULT_MAX_PREFIXES	BIT(21)
/* The endpoint hash starts small and doubles past two peers a bucket. */
#define TWILL_PEER_HASH_MIN_BITS	6
/*
 * A staged multi-message SET whose owner sends nothing for this long is
 * dropped, so that a silent client cannot lock other writers out.
 */
#define TWILL_STAGE_TIMEOUT		(10 * HZ)

/* Settings read by the datapath; replaced whole under update_lock. */
struct twill_config {
	u16 listen_port;
	u16 port_min, port_max;
	u32 vni;
	u32 fwmark;
	int link;			/* underlay ifindex, 0 = any */
	union twill_endpoint local;	/* family AF_UNSPEC = any */
	u8 ttl, tos, df;
	u8 direct;			/* enum twill_direct */
	bool udp_csum;
	u8 mac[ETH_ALEN];
	struct rcu_head rcu;
};

struct twill_device {
	struct net_device *dev;
	struct net *creating_net;	/* the sockets live here */
	struct list_head device_list;	/* the creating net's list, rtnl */
	struct mutex update_lock;
	struct twill_config __rcu *config;
	struct twill_table table;
	struct list_head peer_list;	/* update_lock */
	struct twill_peer_hash __rcu *peer_hash;	/* RCU readers */
	unsigned long peer_hash_gp;	/* grace period of the last swap */
	u32 num_peers;			/* update_lock */
	u32 max_peers, max_prefixes;	/* update_lock */
	u32 generation;			/* bumped per commit, update_lock */
	u32 commit_seq;			/* commit.c's marks, update_lock */
	struct twill_socket __rcu *sock4;
	struct twill_socket __rcu *sock6;
	struct twill_plan *stage;	/* pending multi-message SET */
	struct delayed_work stage_expiry;	/* drops an abandoned stage */
	bool dead;			/* unregistered; update_lock */
	struct twill_nat *nat;		/* rtnl and update_lock to change */
	struct twill_service_table __rcu *services;	/* update_lock */
	u32 max_services, max_backends;	/* update_lock */
	u32 maglev_size;		/* slots of a service's table */
	struct gro_cells gro_cells;
	struct twill_drops __percpu *drops;
};

int twill_device_module_init(void);
void twill_device_module_exit(void);

bool twill_device_is(const struct net_device *dev);

/* The twill device named by ifindex or ifname, with a reference, or NULL. */
struct twill_device *twill_device_lookup(struct net *net, int ifindex,
					 const char *ifname);
static inline struct twill_config *
twill_device_config(struct twill_device *tdev)
{
	return rcu_dereference_protected(tdev->config,
					 lockdep_is_held(&tdev->update_lock));
}

void twill_device_count_drop(struct twill_device *tdev, struct twill_peer *peer,
			     enum twill_drop reason);

#endif /* _TWILL_DEVICE_H */
