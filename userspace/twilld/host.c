// SPDX-License-Identifier: GPL-2.0
#include "host.h"
#include "cluster.h"
#include "netlink.h"
#include "parse.h"
#include "rtnl.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t link_mtu(const char *ifname)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint32_t mtu = 0;

	if (fd < 0)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!ioctl(fd, SIOCGIFMTU, &ifr))
		mtu = (uint32_t)ifr.ifr_mtu;
	close(fd);
	return mtu;
}

static bool usable(const struct ifaddrs *ifa, const char *iface)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ifa->ifa_addr;
	char a[INET_ADDRSTRLEN];

	if (!sin || sin->sin_family != AF_INET)
		return false;
	if (iface) {
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		return !strcmp(ifa->ifa_name, iface) || !strcmp(a, iface);
	}
	return (ifa->ifa_flags & IFF_UP) && !(ifa->ifa_flags & IFF_LOOPBACK) &&
	       (ntohl(sin->sin_addr.s_addr) >> 24) != 127;
}

int host_public_ip(const char *want, const char *iface, struct tw_addr *ip,
		   uint32_t *mtu)
{
	struct ifaddrs *list, *ifa;
	const struct sockaddr_in *sin;
	bool found = false;

	memset(ip, 0, sizeof(*ip));
	*mtu = 0;
	if (want && parse_unicast(want, "--public-ip", ip))
		return -1;
	if (want && ip->family != AF_INET)
		return tw_err("--public-ip %s: twilld needs an IPv4 address", want);
	if (getifaddrs(&list))
		return tw_err("getifaddrs: %s", strerror(errno));
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		sin = (const struct sockaddr_in *)ifa->ifa_addr;
		if (want) {
			if (sin && sin->sin_family == AF_INET &&
			    !memcmp(&sin->sin_addr, ip->addr, 4)) {
				*mtu = link_mtu(ifa->ifa_name);
				break;
			}
			continue;
		}
		if (!usable(ifa, iface))
			continue;
		ip->family = AF_INET;
		memcpy(ip->addr, &sin->sin_addr, 4);
		*mtu = link_mtu(ifa->ifa_name);
		found = true;
		break;
	}
	freeifaddrs(list);
	if (want || found)
		return 0;
	if (iface)
		return tw_err("--iface %s: no such interface with an IPv4 address",
			      iface);
	return tw_err("no interface with an IPv4 address: give --public-ip or --iface");
}

int host_ensure_link(const char *name, uint32_t *ifindex)
{
	char buf[512], kind[32];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nlattr *info;

	if (!link_kind(name, ifindex, kind, sizeof(kind))) {
		if (strcmp(kind, "twill") != 0)
			return tw_err("%s exists and is not a twill device (%s)",
				      name, kind[0] ? kind : "no kind");
		return 0;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "twill");
	mnl_attr_nest_end(nlh, info);
	if (rtnl_request(nlh))
		return tw_err_ctx("creating %s (is the twill module available?)",
				  name);
	return link_kind(name, ifindex, kind, sizeof(kind));
}

int host_configure(uint32_t ifindex, uint32_t mtu, uint32_t addr,
		   uint32_t network, uint8_t plen)
{
	struct tw_addr a = { .family = AF_INET }, n = { .family = AF_INET };
	uint32_t be;

	be = htonl(addr);
	memcpy(a.addr, &be, 4);
	be = htonl(network);
	memcpy(n.addr, &be, 4);
	if (rtnl_link_set(ifindex, true, mtu))
		return tw_err_ctx("setting the device up");
	if (rtnl_addr_add(ifindex, &a, 32, 0))
		return tw_err_ctx("adding the subnet's address");
	if (rtnl_route_add(ifindex, &n, plen, NULL, RT_SCOPE_LINK))
		return tw_err_ctx("routing the network");
	return 0;
}

int host_configure6(uint32_t ifindex, const struct tw_prefix *subnet6,
		    const struct tw_prefix *network6)
{
	struct tw_addr a = { .family = AF_INET6 }, n = { .family = AF_INET6 };

	memcpy(a.addr, subnet6->addr, 16);
	memcpy(n.addr, network6->addr, 16);
	/* no DAD: the address is this host's alone, by its lease */
	if (rtnl_addr_add(ifindex, &a, 128, IFA_F_NODAD))
		return tw_err_ctx("adding the IPv6 subnet's address");
	if (rtnl_route_add(ifindex, &n, network6->cidr, NULL, RT_SCOPE_LINK))
		return tw_err_ctx("routing the IPv6 network");
	return 0;
}

int host_unconfigure6(uint32_t ifindex, const struct tw_prefix *subnet6)
{
	struct tw_addr a = { .family = AF_INET6 };

	memcpy(a.addr, subnet6->addr, 16);
	return rtnl_addr_del(ifindex, &a, 128);
}

int host_prune(uint32_t ifindex, uint32_t keep, uint32_t network, uint8_t plen)
{
	struct tw_rtnl_entry *v;
	size_t n, i;
	int removed = 0;
	uint32_t be;

	if (rtnl_addrs(ifindex, AF_INET, &v, &n))
		return -1;
	for (i = 0; i < n && removed >= 0; i++) {
		memcpy(&be, v[i].addr.addr, 4);
		if (v[i].plen != 32 || ntohl(be) == keep ||
		    !subnet_has(network, plen, ntohl(be)))
			continue;
		removed = rtnl_addr_del(ifindex, &v[i].addr, 32) ? -1 : removed + 1;
	}
	free(v);
	return removed;
}

int host_prune6(uint32_t ifindex, const struct tw_prefix *keep,
		const struct tw_netconf *c)
{
	struct tw_rtnl_entry *v;
	struct tw_prefix p;
	size_t n, i;
	int removed = 0;

	if (rtnl_addrs(ifindex, AF_INET6, &v, &n))
		return -1;
	for (i = 0; i < n && removed >= 0; i++) {
		memset(&p, 0, sizeof(p));
		p.family = AF_INET6;
		p.cidr = 128;
		memcpy(p.addr, v[i].addr.addr, 16);
		if (v[i].plen != 128 || !memcmp(p.addr, keep->addr, 16) ||
		    !netconf_has6(c, &p))
			continue;
		removed = rtnl_addr_del(ifindex, &v[i].addr, 128) ? -1 : removed + 1;
	}
	free(v);
	return removed;
}
