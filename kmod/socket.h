/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device's UDP tunnel sockets.  They live in tdev->creating_net, stay
 * there when the device moves to another namespace, and are replaced whole
 * (open new, publish, wait, release old) under tdev->update_lock.
 */
#ifndef _TWILL_SOCKET_H
#define _TWILL_SOCKET_H

#include <linux/net.h>

#include "peer.h"

struct twill_device;
struct twill_config;

/* What a socket was opened with, so that it can be compared and reopened. */
struct twill_bind {
	u16 port;			/* host order */
	int link;			/* 0 = any */
	union twill_endpoint local;	/* AF_UNSPEC = any */
};

struct twill_socket {
	struct sock *sk;		/* sk->sk_user_data = the twill_device */
	struct twill_bind bind;
};

/*
 * Opens sockets for @cfg's listen port, local address and link and
 * publishes them in tdev->sock4/sock6, then releases the old ones.  If the
 * binding did not change, only the socket mark follows cfg->fwmark.  On
 * failure nothing changes.  Every peer's route cache is reset.  Caller
 * holds tdev->update_lock.
 */
int twill_socket_set(struct twill_device *tdev, const struct twill_config *cfg);
/* Closes both sockets; caller holds tdev->update_lock. */
void twill_socket_clear(struct twill_device *tdev);
/*
 * Forgets every peer's cached underlay route, e.g. after fwmark, local or
 * link changed; caller holds tdev->update_lock.
 */
void twill_socket_reset_routes(struct twill_device *tdev);

#endif /* _TWILL_SOCKET_H */
