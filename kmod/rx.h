/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Receive path: the UDP tunnel socket callbacks.  Valid packets are
 * decapsulated and handed to the device's gro_cells.
 */
#ifndef _TWILL_RX_H
#define _TWILL_RX_H

#include <linux/list.h>

struct sock;
struct sk_buff;

/* udp_tunnel_sock_cfg callbacks, sk->sk_user_data is the twill_device. */
int twill_rx_encap_rcv(struct sock *sk, struct sk_buff *skb);
int twill_rx_encap_err_lookup(struct sock *sk, struct sk_buff *skb);
struct sk_buff *twill_rx_gro_receive(struct sock *sk, struct list_head *head,
				     struct sk_buff *skb);
int twill_rx_gro_complete(struct sock *sk, struct sk_buff *skb, int nhoff);

#endif /* _TWILL_RX_H */
