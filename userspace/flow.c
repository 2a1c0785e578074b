// SPDX-License-Identifier: GPL-2.0
#include "flow.h"
#include "parse.h"
#include "util.h"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <string.h>

/* ---- parsing ---- */

static int get_addr(const struct nlattr *a, struct tw_addr *out)
{
	size_t len = mnl_attr_get_payload_len(a);

	if (len != 4 && len != 16)
		return -1;
	memset(out, 0, sizeof(*out));
	out->family = len == 4 ? AF_INET : AF_INET6;
	memcpy(out->addr, mnl_attr_get_payload(a), len);
	return 0;
}

static int get_port(const struct nlattr *a, uint16_t *v)
{
	if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
		return -1;
	*v = mnl_attr_get_u16(a);
	return 0;
}

static int flow_attr(const struct nlattr *a, struct tw_flow *fl)
{
	switch (mnl_attr_get_type(a)) {
	case TWILL_FLOW_A_FAMILY:
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return -1;
		fl->family = mnl_attr_get_u16(a);
		return 0;
	case TWILL_FLOW_A_PROTO:
		if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
			return -1;
		fl->proto = mnl_attr_get_u8(a);
		return 0;
	case TWILL_FLOW_A_ORIG_SRC:
		return get_addr(a, &fl->orig_src);
	case TWILL_FLOW_A_ORIG_DST:
		return get_addr(a, &fl->orig_dst);
	case TWILL_FLOW_A_REPLY_SRC:
		return get_addr(a, &fl->reply_src);
	case TWILL_FLOW_A_REPLY_DST:
		return get_addr(a, &fl->reply_dst);
	case TWILL_FLOW_A_ORIG_SPORT:
		return get_port(a, &fl->orig_sport);
	case TWILL_FLOW_A_ORIG_DPORT:
		return get_port(a, &fl->orig_dport);
	case TWILL_FLOW_A_REPLY_SPORT:
		return get_port(a, &fl->reply_sport);
	case TWILL_FLOW_A_REPLY_DPORT:
		return get_port(a, &fl->reply_dport);
	case TWILL_FLOW_A_STATE:
		if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
			return -1;
		fl->state = mnl_attr_get_u8(a);
		return 0;
	case TWILL_FLOW_A_TIMEOUT:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return -1;
		fl->timeout_ms = mnl_attr_get_u32(a);
		return 0;
	default:
		return 0;
	}
}

static int parse_flow(const struct nlattr *nest, struct tw_flow *fl)
{
	const struct nlattr *a;

	memset(fl, 0, sizeof(*fl));
	mnl_attr_for_each_nested(a, nest)
		if (flow_attr(a, fl))
			return -1;
	if (!fl->family)
		fl->family = fl->orig_src.family;
	if (fl->family != AF_INET && fl->family != AF_INET6)
		return -1;
	/* all four addresses, of the flow's family */
	if (fl->orig_src.family != fl->family ||
	    fl->orig_dst.family != fl->family ||
	    fl->reply_src.family != fl->family ||
	    fl->reply_dst.family != fl->family)
		return -1;
	return 0;
}

int parse_flows_msg(const struct nlmsghdr *nlh, tw_flow_cb cb, void *arg)
{
	const struct nlattr *a, *x;
	struct tw_flow fl;
	int ret;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct genlmsghdr))
		return tw_err("malformed reply from the kernel");
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) != TWILL_A_FLOWS)
			continue;
		mnl_attr_for_each_nested(x, a) {
			if (parse_flow(x, &fl))
				return tw_err("malformed flow in reply from the kernel");
			ret = cb(&fl, arg);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* ---- output ---- */

static const char *const state_names[] = {
	[TWILL_FLOW_S_UNREPLIED] = "unreplied",
	[TWILL_FLOW_S_REPLIED] = "replied",
	[TWILL_FLOW_S_ESTABLISHED] = "established",
	[TWILL_FLOW_S_CLOSING] = "closing",
	[TWILL_FLOW_S_CLOSED] = "closed",
	[TWILL_FLOW_S_AFFINITY] = "affinity",
};

static const char *state_name(uint8_t state)
{
	return state < TW_ARRAY_SIZE(state_names) ? state_names[state] :
						     "unknown";
}

/* "tcp", "udp", "icmp", "icmpv6"; NULL for others (printed by number). */
static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	default:
		return NULL;
	}
}

