/* SPDX-License-Identifier: GPL-2.0 */
/* The rights of kmod/commit.h, as service.c checks them. */
#ifndef _TWILL_COMMIT_H
#define _TWILL_COMMIT_H

enum twill_right {
	TWILL_RIGHT_HOST = 1 << 0,
	TWILL_RIGHT_INIT = 1 << 1,
};

#endif
