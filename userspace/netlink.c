// SPDX-License-Identifier: GPL-2.0
#include "netlink.h"
#include "service.h"
#include "util.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RECV_SIZE ((size_t)256 * 1024)
#define DUMP_RETRIES 16
#define ACK_WINDOW 8
#define MONITOR_RCVBUF (4 * 1024 * 1024)

static char *recv_buf(void)
{
	static char *buf;

	if (!buf)
		buf = tw_malloc(RECV_SIZE);
	return buf;
}

/* The extack message of an error or DONE whose attributes start at off. */
static const char *extack_msg(const struct nlmsghdr *nlh, size_t off)
{
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	mnl_attr_for_each(a, nlh, off) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
			return mnl_attr_get_str(a);
	}
	return NULL;
}

/* Kernel error: the extack message if any, else strerror. */
static int ack_error(struct tw_nl *n, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const char *msg;
	size_t off = sizeof(*e);

	if (n)
		n->error = -e->error;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	msg = extack_msg(nlh, off);
	return tw_err("%s", msg ? msg : strerror(-e->error));
}

/* A dump that failed after it started: DONE carries the error; 0 if none. */
static int done_error(struct tw_nl *n, const struct nlmsghdr *nlh)
{
	const char *msg;
	int err;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(err))
		return 0;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err >= 0)
		return 0;
	n->error = -err;
	msg = extack_msg(nlh, sizeof(err));
	return tw_err("%s", msg ? msg : strerror(-err));
}

static struct mnl_socket *open_sock(int bus)
{
	struct mnl_socket *s = mnl_socket_open(bus);
	int one = 1;

	if (!s) {
		tw_err("cannot open netlink socket: %s", strerror(errno));
		return NULL;
	}
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		tw_err("cannot bind netlink socket: %s", strerror(errno));
		mnl_socket_close(s);
		return NULL;
	}
	/* best effort: older kernels lack them */
	(void)mnl_socket_setsockopt(s, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(s, NETLINK_EXT_ACK, &one, sizeof(one));
	return s;
}

static int sendreq(struct mnl_socket *s, const void *buf, size_t len)
{
	if (mnl_socket_sendto(s, buf, len) < 0)
		return tw_err("netlink send: %s", strerror(errno));
	return 0;
}

static ssize_t recvreply(struct mnl_socket *s)
{
	ssize_t r = mnl_socket_recvfrom(s, recv_buf(), RECV_SIZE);

	if (r < 0)
		tw_err("netlink receive: %s", strerror(errno));
	return r;
}

/* ---- family resolution ---- */

static void parse_groups(const struct nlattr *nest, struct tw_nl *n)
{
	const struct nlattr *g, *a;

	mnl_attr_for_each_nested(g, nest) {
		const char *name = NULL;
		uint32_t id = 0;

		mnl_attr_for_each_nested(a, g) {
			if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME)
				name = mnl_attr_get_str(a);
			else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID)
				id = mnl_attr_get_u32(a);
		}
		if (name && !strcmp(name, TWILL_MCGRP_EVENTS))
			n->mcgrp = id;
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct tw_nl *n = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			n->family = mnl_attr_get_u16(a);
		else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GROUPS)
			parse_groups(a, n);
	}
	return MNL_CB_OK;
}

static int resolve_family(struct tw_nl *n)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	ssize_t r;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++n->seq;
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, TWILL_GENL_NAME);
	if (sendreq(n->sock, buf, nlh->nlmsg_len))
		return -1;
	do {
		r = recvreply(n->sock);
		if (r > 0)
			r = mnl_cb_run(recv_buf(), (size_t)r, n->seq, n->portid,
				       family_cb, n);
	} while (r > 0);
	if (r < 0 && errno == ENOENT)
		return tw_err("generic netlink family '%s' not found (is the twill module loaded?)",
			      TWILL_GENL_NAME);
	if (r < 0)
		return tw_err("resolving netlink family: %s", strerror(errno));
	return n->family ? 0 : tw_err("cannot resolve the twill netlink family");
}

int nl_open(struct tw_nl *n)
{
	memset(n, 0, sizeof(*n));
	n->seq = (uint32_t)time(NULL);
	n->sock = open_sock(NETLINK_GENERIC);
	if (!n->sock)
		return -1;
	n->portid = mnl_socket_get_portid(n->sock);
	if (resolve_family(n)) {
		nl_close(n);
		return -1;
	}
	return 0;
}

void nl_close(struct tw_nl *n)
{
	if (n->sock)
		mnl_socket_close(n->sock);
	n->sock = NULL;
}

