// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for `twill set` arguments: the input is split on
 * newlines into argv.  Accepted arguments must build into messages that
 * the reply parser reads back with the same number of prefixes.  An input
 * starting with "nat" is `twill nat set DEV ...` instead: accepted keys,
 * merged into NAT off and into a configuration that is on, must build
 * into a TWILL_A_NAT nest that reads back the same, and must print (as
 * monitor does) into words that parse back the same.  An input starting
 * with "service" is `twill service set DEV KEY ...`: an accepted service,
 * merged into none and into one with backends, must build into a request
 * that reads back the same.
 */
#include "msg.h"
#include "nat.h"
#include "parse.h"
#include "service.h"
#include "setargs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 256

static size_t count_back(const struct tw_batch *batch)
{
	struct tw_device back;
	size_t i, n = 0;

	for (i = 0; i < batch->n; i++) {
		dev_init(&back);
		if (parse_device_msg((const void *)batch->msgs[i].buf, &back,
				     NULL))
			abort();
		n += peer_total_prefixes(&back);
		dev_free(&back);
	}
	return n;
}

static void check(const struct tw_device *d)
{
	struct tw_build b = { .family = 0x10, .seq = 1, .max_len = 1024 };
	struct tw_batch batch;
	size_t want = 0, i;

	for (i = 0; i < d->npeers; i++)
		if (!(d->peers[i].flags & TWILL_PEER_F_REMOVE))
			want += d->peers[i].npfx;
	build_set(d, &b, &batch);
	if (count_back(&batch) != want)
		abort();
	batch_free(&batch);
}

static void check_nat_nest(const struct tw_nat *n)
{
	struct tw_build b = { .family = 0x10, .seq = 1, .max_len = 1024 };
	struct tw_device d, back;
	struct tw_batch batch;

	dev_init(&d);
	d.ifindex = 1;
	d.nat = *n;
	d.mask = TW_BIT(TW_NAT);
	build_set(&d, &b, &batch);
	dev_init(&back);
	if (batch.n != 1 ||
	    parse_device_msg((const void *)batch.msgs[0].buf, &back, NULL) ||
	    !TW_HAS(&back, TW_NAT) || !nat_same(&back.nat, n))
		abort();
	batch_free(&batch);
	dev_free(&back);
	dev_free(&d);
}

/* nat_print_args() words parse back into the same configuration. */
static void check_nat_words(const struct tw_nat *n)
{
	char *buf = NULL, *argv[16], *tok, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct tw_nat args, again;
	int argc = 0;

	if (!f)
		abort();
	nat_print_args(f, n);
	fclose(f);
	for (tok = strtok_r(buf, " ", &save); tok && argc < 16;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	if (nat_parse_args(argc, argv, &args) ||
	    nat_merge(NULL, &args, &again) || !nat_same(&again, n))
		abort();
	free(buf);
}

static void nat_args(int argc, char **argv)
{
	struct tw_nat args, cur, out;

	if (nat_parse_args(argc, argv, &args))
		return;
	nat_init(&cur);
	if (!nat_merge(NULL, &args, &out)) {
		check_nat_nest(&out);
		check_nat_words(&out);
	}
	cur.on = true;
	cur.masq.n = 1;
	if (parse_prefix("10.244.0.0/16", &cur.masq.p[0]))
		abort();
	if (!nat_merge(&cur, &args, &out)) {
		check_nat_nest(&out);
		check_nat_words(&out);
	}
}

static bool same_backends(const struct tw_service *a,
			  const struct tw_service *b)
{
	size_t i;

	if (a->nbackends != b->nbackends)
		return false;
	for (i = 0; i < a->nbackends; i++)
		if (memcmp(&a->backends[i].addr, &b->backends[i].addr,
			   sizeof(a->backends[i].addr)) ||
		    a->backends[i].port != b->backends[i].port ||
		    a->backends[i].weight != b->backends[i].weight ||
		    a->backends[i].state != b->backends[i].state)
			return false;
	return true;
}

/* The request reads back as the service it was built from. */
static void check_service(const struct tw_service *svc)
{
	struct tw_services back = { 0 };
	struct tw_device d;
	char *buf = calloc(1, build_set_service_size(svc));

	dev_init(&d);
	d.ifindex = 1;
	build_set_service(buf, 0x10, 1, &d, svc);
	if (service_parse_msg((const void *)buf, &back) || back.n != 1 ||
	    back.svcs[0].port != svc->port ||
	    back.svcs[0].proto != svc->proto ||
	    memcmp(&back.svcs[0].vip, &svc->vip, sizeof(svc->vip)) ||
	    (!svc->remove && (back.svcs[0].affinity != svc->affinity ||
			      !same_backends(&back.svcs[0], svc))))
		abort();
	services_free(&back);
	dev_free(&d);
	free(buf);
}

static void service_args(int argc, char **argv)
{
	struct tw_service args, cur, out;

	if (argc < 1)
		return;
	service_init(&args);
	if (service_parse_key(argv[0], &args) ||
	    service_parse_args(argc - 1, argv + 1, &args)) {
		service_free(&args);
		return;
	}
	if (service_merge(NULL, &args, &out))
		abort();
	check_service(&out);
	service_free(&out);
	/* a current service with a backend and an affinity */
	service_init(&cur);
	if (service_parse_key(argv[0], &cur) ||
	    service_parse_args(2, (char *[]){ "affinity", "60" }, &cur))
		abort();
	if (service_merge(&cur, &args, &out))
		abort();
	if (!args.has_affinity && !args.remove && out.affinity != 60)
		abort();
	check_service(&out);
	service_free(&out);
	service_free(&cur);
	service_free(&args);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS], *p, *nl;
	struct tw_device d;
	int argc = 0;

	memcpy(buf, data, size);
	buf[size] = '\0';
	for (p = buf; p && argc < MAX_ARGS; p = nl) {
		nl = strchr(p, '\n');
		if (nl)
			*nl++ = '\0';
		argv[argc++] = p;
	}
	if (argc && !strcmp(argv[0], "service")) {
		service_args(argc - 1, argv + 1);
		free(buf);
		return 0;
	}
	if (argc && !strcmp(argv[0], "nat")) {
		nat_args(argc - 1, argv + 1);
		free(buf);
		return 0;
	}
	dev_init(&d);
	if (!parse_set_args(argc, argv, &d))
		check(&d);
	dev_free(&d);
	free(buf);
	return 0;
}
