// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for `twill set` arguments: the input is split on
 * newlines into argv.  Accepted arguments must build into messages that
 * the reply parser reads back with the same number of prefixes.  An input
 * starting with "nat" is `twill nat set DEV ...` instead: accepted keys,
 * merged into NAT off and into a configuration that is on, must build
 * into a TWILL_A_NAT nest that reads back the same, and must print (as
 * monitor does) into words that parse back the same.
 */
#include "msg.h"
#include "nat.h"
#include "parse.h"
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
