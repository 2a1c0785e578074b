// SPDX-License-Identifier: GPL-2.0
/*
 * UDP tunnel sockets.  One IPv4 and, unless IPv6 is unavailable or the local
 * address restricts the family, one IPv6 socket per device, bound to the
 * listen port in the namespace that created the device.  Received packets
 * reach rx.c through the encap_rcv and GRO callbacks; tx.c sends through
 * them and routes in their namespace.
 */

#include <linux/ipv6.h>
#include <linux/slab.h>
#include <net/sock.h>
#include <net/udp_tunnel.h>

#include "device.h"
#include "peer.h"
#include "rx.h"
#include "socket.h"

/* Ephemeral port retries when the v6 socket must share a random v4 port. */
#define TWILL_PORT_RETRIES	100

static void bind_from_config(struct twill_bind *b,
			     const struct twill_config *cfg)
{
	memset(b, 0, sizeof(*b));
	b->port = cfg->listen_port;
	b->link = cfg->link;
	if (cfg->local.addr.sa_family == AF_INET) {
		b->local.addr4.sin_family = AF_INET;
		b->local.addr4.sin_addr = cfg->local.addr4.sin_addr;
	} else if (cfg->local.addr.sa_family == AF_INET6) {
		b->local.addr6.sin6_family = AF_INET6;
		b->local.addr6.sin6_addr = cfg->local.addr6.sin6_addr;
		b->local.addr6.sin6_scope_id = cfg->local.addr6.sin6_scope_id;
	}
}

static bool bind_equal(const struct twill_bind *a, const struct twill_bind *b)
{
	return a->port == b->port && a->link == b->link &&
	       !memcmp(&a->local, &b->local, sizeof(a->local));
}

static struct twill_socket *
socket_open(struct net *net, struct twill_device *tdev,
	    const struct twill_bind *b, int family, u16 port, u32 mark)
{
	struct udp_tunnel_sock_cfg tunnel_cfg = {
		.sk_user_data = tdev,
		.encap_type = 1,	/* anything but 0: vxlan does the same */
		.encap_rcv = twill_rx_encap_rcv,
		.encap_err_lookup = twill_rx_encap_err_lookup,
		.gro_receive = twill_rx_gro_receive,
		.gro_complete = twill_rx_gro_complete,
	};
	struct udp_port_cfg port_cfg = {
		.family = family,
		.local_udp_port = htons(port),
		.bind_ifindex = b->link,
	};
	struct twill_socket *ts;
	struct socket *sock;
	int ret;

	if (family == AF_INET) {
		if (b->local.addr.sa_family == AF_INET)
			port_cfg.local_ip = b->local.addr4.sin_addr;
		port_cfg.use_udp_checksums = true;
	} else {
		if (b->local.addr.sa_family == AF_INET6)
			port_cfg.local_ip6 = b->local.addr6.sin6_addr;
		port_cfg.use_udp6_tx_checksums = true;
		port_cfg.use_udp6_rx_checksums = true;
		port_cfg.ipv6_v6only = true;
	}

	ts = kzalloc(sizeof(*ts), GFP_KERNEL_ACCOUNT);
	if (!ts)
		return ERR_PTR(-ENOMEM);
	ret = udp_sock_create(net, &port_cfg, &sock);
	if (ret < 0) {
		kfree(ts);
		return ERR_PTR(ret);
	}
	sock->sk->sk_allocation = GFP_ATOMIC;
	/* ICMP errors are matched to routes with the socket's mark. */
	WRITE_ONCE(sock->sk->sk_mark, mark);
	twill_compat_setup_udp_tunnel_sock(net, sock, &tunnel_cfg);
	/* NICs with VXLAN offload learn the port, as for a vxlan device. */
	twill_compat_udp_tunnel_notify_add_rx_port(sock, UDP_TUNNEL_TYPE_VXLAN);
	ts->sk = sock->sk;
	ts->bind = *b;
	return ts;
}

static void socket_release(struct twill_socket *ts)
{
	if (!ts)
		return;
	twill_compat_udp_tunnel_notify_del_rx_port(ts->sk->sk_socket,
						   UDP_TUNNEL_TYPE_VXLAN);
	twill_compat_udp_tunnel_sock_release(ts->sk->sk_socket);
	kfree(ts);
}

static bool want_family(const struct twill_bind *b, int family)
{
	return b->local.addr.sa_family == AF_UNSPEC ||
	       b->local.addr.sa_family == family;
}

/*
 * Opens the sockets @b asks for.  IPv6 is optional unless the local
 * address is IPv6: with ipv6.disable=1 (or no IPv6 in the kernel) the
 * device runs IPv4 only, like WireGuard.
 */
static int sockets_open(struct twill_device *tdev, const struct twill_bind *b,
			u32 mark, struct twill_socket **new4,
			struct twill_socket **new6)
{
	struct twill_socket *s4 = NULL, *s6 = NULL;
	bool v6_needed = b->local.addr.sa_family == AF_INET6;
	unsigned int retries = 0;
	struct net *net;
	u16 port;
	int ret = 0;

