// SPDX-License-Identifier: GPL-2.0
#include "etcd.h"
#include "cluster.h"
#include "util.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_TIMEOUT_MS 3000L
#define MAX_REPLY ((size_t)64 * 1024 * 1024)

struct buf {
	char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *data, size_t n)
{
	tw_grow((void **)&b->p, &b->cap, b->len + n + 1, 1);
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static size_t write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->len + size * n > MAX_REPLY)
		return 0;
	buf_add(b, data, size * n);
	return size * n;
}

int etcd_init(struct etcd *e, const char *urls)
{
	char *copy = strdup(urls), *tok, *save = NULL;

	if (!copy)
		abort();
	e->urls = NULL;
	e->nurls = e->cur = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		size_t len = strlen(tok);

		while (len && tok[len - 1] == '/')
			tok[--len] = '\0';
		if (strncmp(tok, "http://", 7) != 0 &&
		    strncmp(tok, "https://", 8) != 0) {
			tw_err("etcd endpoint '%s' is not an http:// or https:// URL",
			       tok);
			free(copy);
			return -1;
		}
		e->urls = tw_realloc(e->urls, e->nurls + 1, sizeof(*e->urls));
		e->urls[e->nurls] = strdup(tok);
		if (!e->urls[e->nurls++])
			abort();
	}
	free(copy);
	if (!e->nurls)
		return tw_err("no etcd endpoint given");
	if (!e->timeout_ms)
		e->timeout_ms = 5000;
	e->curl = curl_easy_init();
	if (!e->curl)
		return tw_err("cannot initialise libcurl");
	return 0;
}

void etcd_free(struct etcd *e)
{
	size_t i;

	for (i = 0; i < e->nurls; i++)
		free(e->urls[i]);
	free(e->urls);
	if (e->curl)
		curl_easy_cleanup(e->curl);
	e->curl = NULL;
}

/* The options every request shares: URL, TLS, body, where replies go. */
static void setup(struct etcd *e, CURL *h, size_t url, const char *path,
		  const char *body, struct buf *reply,
		  struct curl_slist *hdrs)
{
	char full[1024];

	snprintf(full, sizeof(full), "%s%s", e->urls[url], path);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, full);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (e->cafile)
		curl_easy_setopt(h, CURLOPT_CAINFO, e->cafile);
	if (e->certfile)
		curl_easy_setopt(h, CURLOPT_SSLCERT, e->certfile);
	if (e->keyfile)
		curl_easy_setopt(h, CURLOPT_SSLKEY, e->keyfile);
}

/* etcd's error reply: {"error": "...", "code": N, "message": "..."}. */
static int http_error(const char *url, long status, const struct buf *b)
{
	struct json_object *r = b->p ? json_tokener_parse(b->p) : NULL;
	struct json_object *m = NULL;
	int ret;

	if (r && (json_object_object_get_ex(r, "message", &m) ||
		  json_object_object_get_ex(r, "error", &m)))
		ret = tw_err("%s: HTTP %ld: %s", url, status,
			     json_object_get_string(m));
	else
		ret = tw_err("%s: HTTP %ld", url, status);
	json_object_put(r);
	return ret;
}

/*
 * POSTs `req` to every endpoint in turn from the last good one until one
 * answers; *resp is the parsed reply.  Only transport errors move on to
 * the next endpoint: an HTTP error is etcd's answer.
 */
static int call(struct etcd *e, const char *path, struct json_object *req,
		struct json_object **resp)
{
	const char *body = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	struct buf reply = { 0 };
	CURLcode rc;
	long status = 0;
	size_t i, u;
	int ret = -1;

	*resp = NULL;
	for (i = 0; i < e->nurls; i++) {
		u = (e->cur + i) % e->nurls;
		reply.len = 0;
		setup(e, e->curl, u, path, body, &reply, hdrs);
		curl_easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, e->timeout_ms);
		rc = curl_easy_perform(e->curl);
		if (rc != CURLE_OK) {
			tw_err("%s%s: %s", e->urls[u], path, curl_easy_strerror(rc));
			continue;
		}
		e->cur = u;
		curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status != 200) {
			http_error(e->urls[u], status, &reply);
			break;
		}
		*resp = reply.p ? json_tokener_parse(reply.p) : NULL;
		if (!*resp) {
			tw_err("%s%s: the reply is not JSON", e->urls[u], path);
			break;
		}
		ret = 0;
		break;
	}
	free(reply.p);
	curl_slist_free_all(hdrs);
	return ret;
}

