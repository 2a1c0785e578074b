// SPDX-License-Identifier: GPL-2.0
#include "diff.h"
#include "nat.h"
#include "settings.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* NAT is one unit: sent whole when it differs (absent in a dump: off). */
static size_t diff_nat(const struct tw_device *cur,
		       const struct tw_device *want, struct tw_device *out)
{
	struct tw_nat off;

	nat_init(&off);
	if (!TW_HAS(want, TW_NAT) ||
	    nat_same(TW_HAS(cur, TW_NAT) ? &cur->nat : &off, &want->nat))
		return 0;
	out->nat = want->nat;
	out->mask |= TW_BIT(TW_NAT);
	return 1;
}

static size_t diff_settings(const struct tw_device *cur,
			    const struct tw_device *want, struct tw_device *out)
{
	const struct tw_setting *s;
	size_t n = 0;

	out->mask = 0;
	tw_for_each_setting(s) {
		if (!TW_HAS(want, s->field))
			continue;
		if (TW_HAS(cur, s->field) && setting_same(s, cur, want))
			continue;
		setting_copy(s, out, want);
		out->mask |= TW_BIT(s->field);
		n++;
	}
	return n + diff_nat(cur, want, out);
}

/*
 * The current peer a wanted one refers to.  Port 0 means the listen port,
 * so "ADDR" and "ADDR:LISTENPORT" name the same peer whichever form the
 * kernel reports.
 */
static struct tw_peer *match_peer(const struct tw_device *cur,
				  const struct tw_device *want,
				  const union tw_sockaddr *ep)
{
	uint16_t lport = TW_HAS(want, TW_LISTEN_PORT) ? want->listen_port :
			 cur->listen_port;
	struct tw_peer *p = dev_find_peer(cur, ep);
	union tw_sockaddr alt = *ep;

	if (p || !lport)
		return p;
	if (!ep_port(ep))
		ep_set_port(&alt, lport);
	else if (ep_port(ep) == lport)
		ep_set_port(&alt, 0);
	else
		return NULL;
	return dev_find_peer(cur, &alt);
}

static bool mac_changed(const struct tw_peer *c, const struct tw_peer *w)
{
	static const uint8_t zero[TW_MAC_LEN];
	const uint8_t *cm = c->has_mac ? c->mac : zero;
	const uint8_t *wm = w->has_mac ? w->mac : zero;

	return memcmp(cm, wm, TW_MAC_LEN) != 0;
}

/* Absent is off, as the kernel starts a peer. */
static bool direct_changed(const struct tw_peer *c, const struct tw_peer *w)
{
	return (c->has_direct && c->direct) != (w->has_direct && w->direct);
}

struct peer_diff {
	struct tw_device *cur;
	const struct tw_peer *c, *w;
	bool *kept;		/* per prefix of c */
	struct tw_peer *o;	/* created on the first change */
	struct tw_device *out;
};

static void ensure_out(struct peer_diff *d)
{
	if (d->o)
		return;
	d->o = dev_get_peer(d->out, &d->c->ep);
	d->o->mode = TW_PFX_DELTA;
}

static void diff_prefixes(struct peer_diff *d)
{
	size_t ci = (size_t)(d->c - d->cur->peers), k, pi, idx;
	struct tw_prefix p;

	for (k = 0; k < d->w->npfx; k++) {
		if (dev_find_prefix(d->cur, &d->w->pfx[k], &pi, &idx) &&
		    pi == ci) {
			d->kept[idx] = true;
			continue;
		}
		ensure_out(d);
		p = d->w->pfx[k];
		p.remove = 0;
		peer_push_prefix(d->o, &p);
	}
	for (k = 0; k < d->c->npfx; k++) {
		if (d->kept[k])
			continue;
		ensure_out(d);
		p = d->c->pfx[k];
		p.remove = 1;
		peer_push_prefix(d->o, &p);
	}
}

static size_t diff_peer(struct tw_device *cur, const struct tw_peer *c,
			const struct tw_peer *w, struct tw_device *out)
{
	struct peer_diff d = { cur, c, w, NULL, NULL, out };

	d.kept = tw_calloc(c->npfx, sizeof(bool));
	if (mac_changed(c, w)) {
		ensure_out(&d);
		d.o->has_mac = true;
		if (w->has_mac)
			memcpy(d.o->mac, w->mac, TW_MAC_LEN);
	}
	if (direct_changed(c, w)) {
		ensure_out(&d);
		d.o->has_direct = true;
		d.o->direct = w->has_direct && w->direct;
	}
	diff_prefixes(&d);
	free(d.kept);
	return d.o ? 1 : 0;
}

static void add_new_peer(struct tw_device *out, const struct tw_peer *w)
{
	struct tw_peer *o = dev_get_peer(out, &w->ep);

	free(o->pfx);
	o->mode = TW_PFX_REPLACE;
	o->has_mac = w->has_mac;
	memcpy(o->mac, w->mac, TW_MAC_LEN);
	o->has_direct = w->has_direct;
	o->direct = w->direct;
	o->npfx = o->cap = w->npfx;
	o->pfx = tw_calloc(w->npfx, sizeof(*o->pfx));
	memcpy(o->pfx, w->pfx, w->npfx * sizeof(*o->pfx));
}

size_t sync_diff(struct tw_device *cur, const struct tw_device *want,
		 struct tw_device *out)
{
	bool *matched = tw_calloc(cur->npeers, sizeof(bool));
	size_t n = diff_settings(cur, want, out), i;
	struct tw_peer *c;

	dev_index_prefixes(cur);
	/* removals first, so prefixes moving between peers are freed */
	for (i = 0; i < want->npeers; i++) {
		c = match_peer(cur, want, &want->peers[i].ep);
		if (c)
			matched[c - cur->peers] = true;
	}
	for (i = 0; i < cur->npeers; i++) {
		if (matched[i])
			continue;
		dev_add_peer(out, &cur->peers[i].ep)->flags =
			TWILL_PEER_F_REMOVE;
		n++;
	}
	for (i = 0; i < want->npeers; i++) {
		c = match_peer(cur, want, &want->peers[i].ep);
		if (c) {
			n += diff_peer(cur, c, &want->peers[i], out);
		} else {
			add_new_peer(out, &want->peers[i]);
			n++;
		}
	}
	free(matched);
	return n;
}
