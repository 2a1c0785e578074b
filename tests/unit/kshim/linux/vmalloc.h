/* SPDX-License-Identifier: GPL-2.0 */
#include "../svc-kernel.h"
