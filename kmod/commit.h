/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A configuration change as a plan: netlink parses one or more messages
 * into it, then twill_plan_commit() checks the whole of it against the
 * device and applies it in one go, or refuses it and changes nothing.
 */
#ifndef _TWILL_COMMIT_H
#define _TWILL_COMMIT_H

#include <linux/netlink.h>
#include <net/sock.h>
#include "peer.h"

struct twill_device;
struct twill_nat_config;
struct twill_plan;
struct twill_plan_peer;
struct twill_service_plan;

/*
 * Settings a plan overrides: integer attributes by attribute number (bit n
 * of @present is attribute n), plus the two that are not integers.
 */
struct twill_settings {
	u64 present;
	u32 val[TWILL_A_MAX + 1];
	union twill_endpoint local;
	u8 mac[ETH_ALEN];
};

static inline bool twill_settings_has(const struct twill_settings *s, int attr)
{
	return s->present & BIT_ULL(attr);
}

/* What a caller may change besides the device's peers (twill_plan_commit). */
enum twill_right {
	/* CAP_NET_ADMIN where the device was created: sockets, marks, link */
	TWILL_RIGHT_HOST = BIT(0),
	/* CAP_NET_ADMIN in the initial user namespace: limits past defaults */
	TWILL_RIGHT_INIT = BIT(1),
};

/*
 * A plan belongs to the socket that started it (a reference is held), and
 * lives until it is committed or dropped: by a refused message, by the
 * device going away, when its socket is closed (abandoned), or after
 * TWILL_STAGE_TIMEOUT without a message (expired).
 */
struct twill_plan *twill_plan_new(struct twill_device *tdev, struct sock *owner);
void twill_plan_free(struct twill_plan *plan);
bool twill_plan_owned_by(const struct twill_plan *plan, const struct sock *sk);
bool twill_plan_abandoned(const struct twill_plan *plan);
void twill_plan_touch(struct twill_plan *plan);
bool twill_plan_expired(const struct twill_plan *plan);
/* A held plan is being committed: it neither expires nor takes messages. */
void twill_plan_hold(struct twill_plan *plan, bool held);
/* Committing it may reopen the sockets, which needs rtnl. */
bool twill_plan_needs_rtnl(const struct twill_plan *plan);

void twill_plan_set_flags(struct twill_plan *plan, u32 flags);
/* Replaces the device's NAT config (NULL: off); the plan owns @cfg. */
void twill_plan_nat(struct twill_plan *plan, struct twill_nat_config *cfg);
/* Where TWILL_CMD_SET_SERVICES messages stage their part (service.c). */
struct twill_service_plan **twill_plan_services(struct twill_plan *plan);
void twill_plan_settings(struct twill_plan *plan,
			 const struct twill_settings *settings);
/* The device's listen port as the plan would leave it. */
u16 twill_plan_listen_port(struct twill_plan *plan, struct twill_device *tdev);

struct twill_plan_peer *twill_plan_peer(struct twill_plan *plan,
					const union twill_endpoint *endpoint,
					u32 flags, const u8 *mac,
					int direct);
int twill_plan_prefix(struct twill_plan *plan, struct twill_plan_peer *ppeer,
		      int family, const void *addr, u8 cidr, bool remove);

int twill_plan_commit(struct twill_device *tdev, struct twill_plan *plan,
		      u32 rights, struct netlink_ext_ack *extack);

#endif /* _TWILL_COMMIT_H */
