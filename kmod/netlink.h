/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "twill" generic netlink family: GET (dump), SET (staged, atomic
 * commits), LOOKUP, and change notifications.
 */
#ifndef _TWILL_NETLINK_H
#define _TWILL_NETLINK_H

#include <uapi/linux/twill.h>

struct twill_device;
struct twill_peer;

int twill_netlink_module_init(void);
void twill_netlink_module_exit(void);

struct work_struct;

/* Drops a pending multi-message SET; update_lock held. */
void twill_netlink_stage_free(struct twill_device *tdev);
/* tdev->stage_expiry: drops a stage whose owner fell silent. */
void twill_netlink_stage_expire(struct work_struct *work);

/* Change notifications; update_lock held, sent only if someone listens. */
void twill_netlink_notify_device(struct twill_device *tdev);
void twill_netlink_notify_services(struct twill_device *tdev);
void twill_netlink_notify_peer(struct twill_device *tdev,
			       struct twill_peer *peer, enum twill_cmd cmd);

#endif /* _TWILL_NETLINK_H */