/* ---- dump ---- */

enum { DUMP_MORE, DUMP_DONE, DUMP_FAIL };

struct dump {
	uint8_t cmd;
	const struct tw_device *dev;	/* ifindex or name */
	const struct tw_service *key;	/* GET_SERVICES: only this one */
	int (*cb)(const struct nlmsghdr *nlh, void *arg);
	void *arg;
	bool restart;	/* NLM_F_DUMP_INTR: the rest is useless */
	bool intr;
};

static int dump_chunk(struct tw_nl *n, size_t len, struct dump *d)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)recv_buf();
	int rlen = (int)len;

	for (; mnl_nlmsg_ok(nlh, rlen); nlh = mnl_nlmsg_next(nlh, &rlen)) {
		if (nlh->nlmsg_seq != n->seq || nlh->nlmsg_pid != n->portid)
			continue;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			d->intr = true;
		if (nlh->nlmsg_type == NLMSG_DONE)
			return done_error(n, nlh) ? DUMP_FAIL : DUMP_DONE;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			ack_error(n, nlh);
			return DUMP_FAIL;
		}
		if (!(d->intr && d->restart) && d->cb(nlh, d->arg))
			return DUMP_FAIL;
	}
	return DUMP_MORE;
}

static int dump_once(struct tw_nl *n, struct dump *d)
{
	char req[512];
	size_t len = d->key ?
		     build_dump_service(req, n->family, ++n->seq, d->dev,
					d->key) :
		     build_dump(req, n->family, ++n->seq, d->cmd, d->dev);
	ssize_t r;
	int st = DUMP_MORE;

	d->intr = false;
	if (sendreq(n->sock, req, len))
		return -1;
	while (st == DUMP_MORE) {
		r = recvreply(n->sock);
		if (r < 0)
			return -1;
		st = dump_chunk(n, (size_t)r, d);
	}
	return st == DUMP_DONE ? 0 : -1;
}

static int device_cb(const struct nlmsghdr *nlh, void *arg)
{
	return parse_device_msg(nlh, arg, NULL);
}

static void reset_device(struct tw_device *dev)
{
	char name[IFNAMSIZ];
	uint32_t ifindex = dev->ifindex;

	memcpy(name, dev->ifname, sizeof(name));
	dev_free(dev);
	dev->ifindex = ifindex;
	memcpy(dev->ifname, name, sizeof(name));
}

int nl_get_device(struct tw_nl *n, struct tw_device *dev)
{
	struct dump d = { TWILL_CMD_GET_DEVICE, dev, NULL, device_cb, dev,
			  true, false };
	int i;

	for (i = 0; i < DUMP_RETRIES; i++) {
		reset_device(dev);
		if (dump_once(n, &d))
			return -1;
		if (!d.intr) {
			dev_sort_prefixes(dev);
			/* The kernel leaves an unset local address out; it is
			 * still a setting (none), so showconf round-trips. */
			dev->mask |= TW_BIT(TW_LOCAL);
			return 0;
		}
	}
	return tw_err("the peer table kept changing during %d dumps",
		      DUMP_RETRIES);
}

struct flows_dump {
	tw_flow_cb cb;
	void *arg;
};

static int flows_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct flows_dump *f = arg;

	return parse_flows_msg(nlh, f->cb, f->arg) ? -1 : 0;
}

int nl_dump_flows(struct tw_nl *n, const struct tw_device *dev,
		  tw_flow_cb cb, void *arg)
{
	struct flows_dump f = { cb, arg };
	/* resumed by bucket, never restarted: no flow appears twice */
	struct dump d = { TWILL_CMD_GET_FLOWS, dev, NULL, flows_cb, &f,
			  false, false };

	return dump_once(n, &d);
}

static int services_cb(const struct nlmsghdr *nlh, void *arg)
{
	if (service_parse_msg(nlh, arg))
		return tw_err("malformed services message from the kernel");
	return 0;
}

/* All the device's services, or (key) the one with key's key. */
static int dump_services(struct tw_nl *n, const struct tw_device *dev,
			 const struct tw_service *key, struct tw_services *all)
{
	struct dump d = { TWILL_CMD_GET_SERVICES, dev, key, services_cb, all,
			  true, false };
	int i;

	for (i = 0; i < DUMP_RETRIES; i++) {
		services_free(all);
		if (dump_once(n, &d))
			return -1;
		if (!d.intr)
			return 0;
	}
	return tw_err("the services kept changing during %d dumps",
		      DUMP_RETRIES);
}

