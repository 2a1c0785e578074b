// SPDX-License-Identifier: GPL-2.0
#include "host.h"
#include "netlink.h"
#include "parse.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
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

static int set_link(uint32_t ifindex, uint32_t mtu)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return rtnl_request(nlh) ? tw_err_ctx("setting the device up") : 0;
}

static int add_addr(uint32_t ifindex, uint32_t addr)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	uint32_t a = htonl(addr);

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 32;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, 4, &a);
	mnl_attr_put(nlh, IFA_ADDRESS, 4, &a);
	return rtnl_request(nlh) ? tw_err_ctx("adding the subnet's address") : 0;
}

static int add_route(uint32_t ifindex, uint32_t network, uint8_t plen)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	uint32_t n = htonl(network);

	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, 4, &n);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	return rtnl_request(nlh) ? tw_err_ctx("routing the network") : 0;
}

int host_configure(uint32_t ifindex, uint32_t mtu, uint32_t addr,
		   uint32_t network, uint8_t plen)
{
	if (set_link(ifindex, mtu) || add_addr(ifindex, addr) ||
	    add_route(ifindex, network, plen))
		return -1;
	return 0;
}

static int mkdirs(const char *path)
{
	char dir[4096], *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return tw_err("mkdir %s: %s", dir, strerror(errno));
		*p = '/';
	}
	if (mkdir(dir, 0755) && errno != EEXIST)
		return tw_err("mkdir %s: %s", dir, strerror(errno));
	return 0;
}

int host_write_file(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	if (mkdirs(path))
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return tw_err("%s: %s", tmp, strerror(errno));
	fputs(text, f);
	if (tw_close_output(f, tmp))
		return -1;
	if (rename(tmp, path))
		return tw_err("%s: %s", path, strerror(errno));
	return 0;
}

char *host_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		tw_grow((void **)&buf, &cap, len + 4097, 1);
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}