static bool is_icmp(const struct tw_flow *fl)
{
	return fl->proto == IPPROTO_ICMP || fl->proto == IPPROTO_ICMPV6;
}

/* TCP and UDP always; other protocols when the kernel gave ports. */
static bool has_ports(const struct tw_flow *fl)
{
	if (fl->proto == IPPROTO_TCP || fl->proto == IPPROTO_UDP)
		return true;
	return !is_icmp(fl) && (fl->orig_sport || fl->orig_dport ||
				fl->reply_dport);
}

static const char *addr_port(const struct tw_addr *a, uint16_t port,
			     bool with_port, char buf[TW_EP_STRLEN])
{
	char s[TW_ADDR_STRLEN];

	fmt_addr(a, s);
	if (!with_port)
		snprintf(buf, TW_EP_STRLEN, "%s", s);
	else
		snprintf(buf, TW_EP_STRLEN, a->family == AF_INET6 ?
			 "[%s]:%u" : "%s:%u", s, port);
	return buf;
}

/*
 * Whether the destination was translated (a service's flow): replies then
 * come from another address or port than the one the client sent to.
 */
static bool dst_translated(const struct tw_flow *fl)
{
	return !is_icmp(fl) && (fl->reply_sport != fl->orig_dport ||
				memcmp(&fl->reply_src, &fl->orig_dst,
				       sizeof(fl->reply_src)) != 0);
}

void flow_print(FILE *f, const struct tw_flow *fl)
{
	char src[TW_EP_STRLEN], dst[TW_EP_STRLEN], as[TW_EP_STRLEN];
	char to[TW_EP_STRLEN];
	const char *name = proto_name(fl->proto);
	bool ports = has_ports(fl);

	if (name)
		fprintf(f, "%s ", name);
	else
		fprintf(f, "proto %u ", fl->proto);
	addr_port(&fl->orig_src, fl->orig_sport, ports, src);
	addr_port(&fl->orig_dst, fl->orig_dport, ports, dst);
	addr_port(&fl->reply_dst, fl->reply_dport, ports, as);
	if (is_icmp(fl)) {
		fprintf(f, "%s id %u -> %s as %s id %u", src, fl->orig_sport,
			dst, as, fl->reply_dport);
	} else if (dst_translated(fl)) {
		addr_port(&fl->reply_src, fl->reply_sport, ports, to);
		fprintf(f, "%s -> %s to %s as %s", src, dst, to, as);
	} else {
		fprintf(f, "%s -> %s as %s", src, dst, as);
	}
	fprintf(f, " %s %us\n", state_name(fl->state), fl->timeout_ms / 1000);
}

static void json_tuple(struct json *j, const char *key,
		       const struct tw_addr *src, const struct tw_addr *dst,
		       uint16_t sport, uint16_t dport)
{
	char buf[TW_ADDR_STRLEN];

	json_obj_open(j, key);
	json_str(j, "src", fmt_addr(src, buf));
	json_str(j, "dst", fmt_addr(dst, buf));
	json_u64(j, "sport", sport);
	json_u64(j, "dport", dport);
	json_obj_close(j);
}

void flow_json(struct json *j, const struct tw_flow *fl)
{
	const char *name = proto_name(fl->proto);

	json_obj_open(j, NULL);
	json_str(j, "family", fl->family == AF_INET ? "inet" : "inet6");
	if (name)
		json_str(j, "proto", name);
	else
		json_u64(j, "proto", fl->proto);
	json_tuple(j, "orig", &fl->orig_src, &fl->orig_dst, fl->orig_sport,
		   fl->orig_dport);
	json_tuple(j, "reply", &fl->reply_src, &fl->reply_dst,
		   fl->reply_sport, fl->reply_dport);
	json_str(j, "state", state_name(fl->state));
	json_u64(j, "timeout_ms", fl->timeout_ms);
	json_obj_close(j);
}