int nl_dump_services(struct tw_nl *n, const struct tw_device *dev,
		     struct tw_services *all)
{
	return dump_services(n, dev, NULL, all);
}

int nl_get_service(struct tw_nl *n, const struct tw_device *dev,
		   const struct tw_service *key, struct tw_services *all)
{
	n->error = 0;
	if (!dump_services(n, dev, key, all))
		return 0;
	/*
	 * A module older than the filter refuses it (the CLI's own keys are
	 * valid): the whole list, which holds the one service too.
	 */
	if (n->error != EINVAL)
		return -1;
	n->error = 0;
	return dump_services(n, dev, NULL, all);
}

/* ---- transactions ---- */

/* Reads acks until `*pending` reaches zero; fails on the first error. */
static int read_acks(struct tw_nl *n, size_t *pending)
{
	const struct nlmsghdr *nlh;
	const struct nlmsgerr *e;
	ssize_t r;
	int len;

	while (*pending) {
		r = recvreply(n->sock);
		if (r < 0)
			return -1;
		len = (int)r;
		nlh = (const struct nlmsghdr *)recv_buf();
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			if (e->error)
				return ack_error(n, nlh);
			(*pending)--;
		}
	}
	return 0;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* TWILL_TIMING=1: what the kernel took, for benchmarks (see twill.8). */
static bool timing(void)
{
	const char *v = getenv("TWILL_TIMING");

	return v && *v && strcmp(v, "0") != 0;
}

int nl_send_batch(struct tw_nl *n, const struct tw_batch *batch)
{
	long long first = 0, commit = 0, end;
	size_t i, pending = 0;
	int ret;

	/*
	 * Staged messages may be pipelined, but the commit goes out only
	 * once every earlier message was accepted: after a refusal the
	 * kernel drops the transaction and closing the socket drops
	 * whatever we sent after it.
	 */
	for (i = 0; i < batch->n; i++) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)batch->msgs[i].buf;

		if (i + 1 == batch->n || pending == ACK_WINDOW) {
			if (read_acks(n, &pending))
				return -1;
		}
		nlh->nlmsg_seq = ++n->seq;
		if (!i)
			first = now_us();
		if (i + 1 == batch->n)
			commit = now_us();
		if (sendreq(n->sock, nlh, batch->msgs[i].len))
			return -1;
		pending++;
	}
	ret = read_acks(n, &pending);
	/* The commit is acked last: its ack ends the transaction. */
	end = now_us();
	if (!ret && batch->n && timing())
		fprintf(stderr,
			"twill: timing: commit request to ack %lld us, transaction of %zu message%s %lld us\n",
			end - commit, batch->n, batch->n == 1 ? "" : "s",
			end - first);
	return ret;
}

/* ---- lookup ---- */

int nl_lookup(struct tw_nl *n, struct tw_device *dev,
	      const struct tw_addr *addr)
{
	char req[512];
	const struct nlmsghdr *nlh;
	size_t len = build_lookup(req, n->family, ++n->seq, dev, addr);
	ssize_t r;
	int rlen;

	if (sendreq(n->sock, req, len))
		return -1;
	for (;;) {
		r = recvreply(n->sock);
		if (r < 0)
			return -1;
		rlen = (int)r;
		nlh = (const struct nlmsghdr *)recv_buf();
		for (; mnl_nlmsg_ok(nlh, rlen); nlh = mnl_nlmsg_next(nlh, &rlen)) {
			if (nlh->nlmsg_seq != n->seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				if (!e->error)
					return 0;
				ack_error(n, nlh);
				return e->error == -ENOENT ? 1 : -1;
			}
			if (parse_device_msg(nlh, dev, NULL))
				return -1;
		}
	}
}

/* ---- events ---- */

int nl_monitor(struct tw_nl *n,
	       int (*cb)(const struct nlmsghdr *nlh, void *data), void *data)
{
	unsigned int grp = n->mcgrp;
	int fd, rcvbuf = MONITOR_RCVBUF;
	ssize_t r;

	if (!grp)
		return tw_err("the twill family has no '%s' group",
			      TWILL_MCGRP_EVENTS);
	if (mnl_socket_setsockopt(n->sock, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0)
		return tw_err("cannot join the events group: %s",
			      strerror(errno));
	/* one commit can send an event per peer: room for a burst */
	fd = mnl_socket_get_fd(n->sock);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				 sizeof(rcvbuf));
	for (;;) {
		r = recvreply(n->sock);
		if (r < 0 && errno == ENOBUFS) {
			/* as ip monitor: say so and go on */
			fputs("twill: events lost (receive buffer overrun); continuing\n",
			      stderr);
			continue;
		}
		if (r < 0)
			return -1;
		r = mnl_cb_run(recv_buf(), (size_t)r, 0, 0, cb, data);
		if (r < 0)
			return -1;
	}
}

