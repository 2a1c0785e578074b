// SPDX-License-Identifier: GPL-2.0
#include "show.h"
#include "nat.h"
#include "parse.h"
#include "settings.h"
#include "util.h"

#include <inttypes.h>
#include <string.h>

static const char *const drop_names[__TWILL_DROP_MAX] = {
	[TWILL_DROP_NO_PEER] = "no_peer",
	[TWILL_DROP_NO_ROUTE] = "no_route",
	[TWILL_DROP_TOO_BIG] = "too_big",
	[TWILL_DROP_LOOP] = "loop",
	[TWILL_DROP_BAD_PROTO] = "bad_proto",
	[TWILL_DROP_NOMEM] = "nomem",
	[TWILL_DROP_UNKNOWN_PEER] = "unknown_peer",
	[TWILL_DROP_BAD_HEADER] = "bad_header",
	[TWILL_DROP_BAD_VNI] = "bad_vni",
	[TWILL_DROP_SPOOFED] = "spoofed",
	[TWILL_DROP_BAD_INNER] = "bad_inner",
};

const char *drop_name(unsigned int reason)
{
	return reason < __TWILL_DROP_MAX ? drop_names[reason] : NULL;
}

void fmt_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < TW_ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.2f %s", v, units[u]);
}

static size_t put_unit(char *buf, size_t len, size_t off, uint64_t n,
		       const char *unit)
{
	int r;

	if (!n || off >= len)
		return off;
	r = snprintf(buf + off, len - off, "%s%" PRIu64 " %s%s",
		     off ? ", " : "", n, unit, n == 1 ? "" : "s");
	return r < 0 ? off : off + (size_t)r;
}

void fmt_ago(char *buf, size_t len, uint64_t then_ns, time_t now)
{
	uint64_t then = then_ns / 1000000000ULL, d;
	size_t off = 0;

	if (!then_ns) {
		snprintf(buf, len, "never");
		return;
	}
	if ((uint64_t)now <= then) {
		snprintf(buf, len, "now");
		return;
	}
	d = (uint64_t)now - then;
	off = put_unit(buf, len, off, d / 86400, "day");
	off = put_unit(buf, len, off, d / 3600 % 24, "hour");
	off = put_unit(buf, len, off, d / 60 % 60, "minute");
	off = put_unit(buf, len, off, d % 60, "second");
	snprintf(buf + off, len - off, " ago");
}

static void print_drops(FILE *f, const uint64_t *drops)
{
	unsigned int i;
	bool any = false;

	for (i = 1; i < __TWILL_DROP_MAX; i++) {
		if (!drops[i])
			continue;
		fprintf(f, "%s%s %" PRIu64, any ? ", " : "  drops: ",
			drop_names[i], drops[i]);
		any = true;
	}
	if (any)
		fputc('\n', f);
}

static void human_settings(FILE *f, const struct tw_device *d)
{
	const struct tw_setting *s;
	char v[TW_VALUE_STRLEN];

	tw_for_each_setting(s) {
		if (!TW_HAS(d, s->field) ||
		    ((s->flags & TW_S_HIDE_UNSET) && setting_is_unset(s, d)))
			continue;
		fprintf(f, "  %s: %s\n", s->label, setting_format(s, d, v));
	}
	if (TW_HAS(d, TW_NUM_PEERS) && TW_HAS(d, TW_NUM_PREFIXES))
		fprintf(f, "  peers: %u, prefixes: %u\n", d->num_peers,
			d->num_prefixes);
	if (TW_HAS(d, TW_NAT) && d->nat.on)
		fprintf(f, "  nat: on, %u flows\n", d->nat.num_flows);
}

static void human_prefixes(FILE *f, const struct tw_peer *p)
{
	char x[TW_PREFIX_STRLEN];
	size_t i;

	fputs("  prefixes: ", f);
	if (!p->npfx)
		fputs("(none)", f);
	for (i = 0; i < p->npfx; i++)
		fprintf(f, "%s%s", i ? ", " : "", fmt_prefix(&p->pfx[i], x));
	fputc('\n', f);
}

static void human_peer(FILE *f, const struct tw_peer *p, time_t now)
{
	char e[TW_EP_STRLEN], m[TW_MAC_STRLEN], rx[32], tx[32], ago[96];

	fprintf(f, "\npeer: %s\n", fmt_endpoint(&p->ep, e));
	if (p->has_mac && !mac_is_zero(p->mac))
		fprintf(f, "  mac: %s\n", fmt_mac(p->mac, m));
	if (p->direct)
		fputs("  direct: on\n", f);
	human_prefixes(f, p);
	fmt_bytes(rx, sizeof(rx), p->rx_bytes);
	fmt_bytes(tx, sizeof(tx), p->tx_bytes);
	fprintf(f, "  transfer: %s received (%" PRIu64 " packets), %s sent (%"
		PRIu64 " packets)\n", rx, p->rx_packets, tx, p->tx_packets);
	fmt_ago(ago, sizeof(ago), p->last_rx_ns, now);
	fprintf(f, "  last rx: %s\n", ago);
	print_drops(f, p->drops);
}

