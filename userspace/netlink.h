/* SPDX-License-Identifier: GPL-2.0 */
/* The thin I/O layer: sockets, requests, acks, dumps. */
#ifndef TWILL_NETLINK_H
#define TWILL_NETLINK_H

#include <linux/netlink.h>

#include "flow.h"
#include "model.h"
#include "msg.h"
#include "rtnl.h"

struct mnl_socket;

struct tw_nl {
	struct mnl_socket *sock;
	uint16_t family;
	uint32_t mcgrp;
	uint32_t seq;
	unsigned int portid;
	int error;		/* errno of the last kernel error */
};

/* Opens a generic netlink socket and resolves the twill family. */
int nl_open(struct tw_nl *n);
void nl_close(struct tw_nl *n);
/* Dumps dev (ifindex or ifname set) into dev, restarting if interrupted. */
int nl_get_device(struct tw_nl *n, struct tw_device *dev);
/*
 * Dumps dev's NAT flow table, calling cb for every flow as it arrives;
 * -1 with the kernel's message (no NAT: -ENOENT) or cb's error.
 */
int nl_dump_flows(struct tw_nl *n, const struct tw_device *dev,
		  tw_flow_cb cb, void *arg);
struct tw_services;
/* Dumps dev's services into all, restarting if interrupted. */
int nl_dump_services(struct tw_nl *n, const struct tw_device *dev,
		     struct tw_services *all);
/*
 * The one service with key's key into all (none if the device lacks it),
 * dumped alone with a GET_SERVICES filter; restarting if interrupted.
 */
int nl_get_service(struct tw_nl *n, const struct tw_device *dev,
		   const struct tw_service *key, struct tw_services *all);
/*
 * Sends a transaction and checks every ack.  With TWILL_TIMING=1 in the
 * environment it prints to stderr how long the kernel took: from sending
 * the commit (the last message) to its ack, and from the first message.
 */
int nl_send_batch(struct tw_nl *n, const struct tw_batch *batch);
/* 0: found (dev gets the peer), 1: no peer, -1: error. */
int nl_lookup(struct tw_nl *n, struct tw_device *dev,
	      const struct tw_addr *addr);
/* Joins the events group and calls cb for every message until it fails. */
int nl_monitor(struct tw_nl *n,
	       int (*cb)(const struct nlmsghdr *nlh, void *data), void *data);

#endif
