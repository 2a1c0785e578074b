// SPDX-License-Identifier: GPL-2.0
/*
 * Module entry: self-tests first (debug builds), then the table caches, the
 * link type and the generic netlink family, torn down in reverse.
 */

#include <linux/module.h>
#include <linux/init.h>
#include <net/rtnetlink.h>
#include <net/genetlink.h>

#include "device.h"
#include "flow.h"
#include "maglev.h"
#include "nat.h"
#include "netlink.h"
#include "service.h"
#include "table.h"

#ifdef DEBUG
static bool selftest = true;
module_param(selftest, bool, 0444);
MODULE_PARM_DESC(selftest, "debug builds: run the self-tests at load");
static bool bench_table;
module_param(bench_table, bool, 0444);
MODULE_PARM_DESC(bench_table, "debug builds: benchmark the table at load");

/* Debug builds refuse to load when a self-test fails. */
static int __init selftests(void)
{
	if (selftest && (!twill_table_selftest() || !twill_flow_selftest() ||
			 !twill_maglev_selftest()))
		return -ENOTRECOVERABLE;
	if (bench_table)
		twill_table_bench();
	return 0;
}
#else
static int __init selftests(void)
{
	return 0;
}
#endif

static int __init twill_init(void)
{
	int ret;

	ret = twill_table_module_init();
	if (ret)
		return ret;
	ret = twill_nat_module_init();
	if (ret)
		goto err_nat;
	ret = twill_service_module_init();
	if (ret)
		goto err_service;
	/* After the caches they test exist. */
	ret = selftests();
	if (ret)
		goto err_device;
	ret = twill_device_module_init();
	if (ret)
		goto err_device;
	ret = twill_netlink_module_init();
	if (ret)
		goto err_netlink;
	pr_info("twill " TWILL_VERSION " loaded\n");
	return 0;

err_netlink:
	twill_device_module_exit();
err_device:
	twill_service_module_exit();
err_service:
	twill_nat_module_exit();
err_nat:
	twill_table_module_exit();
	return ret;
}

static void __exit twill_exit(void)
{
	twill_netlink_module_exit();
	twill_device_module_exit();
	twill_service_module_exit();
	twill_nat_module_exit();
	twill_table_module_exit();
}

module_init(twill_init);
module_exit(twill_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("twill container overlay device (CIDR peer table, VXLAN)");
MODULE_VERSION(TWILL_VERSION);
MODULE_ALIAS_RTNL_LINK("twill");
MODULE_ALIAS_GENL_FAMILY(TWILL_GENL_NAME);
