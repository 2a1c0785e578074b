// SPDX-License-Identifier: GPL-2.0
#include "apply.h"
#include "diff.h"
#include "service.h"
#include "util.h"

#include <string.h>

int apply_set(struct tw_nl *nl, const struct tw_device *dev, const char *cmd)
{
	struct tw_build b = { .family = nl->family, .seq = nl->seq + 1 };
	struct tw_batch batch;
	int ret;

	build_set_all(dev, &b, &batch);
	ret = nl_send_batch(nl, &batch);
	batch_free(&batch);
	if (ret)
		tw_err_ctx("%s %s", cmd, dev->ifname);
	return ret;
}

int apply_sync(struct tw_nl *nl, const struct tw_device *want,
	       const char *cmd, size_t *changes)
{
	struct tw_services svcs = { 0 };
	struct tw_device cur, out;
	size_t n = 0;
	int ret;

	dev_init(&cur);
	dev_init(&out);
	cur.ifindex = out.ifindex = want->ifindex;
	memcpy(cur.ifname, want->ifname, IFNAMSIZ);
	memcpy(out.ifname, want->ifname, IFNAMSIZ);
	/* the link's name comes from the kernel, which knows the namespace
	 * it lives in */
	ret = nl_get_device(nl, &cur);
	/* services only when the file has some: they are left alone else */
	if (!ret && want->has_services && nl_dump_services(nl, &cur, &svcs))
		ret = -1;
	if (ret)
		tw_err_ctx("%s %s", cmd, want->ifname);
	else
		n = sync_diff(&cur, want, &out);
	if (!ret && want->has_services)
		n += service_sync_diff(&svcs, want->svcs, want->nsvcs, &out);
	if (!ret && n)
		ret = apply_set(nl, &out, cmd);
	if (changes)
		*changes = ret ? 0 : n;
	services_free(&svcs);
	dev_free(&cur);
	dev_free(&out);
	return ret;
}
