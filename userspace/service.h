/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Services (TWILL_CMD_SET_SERVICES, GET_SERVICES): the words of
 * `twill service set`, the TWILL_A_SERVICES nest both ways and the output
 * of `twill service show`.  Nothing here touches a socket.
 */
#ifndef TWILL_SERVICE_H
#define TWILL_SERVICE_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "model.h"

/* Backends `service set` takes: one netlink attribute must hold them. */
#define TW_SERVICE_MAX_ARGS_BACKENDS 1024

struct tw_backend {
	struct tw_addr addr;
	uint16_t port;		/* 0: the service's port */
	uint32_t weight;
	uint8_t state;		/* enum twill_backend_state */
};

struct tw_service {
	struct tw_addr vip;
	uint16_t port;
	uint8_t proto;		/* IPPROTO_TCP, IPPROTO_UDP */
	uint32_t affinity;	/* seconds, 0: off */
	bool has_affinity;	/* given by the user */
	bool has_backends;	/* `backend` given: the list replaces */
	bool remove;
	uint32_t num_backends;	/* read only, from the kernel */
	struct tw_backend *backends;
	size_t nbackends, cap;
};

/* A device's services as GET_SERVICES tells them. */
struct tw_services {
	uint32_t max_services, max_backends, maglev_size;
	uint32_t num_services, num_backends;
	bool has_stats;		/* the device has a flow table */
	uint64_t stats[__TWILL_SERVICE_STAT_MAX];	/* read only */
	struct tw_service *svcs;
	size_t n, cap;
};

/* `service config`: the limits given (0: not given). */
struct tw_service_config {
	uint32_t max_services, max_backends, maglev_size;
};

/* The words after `twill service config DEV`; at least one. */
int service_parse_config(int argc, char *const argv[],
			 struct tw_service_config *c);

void service_init(struct tw_service *s);
void service_free(struct tw_service *s);
void services_free(struct tw_services *all);

/* "ADDR:PORT/tcp", "[ADDR6]:PORT/udp". */
int service_parse_key(const char *s, struct tw_service *svc);
/*
 * The words after `twill service set DEV ADDR:PORT/PROTO`: affinity,
 * backends with their options, remove.  Nothing is sent.
 */
int service_parse_args(int argc, char *const argv[], struct tw_service *svc);
/*
 * `service set`: what to send, the current service (`cur`, NULL if none)
 * with what `args` gives replaced: backends when listed, affinity when
 * given; the rest is kept.
 */
int service_merge(const struct tw_service *cur, const struct tw_service *args,
		  struct tw_service *out);

/* One service nest, inside a TWILL_A_SERVICES nest the caller opens. */
void service_put(struct nlmsghdr *nlh, const struct tw_service *svc);
/* A nest of svc's key alone (a GET_SERVICES filter), likewise. */
void service_put_key(struct nlmsghdr *nlh, const struct tw_service *svc);
/*
 * Merges one GET_SERVICES reply into `all`: settings overwrite, a service
 * continued from the last message appends its backends.  -1: malformed.
 */
int service_parse_msg(const struct nlmsghdr *nlh, struct tw_services *all);
/* The service of `all` with svc's key, or NULL. */
struct tw_service *service_find(struct tw_services *all,
				const struct tw_service *svc);

/* Appends a service (config files); NULL-free, zeroed. */
struct tw_service *service_push(struct tw_service **svcs, size_t *n,
				size_t *cap);
/* Sorts by address, port and protocol. */
void services_sort(struct tw_service *svcs, size_t n);
/*
 * Whether a and b are the same service with the same settings, backends
 * compared as the kernel keeps them (port 0 is the service's, any order).
 */
bool service_same(const struct tw_service *a, const struct tw_service *b);
/*
 * syncconf: into out->svcs the services of `want` (a file's, n of them)
 * that `cur` (a dump) lacks or has otherwise, and removals of those `cur`
 * has and `want` does not.  Returns how many.
 */
size_t service_sync_diff(struct tw_services *cur,
			 const struct tw_service *want, size_t n,
			 struct tw_device *out);
/* A [Service] section of the config file. */
void service_config_write(FILE *f, const struct tw_service *svc);

/* "10.96.0.10:53/udp", "[fd00::10]:80/tcp" */
const char *service_fmt_key(const struct tw_service *svc, char *buf,
			    size_t len);
void service_show_human(FILE *f, const char *ifname,
			const struct tw_services *all);
void service_show_json(struct json *j, const char *ifname,
		       const struct tw_services *all);

#endif
