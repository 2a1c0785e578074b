/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsing and formatting of the values twill takes: numbers, ports, MACs,
 * addresses, prefixes, endpoints.  Parsers return 0, or -1 with tw_errmsg
 * naming the offending token.
 */
#ifndef TWILL_PARSE_H
#define TWILL_PARSE_H

#include "model.h"

#define TW_ADDR_STRLEN 64	/* INET6_ADDRSTRLEN and then some */
#define TW_PREFIX_STRLEN 72
#define TW_EP_STRLEN 80
#define TW_MAC_STRLEN 18

int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
int parse_mac(const char *s, uint8_t mac[TW_MAC_LEN]);
/*
 * A peer's direct flag, "on" or "off" (any case); given twice is an error.
 * Errors name `name` ("direct" on the command line, "Direct" in a file).
 */
int peer_direct(struct tw_peer *peer, const char *s, const char *name);
int parse_addr(const char *s, struct tw_addr *out);
int parse_prefix(const char *s, struct tw_prefix *out);
/*
 * "ADDR/LEN" (or ADDR alone: a host prefix) with host bits allowed: the
 * address as written and its prefix with the host bits cleared.
 */
int parse_cidr(const char *s, struct tw_addr *a, struct tw_prefix *out);
int parse_endpoint(const char *s, union tw_sockaddr *out);
int parse_ifname(const char *s, char out[IFNAMSIZ]);
/* An address that is neither zero nor multicast; errors name `what`. */
int parse_unicast(const char *s, const char *what, struct tw_addr *out);
/* "LO-HI", both in min..max, LO <= HI; errors name the setting `name`. */
int parse_range(const char *s, const char *name, uint32_t min, uint32_t max,
		uint32_t *lo, uint32_t *hi);
/*
 * Calls item() for every element of a comma-separated list, blanks around
 * it trimmed; an empty element is an error naming `what` ("prefix").  A
 * list of only blanks has no elements.
 */
int parse_list(const char *list, const char *what,
	       int (*item)(void *arg, const char *item), void *arg);

const char *fmt_addr(const struct tw_addr *a, char buf[TW_ADDR_STRLEN]);
const char *fmt_prefix(const struct tw_prefix *p, char buf[TW_PREFIX_STRLEN]);
const char *fmt_endpoint(const union tw_sockaddr *ep, char buf[TW_EP_STRLEN]);
const char *fmt_mac(const uint8_t mac[TW_MAC_LEN], char buf[TW_MAC_STRLEN]);
bool mac_is_zero(const uint8_t mac[TW_MAC_LEN]);

#endif
