// SPDX-License-Identifier: GPL-2.0
#include "rtnl.h"
#include "netlink.h"
#include "util.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_SIZE 1024

/* A failed request: its context before tw_errmsg, errno kept. */
static int __attribute__((format(printf, 1, 2))) req_fail(const char *fmt, ...)
{
	char ctx[128];
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	tw_err_ctx("%s", ctx);
	errno = e;
	return -1;
}

static int addr_len(const struct tw_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

int rtnl_link_set(uint32_t ifindex, bool up, uint32_t mtu)
{
	char buf[MSG_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_flags = up ? IFF_UP : 0;
	ifi->ifi_change = IFF_UP;
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (rtnl_request(nlh))
		return req_fail("setting link %u %s", ifindex,
				  up ? "up" : "down");
	return 0;
}

int rtnl_link_del(uint32_t ifindex)
{
	char buf[MSG_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	nlh->nlmsg_type = RTM_DELLINK;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	if (rtnl_request(nlh))
		return req_fail("deleting link %u", ifindex);
	return 0;
}

int rtnl_veth_add(const char *name, const char *peer, int netns_fd,
		  uint32_t mtu)
{
	char buf[MSG_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *info, *data, *pn;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	pn = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* the peer's ifinfomsg, then its attributes */
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)netns_fd);
	mnl_attr_nest_end(nlh, pn);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	if (rtnl_request(nlh))
		return req_fail("creating veth %s (peer %s)", name, peer);
	return 0;
}

/* An RTM_NEWADDR or RTM_DELADDR of a/plen on the link, in buf. */
static struct nlmsghdr *addr_msg(char *buf, uint16_t type, uint32_t ifindex,
				 const struct tw_addr *a, uint8_t plen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	nlh->nlmsg_type = type;
	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, addr_len(a), a->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, addr_len(a), a->addr);
	return nlh;
}

int rtnl_addr_add(uint32_t ifindex, const struct tw_addr *a, uint8_t plen,
		  uint32_t flags)
{
	char buf[MSG_SIZE];
	struct nlmsghdr *nlh = addr_msg(buf, RTM_NEWADDR, ifindex, a, plen);
	struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);

	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	ifa->ifa_flags = (uint8_t)flags;
	if (flags > 0xff)
		mnl_attr_put_u32(nlh, IFA_FLAGS, flags);
	if (rtnl_request(nlh))
		return req_fail("adding an address to link %u", ifindex);
	return 0;
}

int rtnl_addr_del(uint32_t ifindex, const struct tw_addr *a, uint8_t plen)
{
	char buf[MSG_SIZE];

	if (rtnl_request(addr_msg(buf, RTM_DELADDR, ifindex, a, plen)))
		return req_fail("removing an address from link %u", ifindex);
	return 0;
}

int rtnl_route_add(uint32_t ifindex, const struct tw_addr *dst, uint8_t plen,
		   const struct tw_addr *gw, uint8_t scope)
{
	char buf[MSG_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	rtm->rtm_family = dst->family;
	rtm->rtm_dst_len = plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = scope;
	rtm->rtm_type = RTN_UNICAST;
	if (plen)
		mnl_attr_put(nlh, RTA_DST, addr_len(dst), dst->addr);
	if (gw && gw->family)
		mnl_attr_put(nlh, RTA_GATEWAY, addr_len(gw), gw->addr);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	if (rtnl_request(nlh))
		return req_fail("adding a route to link %u", ifindex);
	return 0;
}

struct entries {
	uint32_t ifindex;
	struct tw_rtnl_entry *v;
	size_t n, cap;
};

static struct tw_rtnl_entry *entry_new(struct entries *e, int family)
{
	struct tw_rtnl_entry *x;

	tw_grow((void **)&e->v, &e->cap, e->n + 1, sizeof(*e->v));
	x = &e->v[e->n++];
	memset(x, 0, sizeof(*x));
	x->ifindex = e->ifindex;
	x->addr.family = (uint8_t)family;
	return x;
}

static void put_addr(struct tw_addr *a, int family, const struct nlattr *at)
{
	size_t len = family == AF_INET ? 4 : 16;

	if (mnl_attr_get_payload_len(at) != len)
		return;
	a->family = (uint8_t)family;
	memcpy(a->addr, mnl_attr_get_payload(at), len);
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct tw_addr local = { 0 }, address = { 0 };
	struct entries *e = data;
	struct tw_rtnl_entry *x;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_index != e->ifindex)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_type(a) == IFA_LOCAL)
			put_addr(&local, ifa->ifa_family, a);
		else if (mnl_attr_get_type(a) == IFA_ADDRESS)
			put_addr(&address, ifa->ifa_family, a);
	}
	x = entry_new(e, ifa->ifa_family);
	x->plen = ifa->ifa_prefixlen;
	/* IFA_LOCAL is the address (IFA_ADDRESS the peer's on p2p); IPv6
	 * has IFA_ADDRESS only */
	x->addr = local.family ? local : address;
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct entries *e = data;
	struct tw_rtnl_entry x = { .plen = rtm->rtm_dst_len };
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_table != RT_TABLE_MAIN ||
	    rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	x.addr.family = rtm->rtm_family;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(a)) {
		case RTA_DST:
			put_addr(&x.addr, rtm->rtm_family, a);
			break;
		case RTA_GATEWAY:
			put_addr(&x.gw, rtm->rtm_family, a);
			break;
		case RTA_OIF:
			x.ifindex = mnl_attr_get_u32(a);
			break;
		}
	}
	if (x.ifindex == e->ifindex)
		*entry_new(e, rtm->rtm_family) = x;
	return MNL_CB_OK;
}

static int dump(int type, uint32_t ifindex, int family, mnl_cb_t cb,
		struct tw_rtnl_entry **v, size_t *n)
{
	char buf[MSG_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct entries e = { .ifindex = ifindex };
	struct rtgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = NLM_F_DUMP;
	g->rtgen_family = (uint8_t)family;
	if (rtnl_dump(nlh, cb, &e)) {
		free(e.v);
		return req_fail("listing %s", type == RTM_GETADDR ?
				  "addresses" : "routes");
	}
	*v = e.v;
	*n = e.n;
	return 0;
}

int rtnl_addrs(uint32_t ifindex, int family, struct tw_rtnl_entry **v,
	       size_t *n)
{
	return dump(RTM_GETADDR, ifindex, family, addr_cb, v, n);
}

int rtnl_routes(uint32_t ifindex, int family, struct tw_rtnl_entry **v,
		size_t *n)
{
	return dump(RTM_GETROUTE, ifindex, family, route_cb, v, n);
}
