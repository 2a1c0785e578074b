/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small etcd v3 client over the JSON gateway (POST /v3/...): bytes are
 * base64, int64 are JSON strings, zero values are omitted.  Several
 * endpoints with failover, TLS with CA, client certificate and key, a
 * timeout on every request.  Functions return 0, or -1 with tw_errmsg.
 */
#ifndef TWILLD_ETCD_H
#define TWILLD_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct etcd {
	char **urls;
	size_t nurls, cur;	/* the endpoint that answered last */
	const char *cafile, *certfile, *keyfile;
	long timeout_ms;
	void *curl;		/* CURL * for unary requests */
};

struct etcd_kv {
	char *key, *value;	/* decoded, NUL-terminated */
	size_t vlen;
	int64_t create_rev, mod_rev, lease;
};

/* `urls`: "http://h:2379,https://...". */
int etcd_init(struct etcd *e, const char *urls);
void etcd_free(struct etcd *e);

/* The keys in [key, end) (end NULL: the key alone); rev: the store's. */
int etcd_range(struct etcd *e, const char *key, const char *end,
	       struct etcd_kv **kvs, size_t *n, int64_t *rev);
void etcd_kvs_free(struct etcd_kv *kvs, size_t n);

enum etcd_cmp { ETCD_CMP_CREATE, ETCD_CMP_MOD };
/*
 * A second condition of a put: no key in [key, end) modified after
 * revision `rev` (a listing's).  Two claims of different keys that share
 * a subnet (dual-stack keys name two) cannot both hold.
 */
struct etcd_guard {
	const char *key, *end;
	int64_t rev;
};
/*
 * Puts key = value (with lease, 0: none) if the key's create revision
 * (ETCD_CMP_CREATE) or mod revision (ETCD_CMP_MOD) equals `rev`, and, with
 * a guard (NULL: none), if its range is unchanged: a claim is CREATE 0,
 * an update of what one read is MOD <its mod revision>.  *ok: whether the
 * comparisons held (the put happened).
 */
int etcd_put_if(struct etcd *e, const char *key, const char *value,
		int64_t lease, enum etcd_cmp cmp, int64_t rev,
		const struct etcd_guard *g, bool *ok);
/* Deletes key if its lease is `lease` (a clean hand-back). */
int etcd_delete_if_lease(struct etcd *e, const char *key, int64_t lease);

int etcd_lease_grant(struct etcd *e, int64_t ttl, int64_t *id);
/* *ttl: what is left, 0 if the lease is gone (expired or revoked). */
int etcd_lease_keepalive(struct etcd *e, int64_t id, int64_t *ttl);
int etcd_lease_revoke(struct etcd *e, int64_t id);

/* A watch on [key, end) from a revision: a stream of events. */
struct etcd_event {
	bool del;
	struct etcd_kv kv;
};

struct etcd_watch {
	struct etcd *e;
	void *multi, *curl;	/* CURLM *, CURL * */
	char *buf;		/* received, not yet parsed */
	size_t len, cap;
	int64_t compacted;	/* compact_revision of a refused watch */
	bool canceled, created;
	int64_t rev;		/* the last revision seen (header or event) */
	struct etcd_event *ev;	/* parsed, not yet taken */
	size_t nev, capev;
};

int etcd_watch_start(struct etcd *e, struct etcd_watch *w, const char *key,
		     const char *end, int64_t start_rev);
/*
 * Waits up to timeout_ms for data and parses what came; events land in
 * w->ev.  1: the stream goes on; 0: it ended (or was canceled: see
 * w->compacted); -1: error.
 */
int etcd_watch_poll(struct etcd_watch *w, int timeout_ms);
void etcd_watch_take(struct etcd_watch *w);	/* frees w->ev */
void etcd_watch_stop(struct etcd_watch *w);

#endif
