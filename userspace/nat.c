// SPDX-License-Identifier: GPL-2.0
#include "nat.h"
#include "msg.h"
#include "parse.h"
#include "util.h"

#include <inttypes.h>
#include <libmnl/libmnl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NK_BIT(id) (1U << (id))
/* The kernel's bound (kmod/nat.c, nat_policy). */
#define TW_MAX_FLOWS_LIMIT (1U << 24)

#define AT(m) .off = offsetof(struct tw_nat, m), \
	      .size = sizeof(((struct tw_nat *)NULL)->m)
#define AT2(m) .off2 = offsetof(struct tw_nat, m), \
	       .size2 = sizeof(((struct tw_nat *)NULL)->m)

/* ---- parsing what a user gives ---- */

struct list_ctx {
	struct tw_nat *n;
	struct tw_pfx_list *l;
	const char *name;
};

static int prefix_item(void *arg, const char *item)
{
	struct list_ctx *c = arg;
	struct tw_prefix p;

	if (parse_prefix(item, &p))
		return -1;
	if (c->l->n == TWILL_NAT_MAX_PREFIXES)
		return tw_err("too many prefixes in %s (at most %d)", c->name,
			      TWILL_NAT_MAX_PREFIXES);
	c->l->p[c->l->n++] = p;
	return 0;
}

static void sort_list(struct tw_pfx_list *l)
{
	qsort(l->p, l->n, sizeof(l->p[0]), prefix_cmp);
}

static int parse_pfx_list(struct tw_pfx_list *l, const char *v,
			  const char *name)
{
	struct list_ctx c = { NULL, l, name };
	char buf[TW_PREFIX_STRLEN];
	size_t i;

	memset(l, 0, sizeof(*l));
	if (parse_list(v, "prefix", prefix_item, &c))
		return -1;
	if (!l->n)
		return tw_err("missing value for '%s'", name);
	sort_list(l);
	for (i = 1; i < l->n; i++)
		if (prefix_equal(&l->p[i - 1], &l->p[i]))
			return tw_err("duplicate prefix %s in %s",
				      fmt_prefix(&l->p[i], buf), name);
	return 0;
}

static int parse_masq(struct tw_nat *n, const char *v, const char *name)
{
	if (!strcasecmp(v, "off")) {
		memset(&n->masq, 0, sizeof(n->masq));
		n->on = false;
		return 0;
	}
	if (parse_pfx_list(&n->masq, v, name))
		return -1;
	n->on = true;
	return 0;
}

static int parse_excl(struct tw_nat *n, const char *v, const char *name)
{
	if (!strcasecmp(v, "none")) {
		memset(&n->excl, 0, sizeof(n->excl));
		return 0;
	}
	return parse_pfx_list(&n->excl, v, name);
}

static int to_item(void *arg, const char *item)
{
	struct list_ctx *c = arg;
	char what[64];
	struct tw_addr a, *slot;

	snprintf(what, sizeof(what), "%s address", c->name);
	if (parse_unicast(item, what, &a))
		return -1;
	slot = a.family == AF_INET ? &c->n->to4 : &c->n->to6;
	if (slot->family)
		return tw_err("%s: more than one IPv%c address ('%s')", c->name,
			      a.family == AF_INET ? '4' : '6', item);
	*slot = a;
	return 0;
}

static int parse_to(struct tw_nat *n, const char *v, const char *name)
{
	struct list_ctx c = { n, NULL, name };

	memset(&n->to4, 0, sizeof(n->to4));
	memset(&n->to6, 0, sizeof(n->to6));
	if (!strcasecmp(v, "auto"))
		return 0;
	if (parse_list(v, "address", to_item, &c))
		return -1;
	if (!n->to4.family && !n->to6.family)
		return tw_err("missing value for '%s'", name);
	return 0;
}

static int parse_ports(struct tw_nat *n, const char *v, const char *name)
{
	uint32_t lo = 0, hi = 0;

	if (parse_range(v, name, 1, UINT16_MAX, &lo, &hi))
		return -1;
	n->port_min = (uint16_t)lo;
	n->port_max = (uint16_t)hi;
	return 0;
}

static int parse_max_flows(struct tw_nat *n, const char *v, const char *name)
{
	if (parse_u32(v, 1, TW_MAX_FLOWS_LIMIT, &n->max_flows))
		return tw_err("invalid %s '%s' (expected 1-%u)", name, v,
			      TW_MAX_FLOWS_LIMIT);
	return 0;
}

