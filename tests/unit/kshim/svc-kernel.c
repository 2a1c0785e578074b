// SPDX-License-Identifier: GPL-2.0
/* The netlink attribute helpers of svc-kernel.h. */
#include "svc-kernel.h"

static int validate(const struct nlattr *a, const struct nla_policy *p,
		    struct netlink_ext_ack *extack)
{
	static const int fixed[] = { [NLA_U8] = 1, [NLA_U16] = 2,
				     [NLA_U32] = 4 };
	const struct nlattr *pos;
	s64 v = 0;
	int rem;

	if (p->type == NLA_UNSPEC) {
		NL_SET_ERR_MSG_ATTR(extack, a, "Unknown attribute type");
		return -EINVAL;
	}
	if (p->type <= NLA_U32) {
		if (nla_len(a) != fixed[p->type]) {
			NL_SET_ERR_MSG_ATTR(extack, a, "Attribute of wrong size");
			return -EINVAL;
		}
		v = p->type == NLA_U8 ? nla_get_u8(a) :
		    p->type == NLA_U16 ? nla_get_u16(a) : nla_get_u32(a);
	}
	if (p->type == NLA_BINARY && p->len && nla_len(a) > p->len) {
		NL_SET_ERR_MSG_ATTR(extack, a, "Attribute too long");
		return -EINVAL;
	}
	if ((p->validation_type == NLA_VALIDATE_MIN && v < p->min) ||
	    (p->validation_type == NLA_VALIDATE_MAX && v > p->max) ||
	    (p->validation_type == NLA_VALIDATE_RANGE_PTR &&
	     ((u64)v < p->range->min || (u64)v > p->range->max))) {
		NL_SET_ERR_MSG_ATTR(extack, a, "integer out of range");
		return -ERANGE;
	}
	if (p->type == NLA_NESTED_ARRAY) {
		struct nlattr *tb[32];

		nla_for_each_nested(pos, a, rem) {
			int ret = nla_parse_nested(tb, 31, pos, p->nested,
						   extack);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Strict, as the kernel's: unknown and out-of-policy attributes fail. */
int nla_parse_nested(struct nlattr **tb, int max, const struct nlattr *nla,
		     const struct nla_policy *policy,
		     struct netlink_ext_ack *extack)
{
	const struct nlattr *pos;
	int rem, type, ret;

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	nla_for_each_nested(pos, nla, rem) {
		type = nla_type(pos);
		if (!type || type > max) {
			NL_SET_ERR_MSG_ATTR(extack, pos, "Unknown attribute type");
			return -EINVAL;
		}
		ret = validate(pos, &policy[type], extack);
		if (ret)
			return ret;
		tb[type] = (struct nlattr *)pos;
	}
	if (rem) {
		NL_SET_ERR_MSG(extack, "trailing bytes");
		return -EINVAL;
	}
	return 0;
}

int nla_put(struct sk_buff *skb, int type, int len, const void *data)
{
	unsigned int total = NLA_ALIGN(NLA_HDRLEN + (unsigned int)len);
	struct nlattr *a;

	if (skb->len + total > skb->size)
		return -EMSGSIZE;
	a = (struct nlattr *)(skb->data + skb->len);
	a->nla_type = (u16)type;
	a->nla_len = (u16)(NLA_HDRLEN + len);
	if (len)
		memcpy(nla_data(a), data, (size_t)len);
	memset((char *)nla_data(a) + len, 0, total - NLA_HDRLEN - len);
	skb->len += total;
	return 0;
}

struct nlattr *nla_nest_start(struct sk_buff *skb, int type)
{
	struct nlattr *a = (struct nlattr *)(skb->data + skb->len);

	if (nla_put(skb, type | NLA_F_NESTED, 0, NULL))
		return NULL;
	return a;
}

void nla_nest_end(struct sk_buff *skb, struct nlattr *nest)
{
	nest->nla_len = (u16)(skb->data + skb->len - (char *)nest);
}

void nla_nest_cancel(struct sk_buff *skb, struct nlattr *nest)
{
	skb->len = (unsigned int)((char *)nest - skb->data);
}
