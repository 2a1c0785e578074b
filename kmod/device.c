// SPDX-License-Identifier: GPL-2.0
/*
 * The twill link type: an L3 point-to-point device (no ARP, no link-layer
 * address) whose VXLAN sockets live in the namespace that created it, even
 * after the device itself moves into a container's namespace.
 */

#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <net/rtnetlink.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "device.h"
#include "netlink.h"
#include "service.h"
#include "socket.h"
#include "tx.h"

/* Outer IPv4 + UDP + VXLAN + inner Ethernet. */
#define TWILL_OVERHEAD4		50
#define TWILL_DEFAULT_MTU	(ETH_DATA_LEN - TWILL_OVERHEAD4)

/*
 * Every twill device, for the pre_exit of its creating namespace and for
 * netlink's socket release.  Lock order: rtnl -> device_list_lock ->
 * update_lock.
 */
static LIST_HEAD(device_list);
static DEFINE_MUTEX(device_list_lock);

static struct twill_config *default_config(void)
{
	struct twill_config *cfg = kzalloc(sizeof(*cfg), GFP_KERNEL_ACCOUNT);

	if (!cfg)
		return NULL;
	cfg->listen_port = TWILL_DEFAULT_PORT;
	cfg->vni = TWILL_DEFAULT_VNI;
	/* The kernel vxlan device's default source port range. */
	cfg->port_min = 32768;
	cfg->port_max = 60999;
	cfg->df = TWILL_DF_SET;
	cfg->udp_csum = true;
	eth_random_addr(cfg->mac);
	return cfg;
}

static int twill_open(struct net_device *dev)
{
	struct twill_device *tdev = netdev_priv(dev);
	int ret;

	mutex_lock(&tdev->update_lock);
	ret = twill_socket_set(tdev, twill_device_config(tdev));
	mutex_unlock(&tdev->update_lock);
	return ret;
}

static int twill_stop(struct net_device *dev)
{
	struct twill_device *tdev = netdev_priv(dev);

	mutex_lock(&tdev->update_lock);
	twill_socket_clear(tdev);
	mutex_unlock(&tdev->update_lock);
	return 0;
}

/* What ndo_init allocates, freed by the destructor. */
static void free_state(struct twill_device *tdev)
{
	twill_peer_hash_free(tdev);
	free_percpu(tdev->drops);
	tdev->drops = NULL;
}

static int twill_init(struct net_device *dev)
{
	struct twill_device *tdev = netdev_priv(dev);
	int ret;

	tdev->drops = alloc_percpu_gfp(struct twill_drops, GFP_KERNEL_ACCOUNT);
	if (!tdev->drops)
		return -ENOMEM;
	ret = twill_peer_hash_init(tdev);
	if (ret)
		goto err;
	ret = gro_cells_init(&tdev->gro_cells, dev);
	if (ret)
		goto err;
	return 0;

err:
	free_state(tdev);
	return ret;
}

/*
 * Runs under rtnl when the device is unregistered; readers may remain.  A
 * netlink writer may already hold a reference to the device: it takes
 * update_lock after us, sees @dead and changes nothing, so no peer or
 * stage can be created after this.
 */
static void twill_uninit(struct net_device *dev)
{
	struct twill_device *tdev = netdev_priv(dev);

	ASSERT_RTNL();
	mutex_lock(&device_list_lock);
	list_del(&tdev->device_list);
	mutex_unlock(&device_list_lock);
	mutex_lock(&tdev->update_lock);
	tdev->dead = true;
	twill_netlink_stage_free(tdev);
	twill_socket_clear(tdev);
	twill_peer_remove_all(tdev);
	twill_service_flush(tdev);
	mutex_unlock(&tdev->update_lock);
	/* The expiry work takes update_lock: never wait for it under it. */
	cancel_delayed_work_sync(&tdev->stage_expiry);
	gro_cells_destroy(&tdev->gro_cells);
}

/*
 * After the last reference, or when register_netdevice() fails after
 * ndo_init: nothing can reach the device any more.  Clears the config so
 * that newlink can tell whether it still owns it.
 */