/* ---- printing ---- */

static void print_list(FILE *f, const struct tw_pfx_list *l,
		       const char *sep, const char *empty)
{
	char buf[TW_PREFIX_STRLEN];
	size_t i;

	if (!l->n)
		fputs(empty, f);
	for (i = 0; i < l->n; i++)
		fprintf(f, "%s%s", i ? sep : "", fmt_prefix(&l->p[i], buf));
}

static void print_masq(FILE *f, const struct tw_nat *n, const char *sep)
{
	print_list(f, &n->masq, sep, "off");
}

static void print_excl(FILE *f, const struct tw_nat *n, const char *sep)
{
	print_list(f, &n->excl, sep, "none");
}

static void print_to(FILE *f, const struct tw_nat *n, const char *sep)
{
	char a[TW_ADDR_STRLEN], b[TW_ADDR_STRLEN];

	if (n->to4.family && n->to6.family)
		fprintf(f, "%s%s%s", fmt_addr(&n->to4, a), sep,
			fmt_addr(&n->to6, b));
	else if (n->to4.family || n->to6.family)
		fputs(fmt_addr(n->to4.family ? &n->to4 : &n->to6, a), f);
	else
		fputs("auto", f);
}

static void print_ports(FILE *f, const struct tw_nat *n, const char *sep)
{
	(void)sep;
	fprintf(f, "%u-%u", n->port_min, n->port_max);
}

static void print_max_flows(FILE *f, const struct tw_nat *n, const char *sep)
{
	(void)sep;
	fprintf(f, "%u", n->max_flows);
}

static void json_list(struct json *j, const char *key,
		      const struct tw_pfx_list *l)
{
	char buf[TW_PREFIX_STRLEN];
	size_t i;

	json_arr_open(j, key);
	for (i = 0; i < l->n; i++)
		json_str(j, NULL, fmt_prefix(&l->p[i], buf));
	json_arr_close(j);
}

static void json_masq(struct json *j, const struct tw_nat *n)
{
	json_list(j, "masquerade", &n->masq);
}

static void json_excl(struct json *j, const struct tw_nat *n)
{
	json_list(j, "exclude", &n->excl);
}

static void json_to(struct json *j, const struct tw_nat *n)
{
	char buf[TW_ADDR_STRLEN];

	json_arr_open(j, "to");
	if (n->to4.family)
		json_str(j, NULL, fmt_addr(&n->to4, buf));
	if (n->to6.family)
		json_str(j, NULL, fmt_addr(&n->to6, buf));
	json_arr_close(j);
}

static void json_ports(struct json *j, const struct tw_nat *n)
{
	json_u64(j, "port_min", n->port_min);
	json_u64(j, "port_max", n->port_max);
}

static void json_max_flows(struct json *j, const struct tw_nat *n)
{
	json_u64(j, "max_flows", n->max_flows);
}

/* ---- the keys ---- */

const struct tw_nat_key tw_nat_keys[] = {
	{ "Masquerade", "masquerade", TW_NK_MASQUERADE, parse_masq,
	  print_masq, json_masq, AT(masq) },
	{ "MasqueradeExclude", "exclude", TW_NK_EXCLUDE, parse_excl,
	  print_excl, json_excl, AT(excl) },
	{ "MasqueradeTo", "to", TW_NK_TO, parse_to, print_to, json_to,
	  AT(to4), AT2(to6) },
	{ "MasqueradePorts", "ports", TW_NK_PORTS, parse_ports, print_ports,
	  json_ports, AT(port_min), AT2(port_max) },
	{ "MaxFlows", "max-flows", TW_NK_MAX_FLOWS, parse_max_flows,
	  print_max_flows, json_max_flows, AT(max_flows) },
};

const size_t tw_nat_nkeys = TW_ARRAY_SIZE(tw_nat_keys);

const struct tw_nat_key *nat_key_by_key(const char *key)
{
	const struct tw_nat_key *k;

	tw_for_each_nat_key(k)
		if (!strcasecmp(k->key, key))
			return k;
	return NULL;
}

const struct tw_nat_key *nat_key_by_arg(const char *arg)
{
	const struct tw_nat_key *k;

	tw_for_each_nat_key(k)
		if (!strcmp(k->arg, arg))
			return k;
	return NULL;
}

static const struct tw_nat_key *key_by_id(enum tw_nat_key_id id)
{
	const struct tw_nat_key *k;

	tw_for_each_nat_key(k)
		if (k->id == id)
			return k;
	return NULL;
}

