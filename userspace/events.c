// SPDX-License-Identifier: GPL-2.0
#include "events.h"
#include "json.h"
#include "model.h"
#include "msg.h"
#include "nat.h"
#include "parse.h"
#include "settings.h"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <string.h>

static const char *event_name(uint8_t cmd)
{
	switch (cmd) {
	case TWILL_CMD_DEVICE_CHANGED:
		return "device_changed";
	case TWILL_CMD_PEER_ADDED:
		return "peer_added";
	case TWILL_CMD_PEER_CHANGED:
		return "peer_changed";
	case TWILL_CMD_PEER_REMOVED:
		return "peer_removed";
	case TWILL_CMD_SERVICES_CHANGED:
		return "services_changed";
	default:
		return NULL;
	}
}

static void print_text(FILE *f, const char *ev, const struct tw_device *d,
		       uint32_t pflags)
{
	char e[TW_EP_STRLEN], m[TW_MAC_STRLEN], x[TW_PREFIX_STRLEN];
	const struct tw_peer *p = d->npeers ? &d->peers[0] : NULL;
	const struct tw_setting *s;
	char v[TW_VALUE_STRLEN];
	size_t i;

	fprintf(f, "%s: %s generation %u", d->ifname, ev, d->generation);
	/* settings as `twill set` takes them */
	tw_for_each_setting(s)
		if (TW_HAS(d, s->field))
			fprintf(f, " %s %s", s->arg, setting_format(s, d, v));
	if (TW_HAS(d, TW_NAT)) {
		fputs(" nat", f);
		nat_print_args(f, &d->nat);
	}
	if (p) {
		fprintf(f, " peer %s", fmt_endpoint(&p->ep, e));
		if (p->has_mac && !mac_is_zero(p->mac))
			fprintf(f, " mac %s", fmt_mac(p->mac, m));
		if (p->has_direct)
			fprintf(f, " direct %s", p->direct ? "on" : "off");
		if (pflags & TWILL_PEER_F_TRUNCATED)
			fputs(" prefixes (truncated)", f);
		else if (p->npfx)
			fputs(" prefixes ", f);
		for (i = 0; i < p->npfx && !(pflags & TWILL_PEER_F_TRUNCATED);
		     i++)
			fprintf(f, "%s%s", i ? "," : "",
				fmt_prefix(&p->pfx[i], x));
	}
	fputc('\n', f);
}

static void print_json(FILE *f, const char *ev, const struct tw_device *d,
		       uint32_t pflags)
{
	char e[TW_EP_STRLEN], m[TW_MAC_STRLEN], x[TW_PREFIX_STRLEN];
	const struct tw_peer *p = d->npeers ? &d->peers[0] : NULL;
	const struct tw_setting *s;
	struct json j;
	size_t i;

	json_init(&j, f, false);
	json_obj_open(&j, NULL);
	json_str(&j, "event", ev);
	json_str(&j, "ifname", d->ifname);
	json_u64(&j, "ifindex", d->ifindex);
	json_u64(&j, "generation", d->generation);
	tw_for_each_setting(s)
		if (TW_HAS(d, s->field))
			setting_json(s, &j, d);
	if (TW_HAS(d, TW_NAT) && d->nat.on) {
		json_obj_open(&j, "nat");
		nat_json_body(&j, &d->nat);
		json_obj_close(&j);
	} else if (TW_HAS(d, TW_NAT)) {
		json_null(&j, "nat");
	}
	if (p) {
		json_str(&j, "endpoint", fmt_endpoint(&p->ep, e));
		if (p->has_mac && !mac_is_zero(p->mac))
			json_str(&j, "mac", fmt_mac(p->mac, m));
		else
			json_null(&j, "mac");
		json_arr_open(&j, "prefixes");
		for (i = 0; i < p->npfx; i++)
			json_str(&j, NULL, fmt_prefix(&p->pfx[i], x));
		json_arr_close(&j);
		if (p->has_direct)
			json_bool(&j, "direct", p->direct);
		json_bool(&j, "truncated",
			  (pflags & TWILL_PEER_F_TRUNCATED) != 0);
	}
	json_obj_close(&j);
	json_end(&j);
}

int event_print(FILE *f, const struct nlmsghdr *nlh,
		const struct monitor_opts *o)
{
	const struct genlmsghdr *g;
	struct tw_device d;
	const char *ev;
	uint32_t pflags = 0;
	int ret = 0;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*g))
		return -1;
	g = mnl_nlmsg_get_payload(nlh);
	ev = event_name(g->cmd);
	if (!ev)
		return 0;
	dev_init(&d);
	/* the kernel leaves an unset local address and NAT off out of
	 * device events */
	if (g->cmd == TWILL_CMD_DEVICE_CHANGED)
		d.mask |= TW_BIT(TW_LOCAL) | TW_BIT(TW_NAT);
	if (parse_device_msg(nlh, &d, &pflags)) {
		ret = -1;
	} else if (!o->ifname || !strcmp(o->ifname, d.ifname)) {
		if (o->json)
			print_json(f, ev, &d, pflags);
		else
			print_text(f, ev, &d, pflags);
		fflush(f);
		ret = 1;
	}
	dev_free(&d);
	return ret;
}
