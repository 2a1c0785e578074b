/* SPDX-License-Identifier: GPL-2.0 */
/* The part of struct twill_device that service.c uses. */
#ifndef _TWILL_DEVICE_H
#define _TWILL_DEVICE_H

#include "../svc-kernel.h"

struct twill_device {
	struct mutex update_lock;
	struct twill_service_table __rcu *services;
	u32 max_services, max_backends;
	u32 maglev_size;
};

#endif
