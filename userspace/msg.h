/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Building twill generic netlink requests into memory and parsing replies
 * from memory.  Nothing here touches a socket, so all of it is unit-tested.
 */
#ifndef TWILL_MSG_H
#define TWILL_MSG_H

#include <linux/netlink.h>

#include "model.h"

/* Keep every request well below the socket's send buffer. */
#define TW_MSG_MAX ((size_t)32 * 1024)

struct tw_msg {
	char *buf;
	size_t len;
};

struct tw_batch {
	struct tw_msg *msgs;
	size_t n, cap;
};

struct tw_build {
	uint16_t family;	/* generic netlink family id */
	uint32_t seq;		/* of the first message; incremented */
	size_t max_len;		/* 0 = TW_MSG_MAX */
};

/*
 * Turns dev (settings present in dev->mask, dev->flags, peers) into one
 * transaction of SET_DEVICE messages: all but the last carry TWILL_F_STAGE,
 * TWILL_F_REPLACE_PEERS only the first; peers whose prefixes do not fit
 * continue in the next message without TWILL_PEER_F_REPLACE_PREFIXES.
 */
void build_set(const struct tw_device *dev, struct tw_build *b,
	       struct tw_batch *out);
/*
 * build_set(), then, when dev has services (dev->has_services), as many
 * SET_SERVICES messages in the same transaction; TWILL_F_REPLACE_SERVICES
 * of dev->flags goes in the first message.
 */
void build_set_all(const struct tw_device *dev, struct tw_build *b,
		   struct tw_batch *out);
void batch_free(struct tw_batch *batch);

/* A dump request (GET_DEVICE, GET_FLOWS) for dev's ifindex or name. */
size_t build_dump(void *buf, uint16_t family, uint32_t seq, uint8_t cmd,
		  const struct tw_device *dev);
size_t build_lookup(void *buf, uint16_t family, uint32_t seq,
		    const struct tw_device *dev, const struct tw_addr *addr);

struct tw_service;
/*
 * A GET_SERVICES dump of the one service with key's family, address,
 * port and protocol (the rest of key is not sent).
 */
size_t build_dump_service(void *buf, uint16_t family, uint32_t seq,
			  const struct tw_device *dev,
			  const struct tw_service *key);
/* Room build_set_service() needs for svc. */
size_t build_set_service_size(const struct tw_service *svc);
/* One SET_SERVICES request (a transaction of its own) with svc. */
size_t build_set_service(void *buf, uint16_t family, uint32_t seq,
			 const struct tw_device *dev,
			 const struct tw_service *svc);

/*
 * The services of `svcs` as one transaction of SET_SERVICES messages
 * (an agent's sync): as many whole services a message as fit in max_len
 * (one that does not fit goes alone, up to its 64 KiB attribute), every
 * message but the last with TWILL_F_STAGE, the first with
 * TWILL_F_REPLACE_SERVICES when `replace`: the kernel then holds exactly
 * these services, switched to at once.
 */
void build_set_services(const struct tw_device *dev,
			const struct tw_service *svcs, size_t n, bool replace,
			struct tw_build *b, struct tw_batch *out);

struct tw_service_config;
/* One SET_SERVICES request with the limits given and no service. */
size_t build_service_config(void *buf, uint16_t family, uint32_t seq,
			    const struct tw_device *dev,
			    const struct tw_service_config *c);

/*
 * Merges one GET_DEVICE reply (or an event, or a LOOKUP reply) into dev:
 * device attributes overwrite, peers are merged by endpoint.  Returns 0,
 * or -1 on a malformed message.  If `peer_flags` is not NULL it receives
 * the TWILL_PEER_A_FLAGS of the last peer (events).
 */
int parse_device_msg(const struct nlmsghdr *nlh, struct tw_device *dev,
		     uint32_t *peer_flags);

/* A prefix nest (family, address, length, flags) and its size. */
void msg_put_prefix(struct nlmsghdr *nlh, const struct tw_prefix *p);
size_t msg_prefix_size(const struct tw_prefix *p);
/* Reads a prefix nest; -1 if malformed. */
int msg_parse_prefix(const struct nlattr *nest, struct tw_prefix *p);
/* Reads a nest of u64 indexed by type (< n; type 0 is padding). */
int msg_parse_u64s(const struct nlattr *nest, uint64_t *v, size_t n);

#endif
