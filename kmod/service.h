/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Service virtual addresses: a device's table of services, each
 * (family, address, port, protocol) -> backends and a Maglev table to
 * choose one of them.  The whole table is one RCU-published object,
 * replaced by every commit that changes it: readers see the services
 * before the commit or after it, never a mix.  Services a commit leaves
 * unchanged are shared by the old and the new table; those it replaces
 * or removes are freed with the old table after a grace period.
 *
 * Changes arrive as TWILL_CMD_SET_SERVICES messages, staged in the
 * device's plan with any others of the transaction (commit.c), and are
 * applied in its two phases: prepare (may fail), then apply or abort.
 */
#ifndef _TWILL_SERVICE_H
#define _TWILL_SERVICE_H

#include <linux/netfilter.h>
#include <linux/workqueue.h>
#include <net/netlink.h>
#include <uapi/linux/twill.h>

struct twill_device;

struct twill_backend {
	union nf_inet_addr addr;
	__be16 port;
	u16 weight;
	u8 state;			/* enum twill_backend_state */
};

struct twill_service {
	union nf_inet_addr vip;
	__be16 port;
	u8 proto;
	u8 family;
	u32 affinity;			/* seconds; 0: off */
	u32 size;			/* slots of @table */
	u16 *table;			/* Maglev; NULL: nothing to choose */
	/*
	 * Writer-only, update_lock: the plan's hash chain while the service
	 * is staged, the commit's list of copies, then the old table's list
	 * of services to free.
	 */
	struct twill_service *chain;
	bool remove;			/* staged: TWILL_SERVICE_F_REMOVE */
	bool live;			/* in a published table */
	u32 nbackends;
	struct twill_backend backends[];	/* by address, then port */
};

/*
 * An address with at least one service: a packet to one of its ports that
 * no service has is refused, not passed on (phase 2).
 */
struct twill_service_vip {
	union nf_inet_addr addr;
	u8 family;			/* 0: a free slot */
};

struct twill_service_table {
	u32 mask;			/* slots - 1 */
	u32 nservices, nbackends;
	struct twill_service *retired;	/* freed with this table */
	struct twill_service_vip *vips;	/* mask + 1, after @slots */
	struct rcu_work free_work;
	struct twill_service *slots[];	/* open addressing, linear probing */
};

/* The services part of a transaction (opaque to commit.c). */
struct twill_service_plan;

/* What a commit does to the services, between prepare and apply/abort. */
struct twill_service_change {
	bool active;			/* the table is replaced */
	bool applied;			/* ... and it was: tell listeners */
	bool purge;			/* ... and services or backends left
					 * it: their flows are stale
					 */
	struct twill_service_table *fresh;
	struct twill_service *copies;	/* made for a new table size */
	struct twill_service *retired;	/* old services the new table drops */
	u32 max_services, max_backends, maglev_size;
};

/*
 * Parses one TWILL_CMD_SET_SERVICES message into *@sp (created by the
 * first).  update_lock held; on error the caller drops the transaction.
 */
int twill_service_parse(struct twill_device *tdev,
			struct twill_service_plan **sp, struct nlattr **attrs,
			struct netlink_ext_ack *extack);
void twill_service_plan_free(struct twill_service_plan *sp);

/*
 * Builds the table as @sp (may be NULL) leaves it, with every Maglev
 * table it needs, checked against the limits and @rights; @replace drops
 * the services @sp does not name.  Nothing visible changes.
 */
int twill_service_prepare(struct twill_device *tdev,
			  struct twill_service_plan *sp, bool replace,
			  u32 rights, struct twill_service_change *ch,
			  struct netlink_ext_ack *extack);
/* Publishes the prepared table; cannot fail.  Takes @sp's services. */
void twill_service_apply(struct twill_device *tdev,
			 struct twill_service_plan *sp,
			 struct twill_service_change *ch);
void twill_service_abort(struct twill_service_change *ch);

/* Whether the device has services once the commit of @ch is applied. */
bool twill_service_any(struct twill_device *tdev,
		       const struct twill_service_change *ch);

/* The device goes away: unpublishes and frees its services. */
void twill_service_flush(struct twill_device *tdev);

/* The service for a packet's destination, or NULL; RCU read side. */
struct twill_service *
twill_service_lookup(struct twill_service_table *table, u8 family,
		     const union nf_inet_addr *vip, __be16 port, u8 proto);

/* @svc's backend @addr, @port (a flow's reply source), or NULL. */
const struct twill_backend *
twill_service_backend(const struct twill_service *svc,
		      const union nf_inet_addr *addr, __be16 port);
bool twill_service_has_backend(const struct twill_service *svc,
			       const union nf_inet_addr *addr, __be16 port);
/* Whether Maglev's table of @svc gives @be slots (new flows may meet it). */
bool twill_service_choosable(const struct twill_service *svc,
			     const struct twill_backend *be);

/* Whether any service has the address @vip; RCU read side. */
bool twill_service_vip_known(struct twill_service_table *table, u8 family,
			     const union nf_inet_addr *vip);

/* The backend for a new flow of hash @hash, or NULL: none to choose. */
static inline const struct twill_backend *
twill_service_choose(const struct twill_service *svc, u32 hash)
{
	if (!svc->table)
		return NULL;
	return &svc->backends[svc->table[reciprocal_scale(hash, svc->size)]];
}

/* A service's key alone: what a GET_SERVICES filter names. */
struct twill_service_key {
	union nf_inet_addr vip;
	__be16 port;
	u8 proto;
	u8 family;
};

/*
 * Parses a GET_SERVICES filter, TWILL_A_SERVICES with exactly one service
 * that has its key (family, address, port, protocol) and nothing else.
 * -EINVAL with extack otherwise.
 */
int twill_service_parse_filter(const struct nlattr *attr,
			       struct twill_service_key *key,
			       struct netlink_ext_ack *extack);

/* Where a dump stopped: slot of the table, backends of that service. */
struct twill_service_dump_pos {
	u32 slot, backend;
};

/*
 * Puts the device's service settings and TWILL_A_SERVICES with as many
 * services as fit; a service whose backends do not all fit continues in
 * the next message.  With @only, just that service (found by its hash,
 * none if the device lacks it).  Returns 0 when the table is done,
 * -EMSGSIZE when more follow.  update_lock held.
 */
int twill_service_dump(struct sk_buff *skb, struct twill_device *tdev,
		       const struct twill_service_key *only,
		       struct twill_service_dump_pos *pos);
/* TWILL_A_NUM_SERVICES and TWILL_A_NUM_BACKENDS; update_lock held. */
int twill_service_put_counts(struct sk_buff *skb, struct twill_device *tdev);

int twill_service_module_init(void);
void twill_service_module_exit(void);

#endif /* _TWILL_SERVICE_H */
