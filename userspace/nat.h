/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A device's NAT masquerade (struct tw_nat, TWILL_A_NAT): its keys, each
 * described once in nat.c's table (config file key, `twill nat set` word,
 * parser, printers, where it lives in struct tw_nat), parsing of what a
 * user gives, the merge of `nat set` into the current configuration, the
 * netlink nest both ways and the output of `twill nat show`.
 */
#ifndef TWILL_NAT_H
#define TWILL_NAT_H

#include <linux/netlink.h>
#include <stdio.h>

#include "json.h"
#include "model.h"

struct tw_nat_key {
	const char *key;	/* config file key ("MasqueradeTo") */
	const char *arg;	/* `nat set` word and human label ("to") */
	enum tw_nat_key_id id;
	/* parses a value into n; `name` is how the user called the key */
	int (*parse)(struct tw_nat *n, const char *value, const char *name);
	/* prints the value as parse() takes it, list items joined by sep */
	void (*print)(FILE *f, const struct tw_nat *n, const char *sep);
	void (*json)(struct json *j, const struct tw_nat *n);
	size_t off, size, off2, size2;	/* the value in struct tw_nat */
};

extern const struct tw_nat_key tw_nat_keys[];
extern const size_t tw_nat_nkeys;

#define tw_for_each_nat_key(k) \
	for ((k) = tw_nat_keys; (k) < tw_nat_keys + tw_nat_nkeys; (k)++)

const struct tw_nat_key *nat_key_by_key(const char *key);
const struct tw_nat_key *nat_key_by_arg(const char *arg);

/* NAT off, every setting at its default. */
void nat_init(struct tw_nat *n);
/*
 * Parses one key given by a user (config file, `nat set`), refusing it
 * twice; `name` is how the user called it.
 */
int nat_parse_key(struct tw_nat *n, const struct tw_nat_key *k,
		  const char *value, const char *name);
/*
 * Checks the keys a user gave (file: true for config key names): NAT off
 * combined with other keys, keys without masquerade (a file gives the
 * whole NAT configuration).  On error *bad (if not NULL) is the key.
 */
int nat_check(const struct tw_nat *n, bool file, enum tw_nat_key_id *bad);
/*
 * The words after `twill nat set DEV`: "off", or keys with values.  Only
 * the keys given are set (tw_nat.given); nothing is sent.
 */
int nat_parse_args(int argc, char *const argv[], struct tw_nat *args);
/*
 * `nat set`: the configuration to send, the current one (`cur`, NULL when
 * NAT is off) with the keys given in `args` replaced; fails when the
 * result has no masquerade prefixes unless args turns NAT off.
 */
int nat_merge(const struct tw_nat *cur, const struct tw_nat *args,
	      struct tw_nat *out);
/* Whether the settings (not the counters) of a and b are the same. */
bool nat_same(const struct tw_nat *a, const struct tw_nat *b);

/* The TWILL_A_NAT nest of a SET_DEVICE request (empty: NAT off). */
void nat_put(struct nlmsghdr *nlh, const struct tw_nat *n);
/* Its size, for room accounting. */
size_t nat_put_size(const struct tw_nat *n);
/* Reads TWILL_A_NAT of a reply or an event; -1 if malformed. */
int nat_parse_attr(const struct nlattr *nest, struct tw_nat *n);

/* The [Device] keys of showconf (nothing when NAT is off, except that an
 * explicit Masquerade = off a user gave is written back). */
void nat_config_write(FILE *f, const struct tw_nat *n);
/* " masquerade P,P exclude none to auto ports 1024-65535 max-flows N" */
void nat_print_args(FILE *f, const struct tw_nat *n);
/* `nat show`: one block (on) or one line (off). */
void nat_show_human(FILE *f, const char *ifname, const struct tw_nat *n);
/* The members of a NAT object: masquerade ... stats (no ifname). */
void nat_json_body(struct json *j, const struct tw_nat *n);
/* `nat show -j`: one object with ifname and "nat": true/false. */
void nat_show_json(struct json *j, const char *ifname, const struct tw_nat *n);

#endif