	ASSERT_RTNL();
	*new4 = NULL;
	*new6 = NULL;
	/* Never create sockets in a namespace that is being dismantled. */
	net = tdev->creating_net ? maybe_get_net(tdev->creating_net) : NULL;
	if (!net)
		return -ENONET;
retry:
	port = b->port;
	if (want_family(b, AF_INET)) {
		s4 = socket_open(net, tdev, b, AF_INET, port, mark);
		if (IS_ERR(s4)) {
			ret = PTR_ERR(s4);
			s4 = NULL;
			goto out;
		}
		/* With port 0 both families share the port the kernel chose. */
		port = ntohs(inet_sk(s4->sk)->inet_sport);
	}
	if (want_family(b, AF_INET6) &&
	    (v6_needed || (IS_ENABLED(CONFIG_IPV6) && ipv6_mod_enabled()))) {
		s6 = socket_open(net, tdev, b, AF_INET6, port, mark);
		if (IS_ERR(s6)) {
			ret = PTR_ERR(s6);
			s6 = NULL;
			if (ret == -EAFNOSUPPORT && !v6_needed) {
				ret = 0;
				goto out;
			}
			socket_release(s4);
			s4 = NULL;
			if (ret == -EADDRINUSE && !b->port &&
			    retries++ < TWILL_PORT_RETRIES)
				goto retry;
			goto out;
		}
	}
out:
	put_net(net);
	*new4 = s4;
	*new6 = s6;
	return ret;
}

static void sockets_publish(struct twill_device *tdev, struct twill_socket *s4,
			    struct twill_socket *s6)
{
	struct twill_socket *old4, *old6;

	old4 = rcu_dereference_protected(tdev->sock4,
					 lockdep_is_held(&tdev->update_lock));
	old6 = rcu_dereference_protected(tdev->sock6,
					 lockdep_is_held(&tdev->update_lock));
	rcu_assign_pointer(tdev->sock4, s4);
	rcu_assign_pointer(tdev->sock6, s6);
	if (!old4 && !old6)
		return;
	ASSERT_RTNL();
	/* No transmitter still uses the old sockets after this. */
	synchronize_net();
	socket_release(old4);
	socket_release(old6);
}

void twill_socket_reset_routes(struct twill_device *tdev)
{
	struct twill_peer *peer;

	lockdep_assert_held(&tdev->update_lock);
	/* Lazy and safe against concurrent users of the cache. */
	list_for_each_entry(peer, &tdev->peer_list, list) {
		dst_cache_reset(&peer->dst_cache);
		cond_resched();
	}
}

/* The sockets' binding and mark, if there are any. */
static bool current_bind(struct twill_device *tdev, struct twill_bind *b,
			 u32 *mark)
{
	struct twill_socket *ts;

	ts = rcu_dereference_protected(tdev->sock4,
				       lockdep_is_held(&tdev->update_lock)) ?:
	     rcu_dereference_protected(tdev->sock6,
				       lockdep_is_held(&tdev->update_lock));
	if (!ts)
		return false;
	*b = ts->bind;
	*mark = READ_ONCE(ts->sk->sk_mark);
	return true;
}

static void set_mark(struct twill_device *tdev, u32 mark)
{
	struct twill_socket *s4, *s6;

	s4 = rcu_dereference_protected(tdev->sock4,
				       lockdep_is_held(&tdev->update_lock));
	s6 = rcu_dereference_protected(tdev->sock6,
				       lockdep_is_held(&tdev->update_lock));
	if (s4)
		WRITE_ONCE(s4->sk->sk_mark, mark);
	if (s6)
		WRITE_ONCE(s6->sk->sk_mark, mark);
}

/*
 * Our own sockets may hold the port the new binding wants (same port,
 * overlapping address or link): close them, try again, and if the new
 * binding still cannot be had, put the previous one back as it was.
 * Packets are lost meanwhile; this only happens on reconfiguration.
 */
static int rebind(struct twill_device *tdev, const struct twill_bind *want,
		  u32 mark, const struct twill_bind *prev, u32 prev_mark)
{
	struct twill_socket *new4, *new6;
	int ret, back;

	sockets_publish(tdev, NULL, NULL);
	ret = sockets_open(tdev, want, mark, &new4, &new6);
	if (!ret) {
		sockets_publish(tdev, new4, new6);
		return 0;
	}
	back = sockets_open(tdev, prev, prev_mark, &new4, &new6);
	if (!back) {
		sockets_publish(tdev, new4, new6);
		return ret;
	}
	/*
	 * Someone took the old port in the instant it was free.  Nothing
	 * sane is left to do but say so: the device stays up without
	 * sockets until its port is set again or it is brought up again.
	 */
	netdev_err(tdev->dev, "lost UDP port %u while rebinding (error %d)\n",
		   prev->port, back);
	return ret;
}

int twill_socket_set(struct twill_device *tdev, const struct twill_config *cfg)
{
	struct twill_socket *new4, *new6;
	struct twill_bind want, prev;
	bool have;
	u32 mark;
	int ret;

	lockdep_assert_held(&tdev->update_lock);
	bind_from_config(&want, cfg);
	have = current_bind(tdev, &prev, &mark);
	if (have && bind_equal(&prev, &want)) {
		set_mark(tdev, cfg->fwmark);
		twill_socket_reset_routes(tdev);
		return 0;
	}
	ret = sockets_open(tdev, &want, cfg->fwmark, &new4, &new6);
	if (ret == -EADDRINUSE && have)
		ret = rebind(tdev, &want, cfg->fwmark, &prev, mark);
	else if (!ret)
		sockets_publish(tdev, new4, new6);
	twill_socket_reset_routes(tdev);
	return ret;
}

void twill_socket_clear(struct twill_device *tdev)
{
	lockdep_assert_held(&tdev->update_lock);
	sockets_publish(tdev, NULL, NULL);
}
