/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Refusals: what a client of a service without backends gets at once.
 */
#ifndef _TWILL_REJECT_H
#define _TWILL_REJECT_H

#include <linux/skbuff.h>
#include <linux/types.h>

struct net;

void twill_reject(struct net *net, struct sk_buff *skb, int family,
		  u8 proto, u32 l4off, bool local);

#endif /* _TWILL_REJECT_H */