void nat_init(struct tw_nat *n)
{
	memset(n, 0, sizeof(*n));
	n->port_min = TWILL_NAT_DEFAULT_PORT_MIN;
	n->port_max = TWILL_NAT_DEFAULT_PORT_MAX;
	n->max_flows = TWILL_NAT_DEFAULT_MAX_FLOWS;
}

int nat_parse_key(struct tw_nat *n, const struct tw_nat_key *k,
		  const char *value, const char *name)
{
	if (k->parse(n, value, name))
		return -1;
	n->given |= NK_BIT(k->id);
	return 0;
}

static const char *key_name(const struct tw_nat_key *k, bool file)
{
	return file ? k->key : k->arg;
}

int nat_check(const struct tw_nat *n, bool file, enum tw_nat_key_id *bad)
{
	const struct tw_nat_key *k, *m = key_by_id(TW_NK_MASQUERADE);
	bool masq = n->given & NK_BIT(TW_NK_MASQUERADE);

	tw_for_each_nat_key(k) {
		if (k == m || !(n->given & NK_BIT(k->id)))
			continue;
		if (bad)
			*bad = k->id;
		if (masq && !n->on && file)
			return tw_err("%s cannot be combined with Masquerade = off",
				      k->key);
		if (masq && !n->on)
			return tw_err("'%s' cannot be combined with 'off'",
				      k->arg);
		if (!masq && file)
			return tw_err("%s needs Masquerade (a file gives the whole NAT configuration)",
				      key_name(k, file));
	}
	return 0;
}

int nat_parse_args(int argc, char *const argv[], struct tw_nat *args)
{
	const struct tw_nat_key *k;
	int i;

	nat_init(args);
	if (argc == 0)
		return tw_err("nothing to set (masquerade, exclude, to, ports, max-flows or off)");
	if (!strcmp(argv[0], "off") && argc == 1)
		return nat_parse_key(args, key_by_id(TW_NK_MASQUERADE), "off",
				     "off");
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "off"))
			return tw_err("'off' cannot be combined with other arguments");
		k = nat_key_by_arg(argv[i]);
		if (!k)
			return tw_err("unknown argument '%s'", argv[i]);
		if (i + 1 >= argc)
			return tw_err("'%s' needs a value", argv[i]);
		if (args->given & NK_BIT(k->id))
			return tw_err("'%s' given twice", argv[i]);
		i++;
		if (nat_parse_key(args, k, argv[i], k->arg))
			return -1;
	}
	return nat_check(args, false, NULL);
}

static const void *at(const struct tw_nat *n, size_t off)
{
	return (const char *)n + off;
}

static void copy_key(const struct tw_nat_key *k, struct tw_nat *dst,
		     const struct tw_nat *src)
{
	memcpy((char *)dst + k->off, at(src, k->off), k->size);
	memcpy((char *)dst + k->off2, at(src, k->off2), k->size2);
}

static bool same_key(const struct tw_nat_key *k, const struct tw_nat *a,
		     const struct tw_nat *b)
{
	return !memcmp(at(a, k->off), at(b, k->off), k->size) &&
	       !memcmp(at(a, k->off2), at(b, k->off2), k->size2);
}

int nat_merge(const struct tw_nat *cur, const struct tw_nat *args,
	      struct tw_nat *out)
{
	const struct tw_nat_key *k;

	if ((args->given & NK_BIT(TW_NK_MASQUERADE)) && !args->on) {
		nat_init(out);
		out->given = args->given;
		return 0;
	}
	if (cur && cur->on)
		*out = *cur;
	else
		nat_init(out);
	tw_for_each_nat_key(k)
		if (args->given & NK_BIT(k->id))
			copy_key(k, out, args);
	out->given = args->given;
	out->on = out->masq.n > 0;
	if (!out->on)
		return tw_err("NAT is off: 'masquerade PREFIX[,PREFIX...]' turns it on");
	return 0;
}

bool nat_same(const struct tw_nat *a, const struct tw_nat *b)
{
	const struct tw_nat_key *k;

	if (a->on != b->on)
		return false;
	if (!a->on)
		return true;
	tw_for_each_nat_key(k)
		if (!same_key(k, a, b))
			return false;
	return true;
}

/* ---- netlink ---- */