/* ---- rtnetlink ---- */

static void link_info_kind(const struct nlattr *linkinfo, char *kind,
			   size_t len)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, linkinfo) {
		if (mnl_attr_get_type(a) == IFLA_INFO_KIND)
			snprintf(kind, len, "%s", mnl_attr_get_str(a));
	}
}

static void parse_link(const struct nlmsghdr *nlh, struct tw_link *l)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	memset(l, 0, sizeof(*l));
	l->ifindex = (uint32_t)ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			snprintf(l->name, sizeof(l->name), "%s",
				 mnl_attr_get_str(a));
			break;
		case IFLA_LINKINFO:
			link_info_kind(a, l->kind, sizeof(l->kind));
			break;
		case IFLA_MTU:
			l->mtu = mnl_attr_get_u32(a);
			break;
		case IFLA_ADDRESS:
			if (mnl_attr_get_payload_len(a) == sizeof(l->mac))
				memcpy(l->mac, mnl_attr_get_payload(a),
				       sizeof(l->mac));
			break;
		}
	}
}

struct link_list {
	struct tw_link *v;
	size_t n, cap;
};

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_list *ll = data;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	tw_grow((void **)&ll->v, &ll->cap, ll->n + 1, sizeof(*ll->v));
	parse_link(nlh, &ll->v[ll->n++]);
	return MNL_CB_OK;
}

int rtnl_dump(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	struct mnl_socket *s = open_sock(NETLINK_ROUTE);
	uint32_t seq = (uint32_t)time(NULL);
	ssize_t r;
	int err = 0;

	if (!s)
		return -1;
	nlh->nlmsg_flags |= NLM_F_REQUEST;
	/* NLM_F_DUMP's bits are NLM_F_REPLACE and NLM_F_EXCL in NEW requests:
	 * only a GET (type & 3 == 2 in rtnetlink) is a dump */
	if ((nlh->nlmsg_type & 3) != 2 ||
	    (nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	r = sendreq(s, nlh, nlh->nlmsg_len);
	while (r >= 0) {
		r = recvreply(s);
		if (r <= 0)
			break;
		r = mnl_cb_run(recv_buf(), (size_t)r, seq,
			       mnl_socket_get_portid(s), cb, data);
		if (r <= 0)
			break;
	}
	if (r < 0) {
		err = errno;
		tw_err("%s", strerror(err));
	}
	mnl_socket_close(s);
	errno = err;
	return r < 0 ? -1 : 0;
}

static int rtnl_links(const char *ifname, struct link_list *ll)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = ifname ? 0 : NLM_F_DUMP;
	ifi->ifi_family = AF_UNSPEC;
	if (ifname)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	return rtnl_dump(nlh, link_cb, ll);
}

int link_get(const char *ifname, struct tw_link *l)
{
	struct link_list ll = { 0 };
	int ret = rtnl_links(ifname, &ll);

	if (ret && errno != ENODEV) {
		free(ll.v);
		return tw_err_ctx("%s", ifname);
	}
	if (ret || !ll.n) {
		free(ll.v);
		tw_err("%s: no such device", ifname);
		return 1;
	}
	*l = ll.v[0];
	free(ll.v);
	return 0;
}

int link_kind(const char *ifname, uint32_t *ifindex, char *kind, size_t len)
{
	struct tw_link l = { 0 };

	if (link_get(ifname, &l))
		return tw_err("%s: no such device", ifname);
	*ifindex = l.ifindex;
	snprintf(kind, len, "%s", l.kind);
	return 0;
}

int list_twill_links(char (**names)[IFNAMSIZ], size_t *count)
{
	struct link_list ll = { 0 };
	size_t i;

	*names = NULL;
	*count = 0;
	if (rtnl_links(NULL, &ll))
		return -1;
	*names = tw_calloc(ll.n, IFNAMSIZ);
	for (i = 0; i < ll.n; i++)
		if (!strcmp(ll.v[i].kind, "twill"))
			memcpy((*names)[(*count)++], ll.v[i].name, IFNAMSIZ);
	free(ll.v);
	return 0;
}

int rtnl_request(struct nlmsghdr *nlh)
{
	return rtnl_dump(nlh, NULL, NULL);
}