void show_human(FILE *f, const struct tw_device *dev, time_t now)
{
	size_t i;

	fprintf(f, "interface: %s\n", dev->ifname);
	human_settings(f, dev);
	print_drops(f, dev->drops);
	for (i = 0; i < dev->npeers; i++)
		human_peer(f, &dev->peers[i], now);
}

static void json_drops(struct json *j, const uint64_t *drops)
{
	unsigned int i;

	json_obj_open(j, "drops");
	for (i = 1; i < __TWILL_DROP_MAX; i++)
		json_u64(j, drop_names[i], drops[i]);
	json_obj_close(j);
}

static void json_settings(struct json *j, const struct tw_device *d)
{
	const struct tw_setting *s;

	tw_for_each_setting(s)
		setting_json(s, j, d);
	json_u64(j, "num_peers", d->num_peers);
	json_u64(j, "num_prefixes", d->num_prefixes);
	json_u64(j, "generation", d->generation);
	if (TW_HAS(d, TW_NAT) && d->nat.on) {
		json_obj_open(j, "nat");
		nat_json_body(j, &d->nat);
		json_obj_close(j);
	} else {
		json_null(j, "nat");
	}
}

static void json_peer(struct json *j, const struct tw_peer *p)
{
	char e[TW_EP_STRLEN], m[TW_MAC_STRLEN], x[TW_PREFIX_STRLEN];
	size_t i;

	json_obj_open(j, NULL);
	json_str(j, "endpoint", fmt_endpoint(&p->ep, e));
	if (p->has_mac && !mac_is_zero(p->mac))
		json_str(j, "mac", fmt_mac(p->mac, m));
	else
		json_null(j, "mac");
	json_arr_open(j, "prefixes");
	for (i = 0; i < p->npfx; i++)
		json_str(j, NULL, fmt_prefix(&p->pfx[i], x));
	json_arr_close(j);
	json_bool(j, "direct", p->direct);
	json_u64(j, "rx_bytes", p->rx_bytes);
	json_u64(j, "rx_packets", p->rx_packets);
	json_u64(j, "tx_bytes", p->tx_bytes);
	json_u64(j, "tx_packets", p->tx_packets);
	json_u64(j, "last_rx", p->last_rx_ns / 1000000000ULL);
	json_drops(j, p->drops);
	json_obj_close(j);
}

void show_json(struct json *j, const struct tw_device *dev)
{
	size_t i;

	json_obj_open(j, NULL);
	json_str(j, "ifname", dev->ifname);
	json_u64(j, "ifindex", dev->ifindex);
	json_settings(j, dev);
	json_drops(j, dev->drops);
	json_arr_open(j, "peers");
	for (i = 0; i < dev->npeers; i++)
		json_peer(j, &dev->peers[i]);
	json_arr_close(j);
	json_obj_close(j);
}

static uint64_t drop_total(const uint64_t *drops)
{
	uint64_t t = 0;
	unsigned int i;

	for (i = 0; i < __TWILL_DROP_MAX; i++)
		t += drops[i];
	return t;
}

static void dump_peer(FILE *f, const struct tw_device *dev,
		      const struct tw_peer *p, bool with_ifname)
{
	char e[TW_EP_STRLEN], m[TW_MAC_STRLEN], x[TW_PREFIX_STRLEN];
	size_t i;

	if (with_ifname)
		fprintf(f, "%s\t", dev->ifname);
	fprintf(f, "%s\t%s\t", fmt_endpoint(&p->ep, e),
		p->has_mac && !mac_is_zero(p->mac) ? fmt_mac(p->mac, m) :
		"(none)");
	if (!p->npfx)
		fputs("(none)", f);
	for (i = 0; i < p->npfx; i++)
		fprintf(f, "%s%s", i ? "," : "", fmt_prefix(&p->pfx[i], x));
	fprintf(f, "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%"
		PRIu64 "\t%" PRIu64 "\t%s\n", p->rx_bytes, p->rx_packets,
		p->tx_bytes, p->tx_packets, (uint64_t)(p->last_rx_ns / 1000000000U),
		drop_total(p->drops), p->direct ? "on" : "off");
}

void show_dump(FILE *f, const struct tw_device *d, bool with_ifname)
{
	const struct tw_setting *s;
	char v[TW_VALUE_STRLEN];
	size_t i;

	if (with_ifname)
		fprintf(f, "%s\t", d->ifname);
	/*
	 * Columns only ever go at the end of the line, so that scripts that
	 * read one by its number keep working: direct came after the counts.
	 */
	tw_for_each_setting(s)
		if (s->field != TW_DIRECT)
			fprintf(f, "%s\t", setting_format(s, d, v));
	fprintf(f, "%u\t%u\t%u\t%" PRIu64 "\t%s\n", d->num_peers,
		d->num_prefixes, d->generation, drop_total(d->drops),
		setting_format(setting_by_arg("direct"), d, v));
	for (i = 0; i < d->npeers; i++)
		dump_peer(f, d, &d->peers[i], with_ifname);
}