static void put_list(struct nlmsghdr *nlh, uint16_t type,
		     const struct tw_pfx_list *l)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);
	size_t i;

	for (i = 0; i < l->n; i++)
		msg_put_prefix(nlh, &l->p[i]);
	mnl_attr_nest_end(nlh, nest);
}

static void put_addr(struct nlmsghdr *nlh, uint16_t type,
		     const struct tw_addr *a)
{
	if (a->family)
		mnl_attr_put(nlh, type, a->family == AF_INET ? 4 : 16,
			     a->addr);
}

void nat_put(struct nlmsghdr *nlh, const struct tw_nat *n)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, TWILL_A_NAT);

	if (n->on) {
		put_list(nlh, TWILL_NAT_A_MASQUERADE, &n->masq);
		if (n->excl.n)
			put_list(nlh, TWILL_NAT_A_EXCLUDE, &n->excl);
		put_addr(nlh, TWILL_NAT_A_TO4, &n->to4);
		put_addr(nlh, TWILL_NAT_A_TO6, &n->to6);
		mnl_attr_put_u16(nlh, TWILL_NAT_A_PORT_MIN, n->port_min);
		mnl_attr_put_u16(nlh, TWILL_NAT_A_PORT_MAX, n->port_max);
		mnl_attr_put_u32(nlh, TWILL_NAT_A_MAX_FLOWS, n->max_flows);
	}
	mnl_attr_nest_end(nlh, nest);
}

static size_t list_size(const struct tw_pfx_list *l)
{
	size_t i, sz = MNL_ATTR_HDRLEN;

	for (i = 0; i < l->n; i++)
		sz += msg_prefix_size(&l->p[i]);
	return sz;
}

size_t nat_put_size(const struct tw_nat *n)
{
	return MNL_ATTR_HDRLEN + list_size(&n->masq) + list_size(&n->excl) +
	       MNL_ATTR_HDRLEN + 4 + MNL_ATTR_HDRLEN + 16 +
	       3 * (MNL_ATTR_HDRLEN + 4);
}

static int get_list(const struct nlattr *nest, struct tw_pfx_list *l)
{
	const struct nlattr *a;
	struct tw_prefix p;

	memset(l, 0, sizeof(*l));
	mnl_attr_for_each_nested(a, nest) {
		if (l->n == TWILL_NAT_MAX_PREFIXES || msg_parse_prefix(a, &p))
			return -1;
		l->p[l->n++] = p;
	}
	sort_list(l);
	return 0;
}

static int get_addr(const struct nlattr *a, struct tw_addr *out, size_t len)
{
	if (mnl_attr_get_payload_len(a) != len)
		return -1;
	memset(out, 0, sizeof(*out));
	out->family = len == 4 ? AF_INET : AF_INET6;
	memcpy(out->addr, mnl_attr_get_payload(a), len);
	return 0;
}

static int get_u16(const struct nlattr *a, uint16_t *v)
{
	if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
		return -1;
	*v = mnl_attr_get_u16(a);
	return 0;
}

static int get_u32(const struct nlattr *a, uint32_t *v)
{
	if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return -1;
	*v = mnl_attr_get_u32(a);
	return 0;
}

static int nat_attr(const struct nlattr *a, struct tw_nat *n)
{
	switch (mnl_attr_get_type(a)) {
	case TWILL_NAT_A_MASQUERADE:
		return get_list(a, &n->masq);
	case TWILL_NAT_A_EXCLUDE:
		return get_list(a, &n->excl);
	case TWILL_NAT_A_TO4:
		return get_addr(a, &n->to4, 4);
	case TWILL_NAT_A_TO6:
		return get_addr(a, &n->to6, 16);
	case TWILL_NAT_A_PORT_MIN:
		return get_u16(a, &n->port_min);
	case TWILL_NAT_A_PORT_MAX:
		return get_u16(a, &n->port_max);
	case TWILL_NAT_A_MAX_FLOWS:
		return get_u32(a, &n->max_flows);
	case TWILL_NAT_A_NUM_FLOWS:
		return get_u32(a, &n->num_flows);
	case TWILL_NAT_A_BUCKETS:
		return get_u32(a, &n->buckets);
	case TWILL_NAT_A_STATS:
		return msg_parse_u64s(a, n->stats, __TWILL_NAT_STAT_MAX);
	default:
		return 0;
	}
}

int nat_parse_attr(const struct nlattr *nest, struct tw_nat *n)
{
	const struct nlattr *a;

	nat_init(n);
	mnl_attr_for_each_nested(a, nest)
		if (nat_attr(a, n))
			return -1;
	n->on = n->masq.n > 0;
	return 0;
}