/* An int64 of a reply: a JSON string (or number); absent: 0. */
static int64_t get_i64(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return 0;
	return json_object_get_int64(v);
}

static struct json_object *new_i64(int64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%lld", (long long)v);
	return json_object_new_string(s);
}

static void add_bytes(struct json_object *o, const char *key, const char *s)
{
	char *b = b64_encode(s, strlen(s));

	json_object_object_add(o, key, json_object_new_string(b));
	free(b);
}

static int get_bytes(struct json_object *o, const char *key, char **out,
		     size_t *len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v)) {
		*out = strdup("");
		if (!*out)
			abort();
		*len = 0;
		return 0;
	}
	return b64_decode(json_object_get_string(v), out, len);
}

static int parse_kv(struct json_object *o, struct etcd_kv *kv)
{
	size_t klen;

	memset(kv, 0, sizeof(*kv));
	if (get_bytes(o, "key", &kv->key, &klen))
		return -1;
	if (get_bytes(o, "value", &kv->value, &kv->vlen)) {
		free(kv->key);
		return -1;
	}
	kv->create_rev = get_i64(o, "create_revision");
	kv->mod_rev = get_i64(o, "mod_revision");
	kv->lease = get_i64(o, "lease");
	return 0;
}

static int64_t header_rev(struct json_object *o)
{
	struct json_object *h;

	if (!json_object_object_get_ex(o, "header", &h))
		return 0;
	return get_i64(h, "revision");
}

void etcd_kvs_free(struct etcd_kv *kvs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(kvs[i].key);
		free(kvs[i].value);
	}
	free(kvs);
}

int etcd_range(struct etcd *e, const char *key, const char *end,
	       struct etcd_kv **kvs, size_t *n, int64_t *rev)
{
	struct json_object *req = json_object_new_object(), *resp, *arr;
	size_t i, len;
	int ret;

	*kvs = NULL;
	*n = 0;
	add_bytes(req, "key", key);
	if (end)
		add_bytes(req, "range_end", end);
	ret = call(e, "/v3/kv/range", req, &resp);
	json_object_put(req);
	if (ret)
		return -1;
	if (rev)
		*rev = header_rev(resp);
	if (json_object_object_get_ex(resp, "kvs", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		len = json_object_array_length(arr);
		*kvs = tw_calloc(len ? len : 1, sizeof(**kvs));
		for (i = 0; i < len && !ret; i++) {
			ret = parse_kv(json_object_array_get_idx(arr, i), &(*kvs)[*n]);
			if (!ret)
				(*n)++;
		}
	}
	json_object_put(resp);
	if (ret) {
		etcd_kvs_free(*kvs, *n);
		*kvs = NULL;
		*n = 0;
		return tw_err_ctx("range %s", key);
	}
	return 0;
}

/* cmp2: a second comparison, or NULL. */
static int txn(struct etcd *e, struct json_object *cmp,
	       struct json_object *cmp2, struct json_object *op, bool *ok)
{
	struct json_object *req = json_object_new_object();
	struct json_object *cmps = json_object_new_array();
	struct json_object *ops = json_object_new_array();
	struct json_object *resp, *v;
	int ret;

	json_object_array_add(cmps, cmp);
	if (cmp2)
		json_object_array_add(cmps, cmp2);
	json_object_array_add(ops, op);
	json_object_object_add(req, "compare", cmps);
	json_object_object_add(req, "success", ops);
	ret = call(e, "/v3/kv/txn", req, &resp);
	json_object_put(req);
	if (ret)
		return -1;
	*ok = json_object_object_get_ex(resp, "succeeded", &v) &&
	      json_object_get_boolean(v);
	json_object_put(resp);
	return 0;
}

/* Every key in the guard's range: mod_revision < rev + 1. */
static struct json_object *guard_cmp(const struct etcd_guard *g)
{
	struct json_object *c = json_object_new_object();