static void twill_destruct(struct net_device *dev)
{
	struct twill_device *tdev = netdev_priv(dev);

	/* Uncontended: for the table's lockdep assertions. */
	mutex_lock(&tdev->update_lock);
	twill_table_free(&tdev->table);
	mutex_unlock(&tdev->update_lock);
	free_state(tdev);
	kfree(rcu_dereference_protected(tdev->config, true));
	RCU_INIT_POINTER(tdev->config, NULL);
}

static const struct net_device_ops netdev_ops = {
	.ndo_init		= twill_init,
	.ndo_uninit		= twill_uninit,
	.ndo_open		= twill_open,
	.ndo_stop		= twill_stop,
	.ndo_start_xmit		= twill_tx_xmit,
	.ndo_get_stats64	= dev_get_tstats64,
};

static void twill_setup(struct net_device *dev)
{
	struct twill_device *tdev = netdev_priv(dev);

	dev->netdev_ops = &netdev_ops;
	dev->header_ops = NULL;
	dev->type = ARPHRD_NONE;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->mtu = TWILL_DEFAULT_MTU;
	dev->min_mtu = 68;
	dev->max_mtu = IP_MAX_MTU - TWILL_OVERHEAD4;
	dev->needs_free_netdev = true;
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;
	dev->priv_destructor = twill_destruct;
	twill_compat_set_lltx(dev);
	twill_tx_setup_features(dev);

	memset(tdev, 0, sizeof(*tdev));
	tdev->dev = dev;
	mutex_init(&tdev->update_lock);
	twill_table_init(&tdev->table, &tdev->update_lock);
	INIT_LIST_HEAD(&tdev->peer_list);
	INIT_LIST_HEAD(&tdev->device_list);
	INIT_DELAYED_WORK(&tdev->stage_expiry, twill_netlink_stage_expire);
	tdev->max_peers = TWILL_DEFAULT_MAX_PEERS;
	tdev->max_prefixes = TWILL_DEFAULT_MAX_PREFIXES;
	tdev->max_services = TWILL_SERVICE_DEFAULT_MAX_SERVICES;
	tdev->max_backends = TWILL_SERVICE_DEFAULT_MAX_BACKENDS;
	tdev->maglev_size = TWILL_MAGLEV_DEFAULT_SIZE;
}

static struct netlink_range_validation vni_range = {
	.max = TWILL_VNI_MAX,
};

static const struct nla_policy link_policy[IFLA_TWILL_MAX + 1] = {
	[IFLA_TWILL_PORT]	= NLA_POLICY_MIN(NLA_U16, 1),
	[IFLA_TWILL_VNI]	= NLA_POLICY_FULL_RANGE(NLA_U32, &vni_range),
};

static int twill_validate(struct nlattr *tb[], struct nlattr *data[],
			  struct netlink_ext_ack *extack)
{
	if (tb[IFLA_ADDRESS] || tb[IFLA_BROADCAST]) {
		NL_SET_ERR_MSG(extack,
			       "twill devices are L3 and have no link-layer address; set the VTEP MAC with 'twill set DEV mac M'");
		return -EOPNOTSUPP;
	}
	if (tb[IFLA_MTU]) {
		u32 mtu = nla_get_u32(tb[IFLA_MTU]);

		if (mtu < 68 || mtu > IP_MAX_MTU - TWILL_OVERHEAD4) {
			NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_MTU],
					    "MTU out of range for twill");
			return -EINVAL;
		}
	}
	return 0;
}

static void apply_link_data(struct twill_config *cfg, struct nlattr *data[])
{
	if (!data)
		return;
	if (data[IFLA_TWILL_PORT])
		cfg->listen_port = nla_get_u16(data[IFLA_TWILL_PORT]);
	if (data[IFLA_TWILL_VNI])
		cfg->vni = nla_get_u32(data[IFLA_TWILL_VNI]);
}

static int twill_newlink_common(struct net *src_net, struct net_device *dev,
				struct nlattr *data[],
				struct netlink_ext_ack *extack)
{
	struct twill_device *tdev = netdev_priv(dev);
	struct twill_config *cfg;
	int ret;

	cfg = default_config();
	if (!cfg)
		return -ENOMEM;
	apply_link_data(cfg, data);
	RCU_INIT_POINTER(tdev->config, cfg);
	tdev->creating_net = src_net;