/* ---- output ---- */

void nat_config_write(FILE *f, const struct tw_nat *n)
{
	const struct tw_nat_key *k;

	if (!n->on) {
		if (n->given & NK_BIT(TW_NK_MASQUERADE))
			fputs("Masquerade = off\n", f);
		return;
	}
	tw_for_each_nat_key(k) {
		fprintf(f, "%s = ", k->key);
		k->print(f, n, ", ");
		fputc('\n', f);
	}
}

void nat_print_args(FILE *f, const struct tw_nat *n)
{
	const struct tw_nat_key *k;

	if (!n->on) {
		fputs(" off", f);
		return;
	}
	tw_for_each_nat_key(k) {
		fprintf(f, " %s ", k->arg);
		k->print(f, n, ",");
	}
}

static const char *const stat_names[__TWILL_NAT_STAT_MAX] = {
	[TWILL_NAT_STAT_TX_PACKETS] = "tx_packets",
	[TWILL_NAT_STAT_RX_PACKETS] = "rx_packets",
	[TWILL_NAT_STAT_ICMP_ERRORS] = "icmp_errors",
	[TWILL_NAT_STAT_FLOWS_CREATED] = "flows_created",
	[TWILL_NAT_STAT_FLOWS_EXPIRED] = "flows_expired",
	[TWILL_NAT_STAT_DROP_FULL] = "drop_full",
	[TWILL_NAT_STAT_DROP_NO_PORT] = "drop_no_port",
	[TWILL_NAT_STAT_DROP_NO_ADDR] = "drop_no_addr",
	[TWILL_NAT_STAT_DROP_BAD] = "drop_bad",
	[TWILL_NAT_STAT_DROP_NOMEM] = "drop_nomem",
};

void nat_show_human(FILE *f, const char *ifname, const struct tw_nat *n)
{
	const struct tw_nat_key *k;
	const uint64_t *s = n->stats;

	if (!n->on) {
		fprintf(f, "nat %s: off\n", ifname);
		return;
	}
	fprintf(f, "nat %s\n", ifname);
	tw_for_each_nat_key(k) {
		if (k->id == TW_NK_MAX_FLOWS)
			continue;	/* in the flows line */
		fprintf(f, "  %s: ", k->arg);
		k->print(f, n, ", ");
		fputc('\n', f);
	}
	fprintf(f, "  flows: %u / %u (buckets %u)\n", n->num_flows,
		n->max_flows, n->buckets);
	fprintf(f, "  translated: tx %" PRIu64 " rx %" PRIu64
		" icmp-errors %" PRIu64 "\n", s[TWILL_NAT_STAT_TX_PACKETS],
		s[TWILL_NAT_STAT_RX_PACKETS], s[TWILL_NAT_STAT_ICMP_ERRORS]);
	fprintf(f, "  flows created: %" PRIu64 " expired %" PRIu64 "\n",
		s[TWILL_NAT_STAT_FLOWS_CREATED],
		s[TWILL_NAT_STAT_FLOWS_EXPIRED]);
	fprintf(f, "  drops: full %" PRIu64 " no-port %" PRIu64
		" no-address %" PRIu64 " bad %" PRIu64 " nomem %" PRIu64 "\n",
		s[TWILL_NAT_STAT_DROP_FULL], s[TWILL_NAT_STAT_DROP_NO_PORT],
		s[TWILL_NAT_STAT_DROP_NO_ADDR], s[TWILL_NAT_STAT_DROP_BAD],
		s[TWILL_NAT_STAT_DROP_NOMEM]);
}

void nat_json_body(struct json *j, const struct tw_nat *n)
{
	const struct tw_nat_key *k;
	unsigned int i;

	tw_for_each_nat_key(k)
		k->json(j, n);
	json_u64(j, "num_flows", n->num_flows);
	json_u64(j, "buckets", n->buckets);
	json_obj_open(j, "stats");
	for (i = 1; i < __TWILL_NAT_STAT_MAX; i++)
		json_u64(j, stat_names[i], n->stats[i]);
	json_obj_close(j);
}

void nat_show_json(struct json *j, const char *ifname, const struct tw_nat *n)
{
	json_obj_open(j, NULL);
	json_str(j, "ifname", ifname);
	json_bool(j, "nat", n->on);
	if (n->on)
		nat_json_body(j, n);
	json_obj_close(j);
}