	add_bytes(c, "key", g->key);
	add_bytes(c, "range_end", g->end);
	json_object_object_add(c, "result", json_object_new_string("LESS"));
	json_object_object_add(c, "target", json_object_new_string("MOD"));
	json_object_object_add(c, "mod_revision", new_i64(g->rev + 1));
	return c;
}

int etcd_put_if(struct etcd *e, const char *key, const char *value,
		int64_t lease, enum etcd_cmp cmp, int64_t rev,
		const struct etcd_guard *g, bool *ok)
{
	struct json_object *c = json_object_new_object();
	struct json_object *op = json_object_new_object();
	struct json_object *put = json_object_new_object();
	bool create = cmp == ETCD_CMP_CREATE;

	add_bytes(c, "key", key);
	json_object_object_add(c, "result", json_object_new_string("EQUAL"));
	json_object_object_add(c, "target", json_object_new_string(create ? "CREATE" : "MOD"));
	json_object_object_add(c, create ? "create_revision" : "mod_revision",
			       new_i64(rev));
	add_bytes(put, "key", key);
	add_bytes(put, "value", value);
	if (lease)
		json_object_object_add(put, "lease", new_i64(lease));
	json_object_object_add(op, "request_put", put);
	if (txn(e, c, g ? guard_cmp(g) : NULL, op, ok))
		return tw_err_ctx("put %s", key);
	return 0;
}

int etcd_delete_if_lease(struct etcd *e, const char *key, int64_t lease)
{
	struct json_object *c = json_object_new_object();
	struct json_object *op = json_object_new_object();
	struct json_object *del = json_object_new_object();
	bool ok;

	add_bytes(c, "key", key);
	json_object_object_add(c, "result", json_object_new_string("EQUAL"));
	json_object_object_add(c, "target", json_object_new_string("LEASE"));
	json_object_object_add(c, "lease", new_i64(lease));
	add_bytes(del, "key", key);
	json_object_object_add(op, "request_delete_range", del);
	if (txn(e, c, NULL, op, &ok))
		return tw_err_ctx("delete %s", key);
	return 0;
}

int etcd_lease_grant(struct etcd *e, int64_t ttl, int64_t *id)
{
	struct json_object *req = json_object_new_object(), *resp;

	json_object_object_add(req, "TTL", new_i64(ttl));
	if (call(e, "/v3/lease/grant", req, &resp)) {
		json_object_put(req);
		return tw_err_ctx("lease grant");
	}
	json_object_put(req);
	*id = get_i64(resp, "ID");
	json_object_put(resp);
	return *id ? 0 : tw_err("lease grant: no lease ID in the reply");
}

int etcd_lease_keepalive(struct etcd *e, int64_t id, int64_t *ttl)
{
	struct json_object *req = json_object_new_object(), *resp, *r;
	int ret;

	json_object_object_add(req, "ID", new_i64(id));
	ret = call(e, "/v3/lease/keepalive", req, &resp);
	json_object_put(req);
	if (ret)
		return tw_err_ctx("lease keepalive");
	/* a stream of one message: {"result": {..., "TTL": "N"}} */
	if (!json_object_object_get_ex(resp, "result", &r))
		r = resp;
	*ttl = get_i64(r, "TTL");
	json_object_put(resp);
	return 0;
}

int etcd_lease_revoke(struct etcd *e, int64_t id)
{
	struct json_object *req = json_object_new_object(), *resp;
	int ret;

	json_object_object_add(req, "ID", new_i64(id));
	ret = call(e, "/v3/lease/revoke", req, &resp);
	json_object_put(req);
	json_object_put(resp);
	return ret ? tw_err_ctx("lease revoke") : 0;
}

/* ---- watch ---- */

static size_t watch_write(char *data, size_t size, size_t n, void *arg)
{
	struct etcd_watch *w = arg;
	struct buf b = { w->buf, w->len, w->cap };

	buf_add(&b, data, size * n);
	w->buf = b.p;
	w->len = b.len;
	w->cap = b.cap;
	return size * n;
}

static struct curl_slist *watch_hdrs;
static char *watch_body;

int etcd_watch_start(struct etcd *e, struct etcd_watch *w, const char *key,
		     const char *end, int64_t start_rev)
{
	struct json_object *req = json_object_new_object();
	struct json_object *cr = json_object_new_object();

	memset(w, 0, sizeof(*w));
	w->e = e;
	w->rev = start_rev - 1;
	add_bytes(cr, "key", key);
	add_bytes(cr, "range_end", end);
	json_object_object_add(cr, "start_revision", new_i64(start_rev));
	json_object_object_add(req, "create_request", cr);
	free(watch_body);
	watch_body = strdup(json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
	json_object_put(req);
	if (!watch_body)
		abort();
	if (!watch_hdrs)
		watch_hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	w->curl = curl_easy_init();
	w->multi = curl_multi_init();
	if (!w->curl || !w->multi)
		return tw_err("cannot initialise libcurl");
	setup(e, w->curl, e->cur, "/v3/watch", watch_body, NULL, watch_hdrs);
	curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, watch_write);
	curl_easy_setopt(w->curl, CURLOPT_WRITEDATA, w);
	curl_multi_add_handle(w->multi, w->curl);
	return 0;
}

static void add_event(struct etcd_watch *w, struct json_object *o)
{
	struct json_object *kv, *t;
	struct etcd_event *ev;

	if (!json_object_object_get_ex(o, "kv", &kv))
		return;
	tw_grow((void **)&w->ev, &w->capev, w->nev + 1, sizeof(*w->ev));
	ev = &w->ev[w->nev];
	if (parse_kv(kv, &ev->kv))
		return;
	ev->del = json_object_object_get_ex(o, "type", &t) &&
		  !strcmp(json_object_get_string(t), "DELETE");
	if (ev->kv.mod_rev > w->rev)
		w->rev = ev->kv.mod_rev;
	w->nev++;
}

/* One message of the stream: {"result": {header, created, events...}}. */
static void watch_message(struct etcd_watch *w, struct json_object *msg)
{
	struct json_object *r, *evs, *v;
	size_t i;

	if (!json_object_object_get_ex(msg, "result", &r))
		r = msg;
	w->compacted = get_i64(r, "compact_revision");
	if (json_object_object_get_ex(r, "canceled", &v) &&
	    json_object_get_boolean(v))
		w->canceled = true;
	if (json_object_object_get_ex(r, "created", &v) &&
	    json_object_get_boolean(v))
		w->created = true;
	if (json_object_object_get_ex(r, "events", &evs) &&
	    json_object_is_type(evs, json_type_array)) {
		for (i = 0; i < json_object_array_length(evs); i++)
			add_event(w, json_object_array_get_idx(evs, i));
	}
}

/* Parses every complete JSON message in the buffer. */
static int watch_parse(struct etcd_watch *w)
{
	struct json_tokener *tok = json_tokener_new();
	size_t off = 0;
	int ret = 0;

	while (off < w->len) {
		struct json_object *o;

		while (off < w->len && strchr(" \t\r\n", w->buf[off]))
			off++;
		if (off == w->len)
			break;
		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, w->buf + off, (int)(w->len - off));
		if (!o) {
			if (json_tokener_get_error(tok) != json_tokener_continue)
				ret = tw_err("watch: invalid JSON from etcd");
			break;
		}
		off += json_tokener_get_parse_end(tok);
		watch_message(w, o);
		json_object_put(o);
	}
	json_tokener_free(tok);
	memmove(w->buf, w->buf + off, w->len - off);
	w->len -= off;
	return ret;
}

