/* SPDX-License-Identifier: GPL-2.0 */
/* The NAT flow table of `twill nat flows`: TWILL_CMD_GET_FLOWS replies. */
#ifndef TWILL_FLOW_H
#define TWILL_FLOW_H

#include <linux/netlink.h>
#include <stdio.h>

#include "json.h"
#include "model.h"

/* One flow's two tuples as on the wire (enum twill_flow_attr). */
struct tw_flow {
	uint16_t family;	/* AF_INET, AF_INET6 */
	uint8_t proto;		/* IPPROTO_* */
	uint8_t state;		/* enum twill_flow_state */
	struct tw_addr orig_src, orig_dst, reply_src, reply_dst;
	uint16_t orig_sport, orig_dport, reply_sport, reply_dport;
	uint32_t timeout_ms;
};

typedef int (*tw_flow_cb)(const struct tw_flow *fl, void *arg);

/*
 * Calls cb for every flow of one GET_FLOWS reply.  Returns 0, -1 with a
 * message on a malformed message, or cb's non-zero return.
 */
int parse_flows_msg(const struct nlmsghdr *nlh, tw_flow_cb cb, void *arg);

/* "tcp 10.244.1.11:40000 -> 203.0.113.1:80 as 192.0.2.1:40001
 * established 21599s" and a newline. */
void flow_print(FILE *f, const struct tw_flow *fl);
/* {"family", "proto", "orig", "reply", "state", "timeout_ms"} */
void flow_json(struct json *j, const struct tw_flow *fl);

#endif