	ret = register_netdevice(dev);
	if (ret) {
		/* NULL if the destructor already ran; not if ndo_init failed. */
		kfree(rcu_dereference_protected(tdev->config, true));
		return ret;
	}
	mutex_lock(&device_list_lock);
	list_add(&tdev->device_list, &device_list);
	mutex_unlock(&device_list_lock);
	return 0;
}

TWILL_COMPAT_NEWLINK(twill_newlink, twill_newlink_common);

static size_t twill_get_size(const struct net_device *dev)
{
	return nla_total_size(sizeof(u16)) + nla_total_size(sizeof(u32));
}

static int twill_fill_info(struct sk_buff *skb, const struct net_device *dev)
{
	struct twill_device *tdev = netdev_priv(dev);
	struct twill_config *cfg;
	int ret;

	rcu_read_lock();
	cfg = rcu_dereference(tdev->config);
	ret = nla_put_u16(skb, IFLA_TWILL_PORT, cfg->listen_port) ||
	      nla_put_u32(skb, IFLA_TWILL_VNI, cfg->vni);
	rcu_read_unlock();
	return ret ? -EMSGSIZE : 0;
}

static struct rtnl_link_ops link_ops __read_mostly = {
	.kind		= "twill",
	.priv_size	= sizeof(struct twill_device),
	.maxtype	= IFLA_TWILL_MAX,
	.policy		= link_policy,
	.setup		= twill_setup,
	.validate	= twill_validate,
	.newlink	= twill_newlink,
	.get_size	= twill_get_size,
	.fill_info	= twill_fill_info,
};

/*
 * The creating namespace is going away while the device may live on in
 * another one: close the sockets now, as they do not pin the namespace,
 * and drop every cached route into it at once (a lazy reset would keep
 * the routes, and their devices, until the next packet).
 */
static void orphan(struct twill_device *tdev)
{
	struct twill_peer *peer;

	mutex_lock(&tdev->update_lock);
	twill_socket_clear(tdev);
	tdev->creating_net = NULL;
	list_for_each_entry(peer, &tdev->peer_list, list) {
		dst_cache_reset_now(&peer->dst_cache);
		cond_resched();
	}
	mutex_unlock(&tdev->update_lock);
}

static void twill_netns_pre_exit(struct net *net)
{
	struct twill_device *tdev;

	/* Closing a tunnel socket tells NICs about the port: needs rtnl. */
	rtnl_lock();
	mutex_lock(&device_list_lock);
	list_for_each_entry(tdev, &device_list, device_list)
		if (tdev->creating_net == net)
			orphan(tdev);
	mutex_unlock(&device_list_lock);
	rtnl_unlock();
}

static struct pernet_operations pernet_ops = {
	.pre_exit = twill_netns_pre_exit,
};

bool twill_device_is(const struct net_device *dev)
{
	return dev->rtnl_link_ops == &link_ops;
}

struct twill_device *twill_device_lookup(struct net *net, int ifindex,
					 const char *ifname)
{
	struct net_device *dev;

	if (ifindex)
		dev = dev_get_by_index(net, ifindex);
	else
		dev = dev_get_by_name(net, ifname);
	if (!dev)
		return NULL;
	if (dev->rtnl_link_ops != &link_ops) {
		dev_put(dev);
		return ERR_PTR(-EOPNOTSUPP);
	}
	return netdev_priv(dev);
}

void twill_device_count_drop(struct twill_device *tdev, struct twill_peer *peer,
			     enum twill_drop reason)
{
	twill_drops_count(tdev->drops, reason);
	if (peer)
		twill_peer_count_drop(peer, reason);
}

int twill_device_module_init(void)
{
	int ret;

	ret = register_pernet_device(&pernet_ops);
	if (ret)
		return ret;
	ret = rtnl_link_register(&link_ops);
	if (ret)
		goto err_link;
	return 0;

err_link:
	unregister_pernet_device(&pernet_ops);
	return ret;
}

void twill_device_module_exit(void)
{
	rtnl_link_unregister(&link_ops);
	unregister_pernet_device(&pernet_ops);
	rcu_barrier();
}