int etcd_watch_poll(struct etcd_watch *w, int timeout_ms)
{
	int running = 0, left;
	CURLMsg *m;
	long status = 0;

	curl_multi_perform(w->multi, &running);
	curl_multi_poll(w->multi, NULL, 0, timeout_ms, NULL);
	curl_multi_perform(w->multi, &running);
	if (watch_parse(w))
		return -1;
	while ((m = curl_multi_info_read(w->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		if (m->data.result != CURLE_OK)
			return tw_err("watch: %s", curl_easy_strerror(m->data.result));
		curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status != 200)
			return tw_err("watch: HTTP %ld", status);
		return 0;
	}
	if (w->canceled)
		return 0;
	return running ? 1 : 0;
}

void etcd_watch_take(struct etcd_watch *w)
{
	size_t i;

	for (i = 0; i < w->nev; i++) {
		free(w->ev[i].kv.key);
		free(w->ev[i].kv.value);
	}
	w->nev = 0;
}

void etcd_watch_stop(struct etcd_watch *w)
{
	etcd_watch_take(w);
	free(w->ev);
	if (w->multi && w->curl)
		curl_multi_remove_handle(w->multi, w->curl);
	if (w->curl)
		curl_easy_cleanup(w->curl);
	if (w->multi)
		curl_multi_cleanup(w->multi);
	free(w->buf);
	memset(w, 0, sizeof(*w));
}
